/* SPDX-License-Identifier: GPL-2.0-only */
/* The commands of the optguard binary, one function each (main.c dispatches). */
#ifndef OPTGUARD_CMDS_H
#define OPTGUARD_CMDS_H

#include "daemon.h"

int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_options(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_unload(int argc, char **argv);

#endif
