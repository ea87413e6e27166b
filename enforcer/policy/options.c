// SPDX-License-Identifier: GPL-2.0-only
/*
 * The option table (see options.h).  Numbers come from the libc and uapi
 * headers of the build machine, so a mismatch with the running kernel shows
 * up at build time rather than as a rule that never matches.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <linux/bpf.h>		/* TCP_BPF_* */

#include "options.h"

/* The kernel reads the 64-bit timeval layout only under the _NEW numbers. */
#ifndef SO_RCVTIMEO_OLD
#define SO_RCVTIMEO_OLD		20
#define SO_SNDTIMEO_OLD		21
#endif
#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW		66
#define SO_SNDTIMEO_NEW		67
#endif

#define ACTS_VAL	(ACTS_ANY | ACT_BIT(OG_ACT_REWRITE))
#define ACTS_NUM	(ACTS_VAL | ACT_BIT(OG_ACT_CLAMP))
#define F		ACT_BIT(OG_ACT_FORCE)

/*
 * Rows: name, level, optname, vtype, actions, forceable, byte_ok, help.
 * The forceable rows are exactly the options bpf_setsockopt takes (the
 * kernel's sol_socket_sockopt(), sol_tcp_sockopt() ... in net/core/filter.c); the
 * byte_ok rows are the IP options do_ip_setsockopt() also reads from a
 * single byte (its `optlen >= sizeof(char)` branch).  OPTK rows say how the
 * kernel reads the value where a plain signed int is not it (OG_KR_*, read
 * from sk_setsockopt(), do_ip_setsockopt(), do_ipv6_setsockopt(),
 * do_tcp_setsockopt(), udp_lib_setsockopt()).
 */
#define OPT(n, l, t, a, f, b, h)	{ #n, l, n, t, a, f, b, h, 0 }
/* ... and k: how the kernel reads it (OG_KR_*), from the option's kernel handler */
#define OPTK(n, l, t, a, f, b, k, h)	{ #n, l, n, t, a, f, b, h, k }

