// SPDX-License-Identifier: GPL-2.0-only
/*
 * lsm/socket_sendmsg: values that come as control messages (cmsg).
 *
 * sendmsg() sets IP_TOS, IP_TTL, SO_MARK, SO_PRIORITY (6.13+), IPV6_TCLASS
 * and IPV6_HOPLIMIT per packet from control messages, without a setsockopt:
 * neither setsockopt hook sees them.  This hook does.  ____sys_sendmsg
 * copies (and for a compat caller converts) the control messages into a
 * kernel buffer before security_socket_sendmsg(), so msg_control is the
 * kernel's own copy (msg_control_is_user false, but for compat callers
 * before 6.4: see below; checked on 5.10, 6.1, 6.12, 6.18, 7.x): what is
 * read here is what the protocol will use, however the application changes
 * its memory meanwhile.  Each such cmsg is decided by
 * the rule of the option it sets (IPV6_HOPLIMIT by IPV6_UNICAST_HOPS's), as
 * a setsockopt of that value would be: a value a deny, rewrite or clamp
 * rule would not leave as it is fails the sendmsg with the rule's errno
 * (a message is not rewritten: its buffer is the kernel's); audit logs.
 * The walk reads at most OG_CMSG_MAX messages; a buffer with more fails
 * (fail closed).  Malformed messages are left to the kernel, which refuses
 * them (EINVAL).  Loaded only when the policy constrains one of these
 * options; global like lsm/socket_setsockopt: callers below the policy's
 * cgroup only.
 */
#include <bpf/bpf_core_read.h>

#define OG_CMSG_MAX		16
#define OG_IPV6_UNICAST_HOPS	16
#define OG_MSG_CMSG_COMPAT	0x80000000	/* ____sys_sendmsg of a compat caller */

/* struct cmsghdr, x86-64 */
struct og_cmsghdr {
	__u64 len;
	int level;
	int type;
};

/*
 * The decision for one value, in a function of its own (BPF global
 * function: verified once, not once per message of the walk).  0 to go on,
 * or the positive errno of a refusal.
 */
