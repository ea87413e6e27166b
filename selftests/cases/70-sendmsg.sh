#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sendmsg control messages (cmsg) set IP_TOS, IP_TTL, SO_MARK, IPV6_TCLASS,
# IPV6_HOPLIMIT per packet without a setsockopt.  With the LSM hook,
# lsm/socket_sendmsg decides each by the rule of its option: a value the rule
# would deny, rewrite or clamp fails the sendmsg with the rule's errno (an
# event with hook "sendmsg"); an allowed value goes through and is what the
# receiver sees; a caller outside the policy's cgroup is untouched; a policy
# that constrains none of these options does not load the program.  Also
# prints (never asserts) what the program costs a UDP send, under TCG.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
other=$(mkcg other)
ev=$T/events.jsonl
og_policy "$T/p.ini" "$app" "$ev" <<INI
lsm = require

[rule:tos]
option = IP_TOS
action = deny
except = AF41
errno = EACCES

[rule:ttl]
option = IP_TTL
action = clamp
min = 2

[rule:mark]
option = SO_MARK
action = deny
errno = EADDRNOTAVAIL

[rule:tclass]
option = IPV6_TCLASS
action = deny
except = AF41
errno = EACCES

[rule:hops]
option = IPV6_UNICAST_HOPS
action = clamp
min = 2
INI

bench() {	# bench LABEL [-c]: a report line, not a test
	local a
	a=$(in_cg "$app" "$COMPAT" bench "$@" 20000 2>&1) || true
	echo "$a"
}
base=$(bench)
basec=$(bench -c)

: > "$ev"
og_start_lsm "$T/p.ini" "control messages are checked" || exit 0
check "lsm/socket_sendmsg is loaded and attached" \
	grep -q "sendmsg control messages are checked (lsm/socket_sendmsg)" "$T/daemon.err"
is "$(in_cg "$app" "$COMPAT" cmsg 0 1 184)" "send=-1 errno=13" \
	"cmsg IP_TOS 0xb8 (EF, an int) fails with the rule's errno"
is "$(in_cg "$app" "$COMPAT" cmsg -b 0 1 184)" "send=-1 errno=13" \
	"cmsg IP_TOS 0xb8 as one byte fails too"
is "$(in_cg "$app" "$COMPAT" cmsg 0 1 136)" "send=0 tos=136 ttl=64" \
	"cmsg IP_TOS AF41 (in except) goes through, the receiver sees it"
is "$(in_cg "$app" "$COMPAT" cmsg 0 2 1)" "send=-1 errno=1" \
	"cmsg IP_TTL 1 (below the clamp's min) fails with EPERM"
is "$(in_cg "$app" "$COMPAT" cmsg 0 2 9)" "send=0 tos=0 ttl=9" \
	"cmsg IP_TTL 9 (inside the clamp) goes through"
is "$(in_cg "$app" "$COMPAT" cmsg 1 36 5)" "send=-1 errno=99" \
	"cmsg SO_MARK fails with the deny rule's errno (EADDRNOTAVAIL)"
is "$(in_cg "$app" "$COMPAT" cmsg -6 41 67 184)" "send=-1 errno=13" \
	"cmsg IPV6_TCLASS 0xb8 fails with the rule's errno"
is "$(in_cg "$app" "$COMPAT" cmsg -6 41 67 136)" "send=0 tclass=136 hlim=64" \
	"cmsg IPV6_TCLASS AF41 goes through"
is "$(in_cg "$app" "$COMPAT" cmsg -6 41 52 1)" "send=-1 errno=1" \
	"cmsg IPV6_HOPLIMIT 1 is decided by the IPV6_UNICAST_HOPS clamp: fails"
out=$("$COMPAT32" cmsg 0 1 0 2>&1) || true
case "$out" in
send=0*)
	is "$(in_cg "$app" "$COMPAT32" cmsg 0 1 184)" "send=-1 errno=13" \
		"a 32-bit sendmsg (compat cmsgs, converted by the kernel) fails too" ;;
*)
	skip "32-bit executables (CONFIG_IA32_EMULATION): $out" \
		"a 32-bit sendmsg (compat cmsgs, converted by the kernel) fails too" ;;
esac
is "$(in_cg "$other" "$COMPAT" cmsg 0 1 184)" "send=0 tos=184 ttl=64" \
	"a process outside the policy's cgroup is untouched"
check "the refusal is an event with hook sendmsg" \
	wait_grep "$ev" '"hook":"sendmsg","action":"deny","mode":"enforce","rule":"tos".*"requested":184'
with=$(bench)
withc=$(bench -c)
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"

# a policy that constrains none of these options: no lsm/socket_sendmsg
og_policy "$T/q.ini" "$app" <<INI
lsm = require

[rule:rcvbuf]
option = SO_RCVBUF
action = clamp
max = 1M
INI
og_start "$T/q.ini" || { fail "optguard run (no cmsg rule) starts"; exit 0; }
check "no rule a cmsg can escape: lsm/socket_sendmsg is not loaded" \
	sh -c "! grep -q 'lsm/socket_sendmsg' '$T/daemon.err'"
is "$(in_cg "$app" "$COMPAT" cmsg 0 1 184)" "send=0 tos=184 ttl=64" \
	"without such a rule a cmsg goes through"
og_stop

diag "UDP send cost under TCG (emulated: a ratio only, never a performance figure):"
diag "  no program: $base; with IP_TOS cmsg: $basec"
diag "  lsm/socket_sendmsg, no cmsg: $with; with IP_TOS cmsg (AF41, allowed): $withc"
ns() { echo "${1#ns_per_send=}"; }
if [ -n "$(ns "$base")" ] && [ "$(ns "$base")" -gt 0 ] 2>/dev/null &&
	[ "$(ns "$basec")" -gt 0 ] 2>/dev/null; then
	diag "  ratio with/without the program: no cmsg $(($(ns "$with") * 100 / $(ns "$base")))%," \
		"IP_TOS cmsg $(($(ns "$withc") * 100 / $(ns "$basec")))%"
fi