const struct og_option og_options[] = {
	/* SOL_SOCKET */
	OPT(SO_DEBUG, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "socket debugging (CAP_NET_ADMIN)"),
	OPT(SO_REUSEADDR, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL | F, true, false,
	    "allow bind() to a local address in TIME_WAIT"),
	OPT(SO_DONTROUTE, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "send only to directly connected hosts, bypassing routing"),
	OPT(SO_BROADCAST, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "allow sending to broadcast addresses"),
	OPTK(SO_SNDBUF, SOL_SOCKET, OG_VT_SIZE, ACTS_NUM | F, true, false, OG_KR_U32,
	    "send buffer size in bytes (the kernel doubles it)"),
	OPTK(SO_RCVBUF, SOL_SOCKET, OG_VT_SIZE, ACTS_NUM | F, true, false, OG_KR_U32,
	    "receive buffer size in bytes (the kernel doubles it)"),
	OPT(SO_KEEPALIVE, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL | F, true, false,
	    "send keepalive probes on idle connections"),
	OPT(SO_OOBINLINE, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "deliver out-of-band data inline"),
	OPTK(SO_PRIORITY, SOL_SOCKET, OG_VT_INT, ACTS_NUM | F, true, false, OG_KR_U32,
	    "packet priority (qdisc band); 7 and above need CAP_NET_ADMIN"),
	OPT(SO_LINGER, SOL_SOCKET, OG_VT_OPAQUE, ACTS_ANY, false, false,
	    "close() lingers for unsent data (struct linger)"),
	OPT(SO_REUSEPORT, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL | F, true, false,
	    "let several sockets bind the same port"),
	OPTK(SO_RCVLOWAT, SOL_SOCKET, OG_VT_SIZE, ACTS_NUM | F, true, false, OG_KR_U32,
	    "bytes that must be queued before a read wakes up"),
	OPT(SO_RCVTIMEO_OLD, SOL_SOCKET, OG_VT_OPAQUE, ACTS_ANY, false, false,
	    "receive timeout (struct timeval, native layout; SO_RCVTIMEO)"),
	OPT(SO_SNDTIMEO_OLD, SOL_SOCKET, OG_VT_OPAQUE, ACTS_ANY, false, false,
	    "send timeout (struct timeval, native layout; SO_SNDTIMEO)"),
	OPT(SO_BINDTODEVICE, SOL_SOCKET, OG_VT_STR, ACTS_VAL | F, true, false,
	    "bind the socket to a network interface by name"),
	OPT(SO_SNDBUFFORCE, SOL_SOCKET, OG_VT_SIZE, ACTS_NUM, false, false,
	    "send buffer size above wmem_max (CAP_NET_ADMIN)"),
	OPT(SO_RCVBUFFORCE, SOL_SOCKET, OG_VT_SIZE, ACTS_NUM, false, false,
	    "receive buffer size above rmem_max (CAP_NET_ADMIN)"),
	OPT(SO_MARK, SOL_SOCKET, OG_VT_UINT, ACTS_NUM | F, true, false,
	    "fwmark for routing and netfilter (CAP_NET_ADMIN or CAP_NET_RAW)"),
	OPT(SO_PEEK_OFF, SOL_SOCKET, OG_VT_INT, ACTS_NUM, false, false,
	    "offset for MSG_PEEK reads; -1 disables"),
	OPTK(SO_BUSY_POLL, SOL_SOCKET, OG_VT_INT, ACTS_NUM, false, false, OG_KR_NONNEG,
	    "busy-poll time in microseconds for blocking reads"),
	OPTK(SO_MAX_PACING_RATE, SOL_SOCKET, OG_VT_UINT, ACTS_NUM | F, true, false, OG_KR_U64,
	    "pacing rate cap in bytes per second (32 or 64 bit)"),
	OPT(SO_INCOMING_CPU, SOL_SOCKET, OG_VT_INT, ACTS_NUM, false, false,
	    "CPU whose receive queue feeds this socket"),
	OPT(SO_ZEROCOPY, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "allow MSG_ZEROCOPY sends"),
	OPTK(SO_BINDTOIFINDEX, SOL_SOCKET, OG_VT_INT, ACTS_NUM | F, true, false, OG_KR_NONNEG,
	    "bind the socket to a network interface by index"),
	OPT(SO_RCVTIMEO_NEW, SOL_SOCKET, OG_VT_OPAQUE, ACTS_ANY, false, false,
	    "receive timeout (64-bit struct timeval)"),
	OPT(SO_SNDTIMEO_NEW, SOL_SOCKET, OG_VT_OPAQUE, ACTS_ANY, false, false,
	    "send timeout (64-bit struct timeval)"),
	OPT(SO_PREFER_BUSY_POLL, SOL_SOCKET, OG_VT_BOOL, ACTS_VAL, false, false,
	    "prefer busy polling over softirq processing"),
	OPTK(SO_BUSY_POLL_BUDGET, SOL_SOCKET, OG_VT_INT, ACTS_NUM, false, false, OG_KR_NONNEG,
	    "packets per busy-poll round (CAP_NET_ADMIN to raise)"),
	OPT(SO_TXREHASH, SOL_SOCKET, OG_VT_INT, ACTS_NUM | F, true, false,
	    "rehash the flow label on retransmit timeouts: -1 default, 0, 1"),

	/* IPPROTO_IP */
	OPTK(IP_TOS, IPPROTO_IP, OG_VT_DSCP, ACTS_VAL | F, true, true, OG_KR_LEN0,
	    "TOS byte of IPv4 packets: DSCP and ECN"),
	OPT(IP_TTL, IPPROTO_IP, OG_VT_INT, ACTS_NUM, false, true,
	    "TTL of unicast IPv4 packets; -1 = system default"),
	OPTK(IP_MTU_DISCOVER, IPPROTO_IP, OG_VT_INT, ACTS_NUM, false, true,
	    OG_KR_LEN0 | OG_KR_NONNEG,
	    "path MTU discovery mode (IP_PMTUDISC_*)"),
	OPTK(IP_RECVERR, IPPROTO_IP, OG_VT_BOOL, ACTS_VAL, false, true, OG_KR_LEN0,
	    "queue extended errors for MSG_ERRQUEUE"),
	OPT(IP_FREEBIND, IPPROTO_IP, OG_VT_BOOL, ACTS_VAL, false, true,
	    "bind to addresses that are not (yet) local"),
	OPT(IP_TRANSPARENT, IPPROTO_IP, OG_VT_BOOL, ACTS_VAL, false, true,
	    "transparent proxying: bind to foreign addresses (CAP_NET_ADMIN)"),
	OPTK(IP_BIND_ADDRESS_NO_PORT, IPPROTO_IP, OG_VT_BOOL, ACTS_VAL, false, true, OG_KR_LEN0,
	    "defer port allocation of bind() to connect()"),
	OPT(IP_MULTICAST_TTL, IPPROTO_IP, OG_VT_INT, ACTS_NUM, false, true,
	    "TTL of outgoing multicast packets"),
	OPT(IP_MULTICAST_LOOP, IPPROTO_IP, OG_VT_BOOL, ACTS_VAL, false, true,
	    "loop sent multicast back to local sockets"),

	/* IPPROTO_TCP */
	OPT(TCP_NODELAY, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL | F, true, false,
	    "disable Nagle's algorithm"),
	OPT(TCP_MAXSEG, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "maximum segment size"),
	OPT(TCP_CORK, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "hold back partial frames until uncorked"),
	OPT(TCP_KEEPIDLE, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "idle seconds before the first keepalive probe"),
	OPT(TCP_KEEPINTVL, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "seconds between keepalive probes"),
	OPT(TCP_KEEPCNT, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "unanswered keepalive probes before the connection drops"),
	OPT(TCP_SYNCNT, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "SYN retransmits before connect() gives up"),
	OPT(TCP_LINGER2, IPPROTO_TCP, OG_VT_INT, ACTS_NUM, false, false,
	    "lifetime of orphaned FIN_WAIT2 sockets in seconds"),
	OPT(TCP_DEFER_ACCEPT, IPPROTO_TCP, OG_VT_INT, ACTS_NUM, false, false,
	    "seconds accept() waits for data to arrive"),
	OPT(TCP_WINDOW_CLAMP, IPPROTO_TCP, OG_VT_SIZE, ACTS_NUM | F, true, false,
	    "upper bound of the advertised window in bytes"),
	OPT(TCP_QUICKACK, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "send ACKs at once instead of delaying them"),
	OPT(TCP_CONGESTION, IPPROTO_TCP, OG_VT_STR, ACTS_VAL | F, true, false,
	    "congestion control algorithm by name"),
	OPT(TCP_THIN_LINEAR_TIMEOUTS, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL | F, true, false,
	    "linear timeouts for thin streams"),
	OPTK(TCP_USER_TIMEOUT, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false, OG_KR_NONNEG,
	    "milliseconds unacknowledged data may stay before the connection drops"),
	OPTK(TCP_FASTOPEN, IPPROTO_TCP, OG_VT_INT, ACTS_NUM, false, false, OG_KR_NONNEG,
	    "TCP Fast Open queue length of a listener"),
	OPTK(TCP_NOTSENT_LOWAT, IPPROTO_TCP, OG_VT_SIZE, ACTS_NUM | F, true, false, OG_KR_U32,
	    "unsent bytes above which the socket is not writable"),
	OPTK(TCP_SAVE_SYN, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false, OG_KR_NONNEG,
	    "keep the SYN headers for TCP_SAVED_SYN: 0, 1, 2"),
	OPT(TCP_FASTOPEN_CONNECT, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "send data in the SYN of connect()"),
	OPT(TCP_ULP, IPPROTO_TCP, OG_VT_STR, ACTS_VAL, false, false,
	    "upper layer protocol by name (tls, espintcp, mptcp)"),
	OPT(TCP_INQ, IPPROTO_TCP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "report queued bytes in a control message"),
	OPTK(TCP_TX_DELAY, IPPROTO_TCP, OG_VT_INT, ACTS_NUM, false, false, OG_KR_U32,
	    "delay every sent packet by microseconds (CAP_NET_ADMIN)"),
	OPT(TCP_BPF_IW, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "initial congestion window (bpf_setsockopt only)"),
	OPT(TCP_BPF_SNDCWND_CLAMP, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "upper bound of the congestion window (bpf_setsockopt only)"),
	OPT(TCP_BPF_DELACK_MAX, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "maximum delayed ACK time in microseconds (bpf_setsockopt only)"),
	OPT(TCP_BPF_RTO_MIN, IPPROTO_TCP, OG_VT_INT, ACTS_NUM | F, true, false,
	    "minimum retransmission timeout in microseconds (bpf_setsockopt only)"),

	/* IPPROTO_IPV6 */
	OPT(IPV6_UNICAST_HOPS, IPPROTO_IPV6, OG_VT_INT, ACTS_NUM, false, false,
	    "hop limit of unicast IPv6 packets; -1 = route default"),
	OPT(IPV6_MULTICAST_HOPS, IPPROTO_IPV6, OG_VT_INT, ACTS_NUM, false, false,
	    "hop limit of outgoing IPv6 multicast packets; -1 = 1"),
	OPTK(IPV6_MTU_DISCOVER, IPPROTO_IPV6, OG_VT_INT, ACTS_NUM, false, false, OG_KR_NONNEG,
	    "path MTU discovery mode (IPV6_PMTUDISC_*)"),
	OPT(IPV6_V6ONLY, IPPROTO_IPV6, OG_VT_BOOL, ACTS_VAL, false, false,
	    "restrict an AF_INET6 socket to IPv6"),
	OPT(IPV6_TCLASS, IPPROTO_IPV6, OG_VT_DSCP, ACTS_VAL | F, true, false,
	    "traffic class of IPv6 packets: DSCP and ECN"),
	OPTK(IPV6_AUTOFLOWLABEL, IPPROTO_IPV6, OG_VT_BOOL, ACTS_VAL | F, true, false, OG_KR_LEN0,
	    "generate flow labels automatically"),
	OPT(IPV6_TRANSPARENT, IPPROTO_IPV6, OG_VT_BOOL, ACTS_VAL, false, false,
	    "transparent proxying: bind to foreign addresses (CAP_NET_ADMIN)"),
	OPT(IPV6_FREEBIND, IPPROTO_IPV6, OG_VT_BOOL, ACTS_VAL, false, false,
	    "bind to addresses that are not (yet) local"),

	/* IPPROTO_UDP */
	OPT(UDP_CORK, IPPROTO_UDP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "collect writes into one datagram until uncorked"),
	OPTK(UDP_SEGMENT, IPPROTO_UDP, OG_VT_INT, ACTS_NUM, false, false, OG_KR_NONNEG,
	    "GSO segment size of sent datagrams"),
	OPT(UDP_GRO, IPPROTO_UDP, OG_VT_BOOL, ACTS_VAL, false, false,
	    "receive coalesced datagrams (GRO)"),
};

