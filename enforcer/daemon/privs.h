/* SPDX-License-Identifier: GPL-2.0-only */
/* Least privilege for the daemon once its programs are attached. */
#ifndef OPTGUARD_PRIVS_H
#define OPTGUARD_PRIVS_H

/*
 * Drop every capability (effective, permitted, inheritable, ambient and the
 * bounding set) and set no_new_privs.  What the daemon still does after
 * attach -- update maps and read the ring buffer through fds it holds,
 * read a root-owned policy, write its root-owned log -- needs none.
 * 0 or -errno; on failure the caller must stop (it is not half done).
 */
int privs_drop(void);

#endif
