#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 32-bit (compat) callers: the kernel skips the cgroup setsockopt hook for
# compat syscalls (a `gcc -m32` binary, `int $0x80` from a 64-bit one) and
# for io_uring rings created by one (SOCKET_URING_OP_SETSOCKOPT, 6.7+).
# - lsm = off: the gap, asserted so that it stays known, and named at start;
# - with the LSM hook, compat = deny (the default): a compat caller of an
#   option a value-aware rule decides is refused with the rule's errno and an
#   event with "reason":"compat", by every path; an audit rule logs it; an
#   option with no rule is untouched; a 64-bit ring still goes through the
#   cgroup hook (clamped, not refused);
# - compat = allow: compat callers pass, and the start says which rules.
set -eu
. /selftests/lib.sh

out=$("$SOCKOPT32" 1 36 7 2>&1) || true
case "$out" in
set=0*) has32=1 ;;
*) has32=0 ;;
esac
why32="32-bit executables (CONFIG_IA32_EMULATION): $out"
t32() {	# t32 NAME CMD...: skip without 32-bit support
	if [ $has32 = 0 ]; then skip "$why32" "$1"; return 1; fi
	return 0
}

app=$(mkcg app)
ev=$T/events.jsonl
og_policy "$T/p.ini" "$app" <<INI
lsm = off

[rule:deny-mark]
option = SO_MARK
action = deny

[rule:ttl]
option = IP_TTL
action = clamp
min = 2
INI
if ! og_start "$T/p.ini"; then
	fail "optguard run (lsm = off) starts"
	exit 0
fi
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=1" \
	"the 64-bit client is denied by the cgroup hook"
if t32 "the 32-bit client in the same cgroup is not: the cgroup hook skips compat syscalls"; then
	is "$(in_cg "$app" "$SOCKOPT32" 1 36 5)" "set=0 get=5" \
		"the 32-bit client in the same cgroup is not: the cgroup hook skips compat syscalls"
	is "$(in_cg "$app" "$COMPAT" int80 0 2 1)" "set=0 get=1" \
		"int \$0x80 from a 64-bit binary gets past the clamp too (lsm = off)"
fi
like "$(cat "$T/daemon.err")" "32-bit \(compat\) callers bypass rules deny-mark, ttl" \
	"lsm = off: the start names the rules compat callers bypass"
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"

policy() {	# policy COMPAT
	og_policy "$T/p.ini" "$app" "$ev" <<INI
lsm = require
compat = $1

[rule:tos]
option = IP_TOS
action = deny
except = AF41
errno = EACCES

[rule:ttl]
option = IP_TTL
action = clamp
min = 2

[rule:rcvbuf]
option = SO_RCVBUF
action = clamp
max = 1M

[rule:prio]
option = SO_PRIORITY
action = audit
INI
}

: > "$ev"
policy deny
og_start_lsm "$T/p.ini" "compat callers are refused by the LSM hook" || exit 0
like "$(cat "$T/daemon.err")" \
	"32-bit \(compat\) callers of rules tos, ttl, rcvbuf are refused by the LSM hook" \
	"compat = deny: the start names the rules whose compat callers are refused"
is "$(in_cg "$app" "$SOCKOPT" 0 2 1)" "set=0 get=2" "64-bit: IP_TTL 1 is clamped to 2 (cgroup hook)"
if t32 "compat = deny: 32-bit IP_TOS EF refused with the rule's errno"; then
	is "$(in_cg "$app" "$SOCKOPT32" 0 1 184)" "set=-1 errno=13" \
		"compat = deny: 32-bit IP_TOS EF refused with the rule's errno"
	is "$(in_cg "$app" "$SOCKOPT32" 0 1 136)" "set=-1 errno=13" \
		"compat = deny: 32-bit IP_TOS AF41 too (the LSM hook sees no value)"
	is "$(in_cg "$app" "$SOCKOPT32" 0 2 1)" "set=-1 errno=1" \
		"compat = deny: 32-bit IP_TTL 1 (clamp rule) refused with EPERM"
	is "$(in_cg "$app" "$SOCKOPT32" 1 8 33554432)" "set=-1 errno=1" \
		"compat = deny: 32-bit SO_RCVBUF 32 MiB refused"
	is "$(in_cg "$app" "$COMPAT" int80 0 2 1)" "set=-1 errno=1" \
		"compat = deny: int \$0x80 from a 64-bit binary refused"
	is "$(in_cg "$app" "$COMPAT" int80 1 8 33554432)" "set=-1 errno=1" \
		"compat = deny: int \$0x80 SO_RCVBUF refused"
	is "$(in_cg "$app" "$SOCKOPT32" 1 12 3)" "set=0 get=3" \
		"an audit rule: the 32-bit call goes through"
	is "$(in_cg "$app" "$SOCKOPT32" 1 9 1)" "set=0 get=1" \
		"an option no rule names: the 32-bit call goes through"
	check "the refusal is an event with reason compat, hook lsm" \
		wait_grep "$ev" '"hook":"lsm","action":"deny","mode":"enforce","rule":"tos".*"errno":13,"reason":"compat"'
	check "the audited 32-bit call is an event with reason compat" \
		wait_grep "$ev" '"hook":"lsm","action":"audit","mode":"enforce","rule":"prio".*"reason":"compat"'
fi

# io_uring: SOCKET_URING_OP_SETSOCKOPT (6.7+)
u64=$(in_cg "$app" "$COMPAT" uring 0 2 1 2>&1) || true
case "$u64" in
uring=none*)
	skip "io_uring socket setsockopt (SOCKET_URING_OP_SETSOCKOPT, Linux 6.7+): $u64" \
		"io_uring: compat rings refused" ;;
*)
	is "$u64" "set=0 get=2" "io_uring, 64-bit ring: IP_TTL 1 clamped to 2 (cgroup hook runs)"
	is "$(in_cg "$app" "$COMPAT" uring -x 0 2 1)" "set=-1 errno=1" \
		"io_uring: a compat ring (made by int \$0x80) used by a 64-bit thread is refused"
	is "$(in_cg "$app" "$COMPAT" uring -x -a 0 2 1)" "set=-1 errno=1" \
		"io_uring: the same through an io-wq worker (IOSQE_ASYNC) is refused"
	is "$(in_cg "$app" "$COMPAT" uring -x 1 9 1)" "set=0 get=1" \
		"io_uring: a compat ring, an option no rule names: goes through"
	if t32 "io_uring: a ring of a 32-bit process is refused"; then
		is "$(in_cg "$app" "$COMPAT32" uring 0 2 1)" "set=-1 errno=1" \
			"io_uring: a ring of a 32-bit process is refused"
	fi ;;
esac
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"

policy allow
og_start "$T/p.ini" || { fail "optguard run (compat = allow) starts"; exit 0; }
like "$(cat "$T/daemon.err")" "32-bit \(compat\) callers bypass rules tos, ttl, rcvbuf \(compat = allow\)" \
	"compat = allow: the start names the rules compat callers bypass"
if t32 "compat = allow: a 32-bit IP_TTL 1 goes through"; then
	is "$(in_cg "$app" "$SOCKOPT32" 0 2 1)" "set=0 get=1" \
		"compat = allow: a 32-bit IP_TTL 1 goes through"
fi
og_stop