const size_t og_options_count = sizeof(og_options) / sizeof(og_options[0]);

/*
 * The kernel keeps one value for each family below, set by any member:
 * SO_RCVBUFFORCE is SO_RCVBUF above rmem_max for a CAP_NET_ADMIN caller;
 * IP_TOS and IPV6_TCLASS are the DSCP of a socket's IPv4 and IPv6 packets
 * (an AF_INET6 socket takes IP_TOS too, for its v4-mapped traffic); IP_TTL
 * and IPV6_UNICAST_HOPS the TTL / hop limit likewise.  Multicast TTLs are a
 * family of their own: their default (1) is not the unicast one, so a rule
 * for unicast TTLs would rarely mean the same bounds for them.
 */
const struct og_family og_families[] = {
	{ "DSCP", { "IP_TOS", "IPV6_TCLASS" },
	  "DSCP of IPv4 and IPv6 packets (also IP_TOS on AF_INET6 sockets: v4-mapped)" },
	{ "SO_RCVBUF*", { "SO_RCVBUF", "SO_RCVBUFFORCE" },
	  "receive buffer size, also above rmem_max (CAP_NET_ADMIN)" },
	{ "SO_SNDBUF*", { "SO_SNDBUF", "SO_SNDBUFFORCE" },
	  "send buffer size, also above wmem_max (CAP_NET_ADMIN)" },
	{ "TTL", { "IP_TTL", "IPV6_UNICAST_HOPS" },
	  "TTL / hop limit of unicast IPv4 and IPv6 packets" },
	{ "MULTICAST_TTL", { "IP_MULTICAST_TTL", "IPV6_MULTICAST_HOPS" },
	  "TTL / hop limit of multicast IPv4 and IPv6 packets" },
};

