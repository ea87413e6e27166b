/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * optguard: the ABI shared by the BPF programs and the enforcer daemon.
 *
 * Only __u32-style types; the includer provides them (vmlinux.h in BPF,
 * <linux/types.h> in user space).  No libc.
 *
 * How a setsockopt(level, optname, value) call finds its rule
 * ------------------------------------------------------------
 * 1. (level, optname) becomes a *slot*: SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP,
 *    IPPROTO_IPV6 and IPPROTO_UDP options below 256 have fixed slots
 *    (og_slot_fixed()); any other pair named by a policy gets a slot from the
 *    og_other_slots hash, assigned by the daemon.
 * 2. slot_info[gen][slot] says whether any rule exists for the option, and
 *    which keys are worth looking up: the cgroup levels at which a scope's
 *    cgroup sits, whether any scope names a uid, whether any has no cgroup.
 *    A call whose slot has no rule costs one array load.
 * 3. The rule is looked up in og_rules under keys built from the caller,
 *    most specific first; the first hit wins:
 *      for each cgroup level L set in slot_info, deepest first:
 *          (slot, uid, ancestor cgroup at L), then (slot, ANY, ancestor at L)
 *      then (slot, uid, 0), then (slot, ANY, 0)          ; 0 = no cgroup
 *    That is the policy's precedence: a deeper cgroup beats a shallower one,
 *    at the same depth a scope with a uid beats one without, and a scope with
 *    no selector ('*') comes last.  The number of lookups depends on how many
 *    levels the policy uses, never on how many rules it has.
 * 4. No rule: og_config.default_action (allow, or deny with default_err).
 *
 * Example: rules for SO_MARK with scope '*' (deny) and scope
 * cgroup=/a/b (allow) produce keys (SO_MARK, ANY, 0) and
 * (SO_MARK, ANY, id(/a/b)) with level bit 2 set.  A process in /a/b/c finds
 * the allow rule at level 2; one in /a finds only the deny.
 *
 * Generations: every key and slot_info row carries a generation (0 or 1) and
 * og_active_gen selects one, so a reload can fill the idle generation and
 * switch in one store.
 */
#ifndef OPTGUARD_ABI_H
#define OPTGUARD_ABI_H

#define OG_STR_MAX		16	/* TCP_CA_NAME_MAX, IFNAMSIZ */
#define OG_EXCEPT_MAX		16	/* integer values in an except list */
#define OG_EXCEPT_STR_MAX	8	/* string values in an except list */

#define OG_SLOTS_PER_LEVEL	256
#define OG_NLEVELS_FIXED	5
#define OG_NSLOTS_FIXED		(OG_NLEVELS_FIXED * OG_SLOTS_PER_LEVEL)
#define OG_NSLOTS_OTHER		256
#define OG_NSLOTS		(OG_NSLOTS_FIXED + OG_NSLOTS_OTHER)
#define OG_NGENS		2

#define OG_CG_LEVELS		24	/* cgroup levels a scope may name: 0..23 */
#define OG_UID_ANY		0xffffffffu

/* slot_info bits */
#define OG_SI_RULES		(1u << 31)	/* some rule exists for this slot */
#define OG_SI_UID		(1u << 30)	/* some key names a uid */
#define OG_SI_ANYCG		(1u << 29)	/* some key has no cgroup (cgid 0) */
#define OG_SI_LEVELS		((1u << OG_CG_LEVELS) - 1)

enum og_action {
	OG_ACT_NONE = 0,
	OG_ACT_ALLOW,
	OG_ACT_DENY,
	OG_ACT_REWRITE,
	OG_ACT_CLAMP,
	OG_ACT_FORCE,
	OG_ACT_AUDIT,
	OG_ACT_MAX,
};

/*
 * Value types.  SIZE is an INT that the policy may write with K/M/G; DSCP is
 * an INT holding a TOS/TCLASS byte, compared on its DSCP bits (0xfc) with the
 * application's ECN bits kept on rewrite.  UINT is an unsigned 32-bit value
 * (64 bits with OG_RF_U64).  OPAQUE options (structs) can be allowed, denied
 * and audited, never compared.  How wide the kernel reads a value, and with
 * which sign, is in og_rule.flags.
 */
enum og_vtype {
	OG_VT_OPAQUE = 0,
	OG_VT_INT,
	OG_VT_UINT,
	OG_VT_BOOL,
	OG_VT_SIZE,
	OG_VT_STR,
	OG_VT_DSCP,
	OG_VT_MAX,
};

