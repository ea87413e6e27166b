/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The force probe's ABI (bpf/probe/probe.bpf.c, enforcer/kernel/probe.c): the
 * options to try with a harmless value, and what bpf_setsockopt returned
 * for each at each point.  Include optguard.h (and the __u32 types) first.
 */
#ifndef OPTGUARD_PROBE_H
#define OPTGUARD_PROBE_H

#define OG_PROBE_MAX	32	/* options tried */
#define OG_PROBE_UNSET	1	/* a ret slot the point never reached */

enum og_probe_point {
	OG_PP_CREATE4 = 0,	/* lsm_cgroup/socket_post_create, AF_INET */
	OG_PP_CREATE6,
	OG_PP_CONNECT4,		/* cgroup/connect4 */
	OG_PP_CONNECT6,
	OG_PP_ACTIVE4,		/* sockops ACTIVE_ESTABLISHED_CB */
	OG_PP_ACTIVE6,
	OG_PP_PASSIVE4,		/* sockops PASSIVE_ESTABLISHED_CB */
	OG_PP_PASSIVE6,
	OG_PP_SEND4,		/* cgroup/sendmsg4: an unconnected UDP send, AF_INET */
	OG_PP_SEND6,		/* cgroup/sendmsg6 */
	OG_PP_SEND4M,		/* cgroup/sendmsg4 on an AF_INET6 socket (v4-mapped destination) */
	OG_PP_SKCREATE4,	/* cgroup/sock_create writing mark/priority: 0 where it ran */
	OG_PP_SKCREATE6,
	OG_PP_MAX,
};

struct og_probe_opt {
	__s32 level, optname;
	__s32 len;		/* 4, or OG_STR_MAX for a string */
	__s32 num;
	char str[OG_STR_MAX];
};

#endif