const size_t og_families_count = sizeof(og_families) / sizeof(og_families[0]);

const struct og_family *family_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < og_families_count; i++)
		if (!strcasecmp(og_families[i].name, name))
			return &og_families[i];
	return NULL;
}

#define SIB_IP4	"also on AF_INET6 sockets, for v4-mapped traffic"
const struct og_sibling og_siblings[] = {
	{ "SO_RCVBUF", "SO_RCVBUFFORCE", "which sets the same value (CAP_NET_ADMIN callers)",
	  "SO_RCVBUF*" },
	{ "SO_RCVBUFFORCE", "SO_RCVBUF", "which sets the same value", "SO_RCVBUF*" },
	{ "SO_SNDBUF", "SO_SNDBUFFORCE", "which sets the same value (CAP_NET_ADMIN callers)",
	  "SO_SNDBUF*" },
	{ "SO_SNDBUFFORCE", "SO_SNDBUF", "which sets the same value", "SO_SNDBUF*" },
	{ "IP_TOS", "IPV6_TCLASS", "which sets the DSCP of IPv6 packets", "DSCP" },
	{ "IPV6_TCLASS", "IP_TOS", "which sets the DSCP of IPv4 packets, " SIB_IP4, "DSCP" },
	{ "IP_TTL", "IPV6_UNICAST_HOPS", "which sets the hop limit of IPv6 packets", "TTL" },
	{ "IP_TTL", "IP_MULTICAST_TTL", "which sets the TTL of multicast packets",
	  "MULTICAST_TTL" },
	{ "IPV6_UNICAST_HOPS", "IP_TTL", "which sets the TTL of IPv4 packets, " SIB_IP4, "TTL" },
	{ "IPV6_UNICAST_HOPS", "IPV6_MULTICAST_HOPS",
	  "which sets the hop limit of multicast packets", "MULTICAST_TTL" },
	{ "IP_MULTICAST_TTL", "IPV6_MULTICAST_HOPS",
	  "which sets the hop limit of IPv6 multicast packets", "MULTICAST_TTL" },
	{ "IPV6_MULTICAST_HOPS", "IP_MULTICAST_TTL",
	  "which sets the TTL of IPv4 multicast packets, " SIB_IP4, "MULTICAST_TTL" },
};