enum og_mode {
	OG_MODE_ENFORCE = 0,
	OG_MODE_AUDIT,
};

enum og_hook {
	OG_HOOK_NONE = 0,
	OG_HOOK_CGROUP_SOCKOPT,
	OG_HOOK_LSM,
	OG_HOOK_POST_CREATE,
	OG_HOOK_CONNECT,
	OG_HOOK_SOCKOPS,
	OG_HOOK_SENDMSG,	/* lsm/socket_sendmsg: a control message (cmsg) */
	OG_HOOK_GUARD,		/* lsm/bpf, lsm/bpf_map: a change to optguard's own objects */
	OG_HOOK_UDP_SEND,	/* cgroup/sendmsg4/6: an unconnected UDP send (at = send) */
	OG_HOOK_SOCK_CREATE,	/* cgroup/sock_create: SO_MARK/SO_PRIORITY written at create */
};

/* og_event.rule_id of a guard event (bpf/guard/): level = the bpf() command, optname = id */
#define OG_GUARD_RULE_ID	0xffffffffu

/* og_rule.flags */
#define OG_RF_HAS_MIN	(1u << 0)	/* clamp: lo is set */
#define OG_RF_HAS_MAX	(1u << 1)	/* clamp: hi is set */
#define OG_RF_BYTE_OK	(1u << 2)	/* the kernel also takes a 1-byte value */
/*
 * How the kernel reads the value, so that the program decides on what the
 * kernel will use (an int otherwise: 4 bytes, signed):
 *   U32   the int is taken as unsigned (SO_RCVBUF's min_t(u32, ...), a u32
 *         field): read zero-extended and compared unsigned, -1 is 4294967295
 *   U64   64 bits when optlen >= 8, else 32 bits with ~0U meaning ~0ULL
 *         (SO_MAX_PACING_RATE); always handed to the kernel as 8 bytes
 *   LEN0  a value shorter than the kernel reads is the value 0 (IP_TOS with
 *         optlen 0, IPV6_AUTOFLOWLABEL below 4 bytes)
 */
#define OG_RF_U32	(1u << 3)
#define OG_RF_U64	(1u << 4)
#define OG_RF_LEN0	(1u << 5)

struct og_rule_key {
	__u32 slot;	/* gen << 31 | slot */
	__u32 uid;	/* OG_UID_ANY: the scope names no uid */
	__u64 cgid;	/* 0: the scope names no cgroup */
};

/* What the setsockopt point does with a call the rule matched. */
struct og_rule {
	__u32 id;		/* index into og_counters and the daemon's rule names */
	__u8 action;		/* enum og_action, as the kernel applies it */
	__u8 vtype;		/* enum og_vtype */
	__u8 nexcept;		/* entries used in except */
	__u8 flags;		/* OG_RF_* */
	__u32 err;		/* deny: positive errno */
	__u32 pad;
	__u64 lo, hi;		/* clamp bounds; unsigned for UINT and OG_RF_U32 */
	__u64 value;		/* rewrite: integer value */
	char str[OG_STR_MAX];	/* rewrite: string value, NUL padded */
	union {
		__u64 ints[OG_EXCEPT_MAX];
		char strs[OG_EXCEPT_STR_MAX][OG_STR_MAX];
	} except;		/* values that pass unchanged (deny, rewrite) */
};

/* Per-generation settings the programs read on every call. */
struct og_gen_config {
	__u8 mode;		/* enum og_mode */
	__u8 default_action;	/* OG_ACT_ALLOW or OG_ACT_DENY */
	__u8 log;		/* 0: no events (log = none) */
	__u8 lsm;		/* the LSM hook enforces value-blind denies */
	__u32 default_err;	/* positive errno when default = deny */
	__u32 default_id;	/* rule id of the default decision */
	__u32 other_slots;	/* non-zero: og_other_slots has entries */
	__u32 log_rate;		/* events per second per rule; 0 = no limit */
	__u8 log_force;		/* 1: also a forced value that took, and closes */
	__u8 compat;		/* 1: compat = deny (refuse 32-bit callers of value-aware rules) */
	__u8 cmsg;		/* 1: some rule or the default constrains an option a cmsg sets */
	__u8 pad2[1];
};

