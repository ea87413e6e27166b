// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm/bpf and lsm/bpf_map: optguard's own links and maps are the daemon's.
 *
 * Where BPF LSM runs, these refuse, to every process but the daemon:
 *   - BPF_LINK_DETACH and BPF_LINK_UPDATE on an fd of one of optguard's links;
 *   - the map commands that write (update, delete, lookup-and-delete, their
 *     batches, freeze) on an fd of one of optguard's maps;
 *   - a new writable fd of one of optguard's maps (BPF_MAP_GET_FD_BY_ID,
 *     BPF_OBJ_GET), so that nobody mmap()s the .bss the daemon steers the
 *     programs with.
 * The objects are told by their kernel ids (og_guard_ids[], written by the
 * daemon after attaching; 0 ends the list); every refusal is an event with
 * the caller's pid, comm and uid (hook "guard").  `optguard unload` needs
 * none of these commands: it stops the daemon and removes the pins, which
 * detaches everything.  A separate object from optguard.bpf.o: its failure
 * to load on a kernel costs only the guard, and it shares the event ring
 * buffer (the loader reuses the fd).  The same program twice: security_bpf()
 * gained a fourth argument in Linux 6.14 (bool kernel), which moves `ret`;
 * the loader keeps the one matching the kernel's BTF.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "../optguard.h"

#define EPERM 1
#define FMODE_WRITE 0x2
#define OG_GUARD_MAX 32

char LICENSE[] SEC("license") = "GPL";

/* Written by the daemon through the mmap'ed .bss. */
__u32 og_guard_tgid;			/* the daemon: the only process let through, */
__u64 og_guard_ns_dev, og_guard_ns_ino;	/* ... in its own PID namespace (0: global) */
__u32 og_guard_on;			/* 0: everything allowed (before the ids are in) */
__u32 og_guard_ids[OG_GUARD_MAX];	/* kernel ids of optguard's links and maps */
__u32 og_guard_nids;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);	/* the loader reuses optguard.bpf.o's og_events */
} og_events SEC(".maps");

static __always_inline int ours(__u32 id)
{
	int i;

	if (!id)
		return 0;
	for (i = 0; i < OG_GUARD_MAX; i++) {
		if (i >= og_guard_nids)
			break;
		if (og_guard_ids[i] == id)
			return 1;
	}
	return 0;
}

/*
 * the daemon itself, or the guard not armed yet.  The daemon is known by
 * the tgid its own PID namespace gives it (in a container getpid() is not
 * the global tgid); a process in another namespace is never it.
 */
static __always_inline int exempt(void)
{
	struct bpf_pidns_info ns = {};

	if (!og_guard_on)
		return 1;
	if (!og_guard_ns_ino)
		return (bpf_get_current_pid_tgid() >> 32) == og_guard_tgid;
	return !bpf_get_ns_current_pid_tgid(og_guard_ns_dev, og_guard_ns_ino, &ns, sizeof(ns)) &&
	       ns.tgid == og_guard_tgid;
}

static __always_inline void report(int cmd, __u32 id)
{
	struct og_event *e = bpf_ringbuf_reserve(&og_events, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->cgid = bpf_get_current_cgroup_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->rule_id = OG_GUARD_RULE_ID;
	e->level = cmd;		/* the bpf() command refused (-1: a writable map fd) */
	e->optname = id;	/* the kernel id of the object */
	e->err = EPERM;
	e->hook = OG_HOOK_GUARD;
	e->action = OG_ACT_DENY;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/* The kernel id of the link or map behind the caller's fd @fd, 0 if none. */
static __always_inline __u32 fd_id(int fd, int is_link)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	void *priv;

	if (!fdt || fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f)
		return 0;
	priv = BPF_CORE_READ(f, private_data);
	if (!priv)
		return 0;
	if (is_link)
		return BPF_CORE_READ((struct bpf_link *)priv, id);
	return BPF_CORE_READ((struct bpf_map *)priv, id);
}

static __always_inline int check_cmd(int cmd, union bpf_attr *attr)
{
	int fd, is_link;
	__u32 id;

	switch (cmd) {
	case BPF_LINK_DETACH:
	case BPF_LINK_UPDATE:
		is_link = 1;
		break;
	case BPF_MAP_UPDATE_ELEM:
	case BPF_MAP_DELETE_ELEM:
	case BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case BPF_MAP_FREEZE:
	case BPF_MAP_UPDATE_BATCH:
	case BPF_MAP_DELETE_BATCH:
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		is_link = 0;
		break;
	default:
		return 0;	/* allow: not a command that changes optguard's objects */
	}
	if (exempt())
		return 0;	/* allow: the daemon */
	/* link_fd, map_fd and batch.map_fd are each the attribute's first 32 bits */
	if (bpf_probe_read_kernel(&fd, sizeof(fd), attr))
		return 0;	/* allow: unreadable, the kernel will refuse it too */
	id = fd_id(fd, is_link);
	if (!ours(id))
		return 0;	/* allow: another program's object */
	report(cmd, id);
	return -EPERM;	/* deny: optguard's own link or map */
}

SEC("lsm/bpf")
int BPF_PROG(og_guard_bpf3, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	if (ret)
		return ret;	/* deny: an earlier program's errno stands */
	return check_cmd(cmd, attr);
}

SEC("lsm/bpf")
int BPF_PROG(og_guard_bpf4, int cmd, union bpf_attr *attr, unsigned int size, bool kernel,
	     int ret)
{
	if (ret)
		return ret;	/* deny: an earlier program's errno stands */
	if (kernel)
		return 0;	/* allow: the kernel's own use (a light skeleton) */
	return check_cmd(cmd, attr);
}

SEC("lsm/bpf_map")
int BPF_PROG(og_guard_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	__u32 id;

	if (ret)
		return ret;	/* deny: an earlier program's errno stands */
	if (!(fmode & FMODE_WRITE) || exempt())
		return 0;	/* allow: read-only, or the daemon */
	id = BPF_CORE_READ(map, id);
	if (!ours(id))
		return 0;	/* allow: another program's map */
	report(-1, id);
	return -EPERM;	/* deny: a writable fd of optguard's map */
}