const size_t og_siblings_count = sizeof(og_siblings) / sizeof(og_siblings[0]);


bool option_nonneg(const struct og_option *o)
{
	return o->vtype == OG_VT_SIZE || o->vtype == OG_VT_UINT ||
	       (o->kread & (OG_KR_U32 | OG_KR_NONNEG));
}

/* Names libc spells without the _OLD suffix on 64-bit time_t machines. */
static const struct {
	const char *alias, *name;
} option_aliases[] = {
	{ "SO_RCVTIMEO", "SO_RCVTIMEO_OLD" },
	{ "SO_SNDTIMEO", "SO_SNDTIMEO_OLD" },
};

const struct og_option *option_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < og_options_count; i++)
		if (!strcasecmp(og_options[i].name, name))
			return &og_options[i];
	for (i = 0; i < sizeof(option_aliases) / sizeof(option_aliases[0]); i++)
		if (!strcasecmp(option_aliases[i].alias, name))
			return option_by_name(option_aliases[i].name);
	return NULL;
}

const struct og_option *option_by_number(int level, int optname)
{
	size_t i;

	for (i = 0; i < og_options_count; i++)
		if (og_options[i].level == level && og_options[i].optname == optname)
			return &og_options[i];
	return NULL;
}

static const struct {
	const char *name;
	int level;
} levels[] = {
	/* the first name of a level is the one level_name() gives */
	{ "SOL_SOCKET", SOL_SOCKET },
	{ "IPPROTO_IP", IPPROTO_IP },
	{ "IPPROTO_TCP", IPPROTO_TCP },
	{ "IPPROTO_IPV6", IPPROTO_IPV6 },
	{ "IPPROTO_UDP", IPPROTO_UDP },
	{ "SOL_IP", SOL_IP },
	{ "SOL_TCP", SOL_TCP },
	{ "SOL_IPV6", SOL_IPV6 },
	{ "SOL_UDP", SOL_UDP },
};