__attribute__((noinline)) int og_cmsg_decide(__u32 gen, int level, int optname, __u64 value,
					     __u32 famtype)
{
	const struct og_gen_config *cfg = &og_cfg[gen & 1];
	struct og_val req = {}, eff = {};
	struct og_call call;
	struct og_rule *r;
	__u32 err = 0, id;
	int verdict;

	req.num = value;
	r = lookup_rule(gen & 1, cfg, level, optname);
	if (r) {
		verdict = og_decide(r, &req, 1, &eff, &err);
		if (verdict == OG_ACT_ALLOW)
			return 0;	/* allow: the rule leaves this value as it is */
		id = r->id;
		if (verdict != OG_ACT_AUDIT) {
			verdict = OG_ACT_DENY;	/* rewrite, clamp: a message cannot be rewritten */
			if (!err)
				err = EPERM;
		}
	} else {
		if (cfg->default_action != OG_ACT_DENY)
			return 0;	/* allow: default allow */
		id = cfg->default_id;
		err = cfg->default_err;
		verdict = OG_ACT_DENY;
	}
	call.level = level;
	call.optname = optname;
	call.family = famtype >> 16;
	call.type = famtype & 0xffff;
	call.hook = OG_HOOK_SENDMSG;
	account(&call, gen & 1, cfg, id, verdict, err, r ? r->vtype : OG_VT_INT, 1, &req, &req);
	if (verdict == OG_ACT_AUDIT || cfg->mode == OG_MODE_AUDIT)
		return 0;	/* allow: audit changes nothing */
	return err;	/* deny */
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(og_lsm_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	__u32 gen = og_active_gen & 1, famtype;
	const struct og_gen_config *cfg = &og_cfg[gen];
	struct og_cmsghdr h;
	__u64 clen, off = 0;
	struct og_val none = {};
	struct og_call call;
	struct sock *sk;
	void *ctl;
	int i, err;

	if (ret) {
		if (ret < -OG_MAX_ERRNO || ret > 0)
			return -EPERM;	/* deny: not an errno, as far as the verifier knows */
		return ret;	/* deny with the earlier errno */
	}
	if (!cfg->cmsg)
		return 0;	/* allow: no rule constrains an option a cmsg sets */
	clen = msg->msg_controllen;
	if (clen < sizeof(h))
		return 0;	/* allow: no control message */
	if (bpf_current_task_under_cgroup(&og_root_cgroup, 0) != 1)
		return 0;	/* allow: the caller is outside the policy's cgroup */
	sk = sock->sk;
	famtype = (sk ? (__u32)sk->__sk_common.skc_family << 16 : 0) | (sock->type & 0xffff);
	ctl = msg->msg_control;
	/*
	 * A compat caller's messages were converted into a kernel buffer, but
	 * before "net/compat: Update msg_control_is_user when setting a kernel
	 * pointer" (6.4; not in 5.10 or 6.1) the flag still says user: seen on
	 * 6.1.  bpf_probe_read_kernel refuses user addresses in any case.
	 */
	if (BPF_CORE_READ_BITFIELD_PROBED(msg, msg_control_is_user) &&
	    !(msg->msg_flags & OG_MSG_CMSG_COMPAT))
		goto too_many;	/* not the kernel's copy: cannot be read safely, fail closed */

	for (i = 0; i < OG_CMSG_MAX; i++) {
		int level = -1, optname = 0;
		__u32 v32 = 0;
		__u8 v8 = 0;
		__u64 dlen, v;

		if (off + sizeof(h) > clen)
			return 0;	/* allow: every control message passed */
		if (bpf_probe_read_kernel(&h, sizeof(h), ctl + off))
			goto too_many;	/* fail closed: the kernel's buffer could not be read */
		if (h.len < sizeof(h) || h.len > clen - off)
			return 0;	/* allow: malformed, the kernel refuses it (EINVAL) */
		dlen = h.len - sizeof(h);
		if (h.level == 0 && (h.type == 1 || h.type == 2))	/* IP_TOS, IP_TTL */
			level = 0, optname = h.type;
		else if (h.level == 1 && (h.type == 36 || h.type == 12))	/* SO_MARK, SO_PRIORITY */
			level = 1, optname = h.type;
		else if (h.level == 41 && h.type == 67)		/* IPV6_TCLASS */
			level = 41, optname = 67;
		else if (h.level == 41 && h.type == 52)		/* IPV6_HOPLIMIT */
			level = 41, optname = OG_IPV6_UNICAST_HOPS;
		if (level >= 0) {
			/* read as the kernel does: an int, or (IP_TOS only) one byte */
			if (dlen == 4) {
				if (bpf_probe_read_kernel(&v32, 4, ctl + off + sizeof(h)))
					goto too_many;	/* fail closed: unreadable */
				v = level == 1 ? (__u64)v32 : (__u64)(__s64)(__s32)v32;
			} else if (dlen == 1 && level == 0 && optname == 1) {
				if (bpf_probe_read_kernel(&v8, 1, ctl + off + sizeof(h)))
					goto too_many;	/* fail closed: unreadable */
				v = v8;
			} else {
				level = -1;	/* a length the kernel refuses (EINVAL) */
			}
			/* IPV6_TCLASS, IPV6_HOPLIMIT -1: the socket's own value, nothing set */
			if (level == 41 && (__s64)v == -1)
				level = -1;
			if (level >= 0) {
				err = og_cmsg_decide(gen, level, optname, v, famtype);
				if (err)
					return og_neg_errno(err);	/* deny: the rule's errno */
			}
		}
		off += (h.len + 7) & ~7ull;	/* CMSG_ALIGN */
	}
	if (off + sizeof(h) > clen)
		return 0;	/* allow: every control message passed */
too_many:
	/* more control messages than the walk reads: refuse rather than let one through */
	call.level = 1;
	call.optname = 0;
	call.family = famtype >> 16;
	call.type = famtype & 0xffff;
	call.hook = OG_HOOK_SENDMSG;
	account_full(&call, gen, cfg, cfg->default_id, OG_ACT_DENY, EPERM, OG_VT_OPAQUE, 0, &none,
		     &none, NULL, 0, 0, OG_EV_CMSG_MAX);
	if (cfg->mode == OG_MODE_AUDIT)
		return 0;	/* allow: audit changes nothing */
	return -EPERM;	/* deny: fail closed */
}