struct og_counters {
	__u64 decisions;	/* calls the rule decided (and close events of telemetry) */
	__u64 events;		/* events written to the ring buffer */
	__u64 dropped;		/* events lost: ring buffer full */
	__u64 suppressed;	/* events held back by log_rate */
	/* force rules: telemetry of the TCP sockets the rule forced a value on */
	__u64 connections;	/* established */
	__u64 retransmits;
	__u64 rtos;
	__u64 closes;
	__u64 lifetime_ns;	/* sum over the closed ones */
	/*
	 * force rules: values that took and were counted but not logged (log_force
	 * = changes, the default).  For every rule:
	 *   decisions = events + suppressed + dropped + unlogged
	 */
	__u64 unlogged;
};

#define OG_EV_STR	(1u << 0)	/* requested/effective are strings */
#define OG_EV_NOVAL	(1u << 1)	/* the value could not be read */
#define OG_EV_CLOSE	(1u << 2)	/* a TCP socket a force rule touched closed: tele_* */
#define OG_EV_COMPAT	(1u << 3)	/* a 32-bit (compat) caller, which the cgroup hook skips */
#define OG_EV_CMSG_MAX	(1u << 4)	/* sendmsg: more control messages than the walk reads */
#define OG_EV_GEN_SHIFT	31		/* the policy generation that decided */

struct og_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgid;		/* caller's cgroup id */
	__u64 requested;
	__u64 effective;
	__u32 pid, tid, uid;
	__u32 rule_id;
	__s32 level, optname;
	__s32 err;		/* positive errno returned (or that enforce would return) */
	__u16 family, type;
	__u8 hook;		/* enum og_hook */
	__u8 action;		/* enum og_action: the verdict */
	__u8 mode;		/* enum og_mode */
	__u8 vtype;		/* enum og_vtype */
	__u32 flags;		/* OG_EV_* */
	char comm[16];
	char req_str[OG_STR_MAX];
	char eff_str[OG_STR_MAX];
	/*
	 * OG_EV_CLOSE only (hook sockops, action force): one event per rule
	 * that forced a value on the socket; effective is that value.
	 */
	__u64 tele_lifetime_ns;	/* established -> close; 0: never established */
	__u32 tele_retransmits;
	__u32 tele_rtos;
};

/*
 * Forcing values onto sockets (create, connect, established)
 * ------------------------------------------------------------
 * The setsockopt point needs no map of its own: a force rule is encoded in
 * og_rules as what its on_change does to the application's own attempt.
 * The other points do not decide one call but put every forced option on a
 * socket, so their map is keyed by *scope* rather than by option:
 *
 *   og_force[(gen << 31, uid, cgid)] = struct og_force_set
 *
 * with the same uid/cgid key scheme as og_rules (OG_UID_ANY, cgid 0 = none).
 * The daemon numbers the distinct options the policy forces 0..n-1
 * (n <= OG_FORCE_MAX: the "force index").  A set holds, for the rules whose
 * scope produced that key, a mask of the force indexes any rule decides
 * (claimed: also allow, deny ... rules, which shadow a less specific force
 * of the same option) and the forced entries among them.
 *
 * A socket's *plan* is built once, where the creating task is known
 * (cgroup/sock_create; connect4/6 for a socket made before the policy), by
 * walking the keys exactly as find_rule() does, most specific first, guided
 * by og_force_info[gen] (the levels, uid, anycg bits of slot_info):
 *      for each set found:  take (forced & ~done), then done |= claimed
 * So for each option the most specific rule wins, as at setsockopt, and the
 * number of lookups depends on the cgroup levels the policy uses, never on
 * its size.  The plan (struct og_sk_plan, in sk_storage, cloned to accepted
 * children) carries copies of the entries: a reload never changes the plan
 * of a socket that exists, and never shows it half a policy.  Each point
 * then applies the entries whose `at` names it, with bpf_setsockopt, and
 * marks in the entry's `done` the points where the value took.  An entry
 * that took at connect is not set again at established on the same socket
 * (the value is in place: the application's own attempts in between went
 * through on_change).  Only entries that took count as forced: the
 * per-rule telemetry (connections, closes) and the close events are theirs,
 * and a socket where nothing took gets no extra sock_ops callbacks.  An
 * accepted socket starts with its listener's plan, `done` included (what
 * the listener got at create, the child inherits).
 *
 * Example: scope '*' forces TCP_CONGESTION=reno (index 0) and SO_MARK=7
 * (index 1); scope cgroup=/a/b has an allow rule for SO_MARK.  Keys:
 * (ANY, 0) = {claimed 0b11, forced 0b11}; (ANY, id(/a/b)) = {claimed 0b10,
 * forced 0}.  A socket made in /a/b/c gets reno and no mark; one in /a both.
 */