int level_parse(const char *s, int *level)
{
	unsigned long n;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcasecmp(levels[i].name, s)) {
			*level = levels[i].level;
			return 0;
		}
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || *end || n > INT_MAX)
		return -EINVAL;
	*level = (int)n;
	return 0;
}

const char *level_name(int level)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return NULL;
}

const char *action_name(enum og_action a)
{
	static const char *const names[OG_ACT_MAX] = {
		[OG_ACT_NONE] = "none",
		[OG_ACT_ALLOW] = "allow",
		[OG_ACT_DENY] = "deny",
		[OG_ACT_REWRITE] = "rewrite",
		[OG_ACT_CLAMP] = "clamp",
		[OG_ACT_FORCE] = "force",
		[OG_ACT_AUDIT] = "audit",
	};

	if ((unsigned int)a >= OG_ACT_MAX)
		return "unknown";
	return names[a];
}

const char *vtype_name(enum og_vtype t)
{
	static const char *const names[OG_VT_MAX] = {
		[OG_VT_OPAQUE] = "opaque",
		[OG_VT_INT] = "int",
		[OG_VT_UINT] = "uint",
		[OG_VT_BOOL] = "bool",
		[OG_VT_SIZE] = "size",
		[OG_VT_STR] = "string",
		[OG_VT_DSCP] = "dscp",
	};

	if ((unsigned int)t >= OG_VT_MAX)
		return "unknown";
	return names[t];
}

int option_parse(const char *s, const struct og_option **opt, int *level, int *optname)
{
	const struct og_option *o = option_by_name(s);
	unsigned long n;
	const char *colon;
	char lvl[32], *end;
	int l, base = 10;

	if (o) {
		*opt = o;
		*level = o->level;
		*optname = o->optname;
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(lvl))
		return -EINVAL;
	memcpy(lvl, s, colon - s);
	lvl[colon - s] = '\0';
	if (level_parse(lvl, &l))
		return -EINVAL;
	s = colon + 1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoul would accept blanks and a sign */
	if (!((*s >= '0' && *s <= '9') ||
	      (base == 16 && ((*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))))
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, base);
	if (errno || *end || n > INT_MAX)
		return -EINVAL;
	*opt = option_by_number(l, (int)n);
	*level = l;
	*optname = (int)n;
	return 0;
}
