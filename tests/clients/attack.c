// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a process short of full root tries against optguard (tests/36-self-protect.t):
 *   attack getfd PID [maps]  take every fd of PID with pidfd_getfd(); delete every key of
 *                        each BPF hash map and detach each BPF link among them (maps: only
 *                        delete keys)
 *   attack detach PATH   BPF_OBJ_GET a pinned link, then BPF_LINK_DETACH it
 *   attack open PATH     BPF_OBJ_GET a pinned object read-only
 *   attack openrw PATH   BPF_OBJ_GET a pinned object read-write
 * Prints one line, "key=value" words; exit 0 whatever the outcome (the test reads the line).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static const char *err(int e)
{
	return e ? strerrorname_np(e) : "ok";
}

/* every key of map @fd deleted: how many went */
static int empty_map(int fd, __u32 key_size)
{
	unsigned char key[512], next[512];
	union bpf_attr a;
	int n = 0;

	if (key_size > sizeof(key))
		return 0;
	for (;;) {
		memset(&a, 0, sizeof(a));
		a.map_fd = fd;
		a.key = 0;	/* the first key */
		a.next_key = (__u64)(unsigned long)next;
		if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a))
			break;
		memcpy(key, next, key_size);
		memset(&a, 0, sizeof(a));
		a.map_fd = fd;
		a.key = (__u64)(unsigned long)key;
		if (sys_bpf(BPF_MAP_DELETE_ELEM, &a))
			break;
		n++;
	}
	return n;
}

static int do_getfd(int pid, int only_maps)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), first_err = 0, got = 0, maps = 0;
	int deleted = 0, detached = 0, tfd;

	if (pidfd < 0) {
		printf("pidfd=%s got=0 maps=0 deleted=0 detached=0\n", err(errno));
		return 0;
	}
	for (tfd = 0; tfd < 256; tfd++) {
		struct bpf_map_info mi;
		union bpf_attr a;
		int fd = syscall(SYS_pidfd_getfd, pidfd, tfd, 0);

		if (fd < 0) {
			if (errno != EBADF && !first_err)
				first_err = errno;
			continue;
		}
		got++;
		memset(&mi, 0, sizeof(mi));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info_len = sizeof(mi);
		a.info.info = (__u64)(unsigned long)&mi;
		if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && mi.key_size) {
			maps++;
			if (mi.type == BPF_MAP_TYPE_HASH)
				deleted += empty_map(fd, mi.key_size);
		}
		memset(&a, 0, sizeof(a));
		a.link_detach.link_fd = fd;
		if (!only_maps && sys_bpf(BPF_LINK_DETACH, &a) == 0)
			detached++;
		close(fd);
	}
	printf("pidfd=ok getfd=%s got=%d maps=%d deleted=%d detached=%d\n", err(first_err), got, maps,
	       deleted, detached);
	return 0;
}

static int obj_get(const char *path, __u32 flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (__u64)(unsigned long)path;
	a.file_flags = flags;
	return sys_bpf(BPF_OBJ_GET, &a);
}

int main(int argc, char **argv)
{
	union bpf_attr a;
	int fd;

	if (argc == 4 && !strcmp(argv[1], "getfd") && !strcmp(argv[3], "maps"))
		return do_getfd(atoi(argv[2]), 1);
	if (argc != 3) {
		fprintf(stderr, "usage: attack getfd PID [maps] | detach PATH | open PATH | openrw PATH\n");
		return 2;
	}
	if (!strcmp(argv[1], "getfd"))
		return do_getfd(atoi(argv[2]), 0);
	if (!strcmp(argv[1], "open") || !strcmp(argv[1], "openrw")) {
		fd = obj_get(argv[2], strcmp(argv[1], "open") ? 0 : BPF_F_RDONLY);
		printf("get=%s\n", err(fd < 0 ? errno : 0));
		return 0;
	}
	if (!strcmp(argv[1], "detach")) {
		fd = obj_get(argv[2], 0);
		if (fd < 0) {
			printf("get=%s detach=no\n", err(errno));
			return 0;
		}
		memset(&a, 0, sizeof(a));
		a.link_detach.link_fd = fd;
		printf("get=ok detach=%s\n", err(sys_bpf(BPF_LINK_DETACH, &a) ? errno : 0));
		return 0;
	}
	fprintf(stderr, "attack: unknown mode %s\n", argv[1]);
	return 2;
}