#define OG_FORCE_MAX		12	/* distinct options one policy may force */

/* points (struct og_force_ent.at); the same bits as the policy's OG_AT_* */
#define OG_FP_CREATE		(1u << 0)
#define OG_FP_CONNECT		(1u << 1)
#define OG_FP_ESTABLISHED	(1u << 2)
#define OG_FP_SEND		(1u << 3)	/* an unconnected UDP send (sendmsg4/6) */

/* struct og_force_ent.flags: the rule's options that change how it is forced */
#define OG_FE_TELEMETRY		(1u << 0)	/* the rule asked for per-socket telemetry */
#define OG_FE_DENY_UNFORCEABLE	(1u << 1)	/* refuse the connect/send where it cannot take */

struct og_force_ent {
	__u32 rule_id;
	__s16 level, optname;	/* levels 0, 1, 6, 41; optnames below OG_SLOTS_PER_LEVEL */
	__u8 at;		/* OG_FP_* */
	__u8 vtype;		/* enum og_vtype */
	__u8 len;		/* optlen for bpf_setsockopt: 4, or OG_STR_MAX for strings */
	__u8 done;		/* in a plan: OG_FP_* where the value took on this socket */
	__u8 flags;		/* OG_FE_* */
	__u8 pad[3];
	union {
		__u64 num;		/* len 4: an int option's value */
		char str[OG_STR_MAX];	/* len OG_STR_MAX: a string option's value, NUL padded */
	};
};

struct og_force_set {
	__u32 claimed;		/* force indexes a rule of this key decides */
	__u32 forced;		/* ... by forcing: ent[index] is valid */
	struct og_force_ent ent[OG_FORCE_MAX];
};

/*
 * og_force_info[gen]: the OG_SI_* bits of the og_force keys (levels, uid,
 * anycg, rules), and what the policy's force rules need besides:
 */
#define OG_FI_TELEMETRY	(1u << 28)	/* a rule asks for telemetry: sockets keep a plan */
#define OG_FI_SEND	(1u << 27)	/* a rule forces at send (cgroup/sendmsg4/6) */
#define OG_FI_CREATE_SK	(1u << 26)	/* a rule forces SO_MARK/SO_PRIORITY at create:
					 * cgroup/sock_create writes them */
_Static_assert(OG_CG_LEVELS <= 26, "og_force_info: the level bits meet the OG_FI_* bits");

/* og_sk_plan.flags */
#define OG_PL_CLOSED	(1u << 1)	/* the close events went out */

/* A socket's plan and telemetry (sk_storage, BPF_F_CLONE). */
struct og_sk_plan {
	__u32 gen;		/* the generation that built the plan */
	__u16 n;		/* entries used */
	__u16 flags;		/* OG_PL_* */
	__u64 cgid;		/* the creating task: the close event's caller */
	__u32 pid, uid;
	char comm[16];
	__u64 start_ns;		/* established */
	__u32 retransmits;	/* RETRANS_CB */
	__u32 rtos;		/* RTO_CB */
	struct og_force_ent ent[OG_FORCE_MAX];
};

/*
 * Every socket a force rule touches gets a plan (and the accepted socket a
 * copy of its listener's): 440 bytes keep the kernel's storage element
 * (64 bytes of list heads, the map pointer, the plan) within 512-byte slabs.
 */
_Static_assert(sizeof(struct og_sk_plan) <= 440, "og_sk_plan outgrew its 512-byte slab");

/* The fixed slot of (level, optname), or -1. */
static inline int og_slot_fixed(int level, int optname)
{
	int base;

	if (optname < 0 || optname >= OG_SLOTS_PER_LEVEL)
		return -1;
	switch (level) {
	case 1:		/* SOL_SOCKET */
		base = 0;
		break;
	case 0:		/* IPPROTO_IP */
		base = 1;
		break;
	case 6:		/* IPPROTO_TCP */
		base = 2;
		break;
	case 41:	/* IPPROTO_IPV6 */
		base = 3;
		break;
	case 17:	/* IPPROTO_UDP */
		base = 4;
		break;
	default:
		return -1;
	}
	return base * OG_SLOTS_PER_LEVEL + optname;
}

static inline __u64 og_other_key(int level, int optname)
{
	return ((__u64)(__u32)level << 32) | (__u32)optname;
}

#endif /* OPTGUARD_ABI_H */
