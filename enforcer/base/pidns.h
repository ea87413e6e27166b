/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which PID namespace this process is in, as BPF programs name it for
 * bpf_get_ns_current_pid_tgid(): in a container getpid() is the
 * namespace's number for us, not the kernel's global tgid that
 * bpf_get_current_pid_tgid() gives, so a program that must recognise the
 * daemon compares getpid() with the tgid in this namespace.
 */
#ifndef OPTGUARD_PIDNS_H
#define OPTGUARD_PIDNS_H

#include <linux/types.h>

/*
 * The device and inode of /proc/self/ns/pid into @dev and @ino; both 0
 * when it cannot be read (no /proc): the caller then compares global tgids.
 */
void self_pidns(__u64 *dev, __u64 *ino);

#endif
