/* SPDX-License-Identifier: GPL-2.0-only */
/* `optguard run`: the daemon (run.c). */
#ifndef OPTGUARD_DAEMON_H
#define OPTGUARD_DAEMON_H

int cmd_run(int argc, char **argv);

#endif
