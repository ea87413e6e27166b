#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The optlen > PAGE_SIZE race.  The kernel gives the
# cgroup program a copy of the first page only; if the program then sets
# optlen = 0 the kernel reads the user's buffer again, and a second thread
# that flips the value between the check and that read gets a forbidden
# value onto the socket.  tests/clients/race.c is that attacker: it calls
# setsockopt(.., buf, 8192) in a loop while a thread flips buf between a
# value the rule lets through and one it forbids, and reads the socket back
# after every call.  Every value-aware rule kind, for IP_TTL, IP_TOS,
# SO_RCVBUF and TCP_CONGESTION: 0 escapes in RACE_MIN calls per case (at
# least 1M per option; ~2 s a case on an idle machine), each case bounded by
# RACE_SECS.  Then audit mode:
# every event's requested value is the one the kernel got.
. "$(dirname "$0")/lib.sh"
require_root

race="${OUTPUT:-$TESTS_DIR/../.output}/tests/race"
[ -x "$race" ] || skip_all "no race client at $race (make $(basename "$race"))"
[ "$(nproc)" -ge 2 ] || skip_all "one CPU: the flipping thread cannot run beside the caller"
grep -qw reno /proc/sys/net/ipv4/tcp_available_congestion_control ||
	skip_all "no reno congestion control"
grep -qw cubic /proc/sys/net/ipv4/tcp_available_congestion_control ||
	skip_all "no cubic congestion control"

: "${RACE_MIN:=500000}"		# calls per case; two cases per option
: "${RACE_SECS:=7}"		# deadline per case: 8 cases, < 60 s in all

cg=$(mkcg race)
a=$(mkcg race/a)
b=$(mkcg race/b)
ev="$T/events.jsonl"
og_policy "$T/p.ini" "$cg" <<INI

[scope:a]
cgroup = $a

[scope:b]
cgroup = $b

; a: deny with except, rewrite, clamp, force with on_change = deny
[rule:ttl-allowlist]
scope = a
option = IP_TTL
action = deny
except = 64

[rule:tos-rewrite]
scope = a
option = IP_TOS
action = rewrite
value = CS1

[rule:rcvbuf-clamp]
scope = a
option = SO_RCVBUF
action = clamp
max = 64K

[rule:cc-force-deny]
scope = a
option = TCP_CONGESTION
action = force
value = reno
at = connect
on_change = deny

; b: clamp, deny with except, rewrite, force with on_change = rewrite
[rule:ttl-clamp]
scope = b
option = IP_TTL
action = clamp
max = 64

[rule:tos-allowlist]
scope = b
option = IP_TOS
action = deny
except = CS0, CS1

[rule:rcvbuf-rewrite]
scope = b
option = SO_RCVBUF
action = rewrite
value = 64K

[rule:cc-force-rewrite]
scope = b
option = TCP_CONGESTION
action = force
value = reno
at = connect
on_change = rewrite
INI
og_must_start "$T/p.ini"

declare -A total
# run CG NAME OPTION-KEY ARGS...: one race, 0 escapes expected
run() {
	local cgd=$1 name=$2 key=$3 out calls esc
	shift 3
	out=$(in_cg "$cgd" "$race" -n "$RACE_MIN" -t "$RACE_SECS" "$@")
	calls=$(sed -n 's/.*calls=\([0-9]*\).*/\1/p' <<< "$out")
	esc=$(sed -n 's/.*escapes=\([0-9]*\).*/\1/p' <<< "$out")
	diag "$name: $out"
	is "${esc:-?}" "0" "$name: no forbidden value reaches the socket (${calls:-?} racing calls)"
	total[$key]=$(( ${total[$key]:-0} + ${calls:-0} ))
}

# SOL_IP 0, IP_TOS 1, IP_TTL 2; SOL_SOCKET 1, SO_RCVBUF 8; SOL_TCP 6, TCP_CONGESTION 13
# (the kernel doubles SO_RCVBUF: 64K reads back as 131072)
run "$a" "IP_TTL deny except 64, 64 <-> 200" IP_TTL 0 2 64 200 64
run "$b" "IP_TTL clamp max 64, 32 <-> 200" IP_TTL 0 2 32 200 64
run "$a" "IP_TOS rewrite to CS1, 0x20 <-> 0xb8" IP_TOS 0 1 0x20 0xb8 0x20
run "$b" "IP_TOS deny except CS0/CS1, 0x20 <-> 0xb8" IP_TOS 0 1 0x20 0xb8 0x20
run "$a" "SO_RCVBUF clamp max 64K, 32K <-> 4M" SO_RCVBUF 1 8 32768 4194304 131072
run "$b" "SO_RCVBUF rewrite to 64K, 64K <-> 4M" SO_RCVBUF 1 8 65536 4194304 131072
run "$a" "TCP_CONGESTION force reno, on_change deny, reno <-> cubic" TCP_CONGESTION \
	-s 6 13 reno cubic
run "$b" "TCP_CONGESTION force reno, on_change rewrite, reno <-> cubic" TCP_CONGESTION \
	-s 6 13 reno cubic
# the deadline bounds the run on a loaded machine: fewer calls then weaken the
# test (a skip that says so) but are no escape
for o in IP_TTL IP_TOS SO_RCVBUF TCP_CONGESTION; do
	if [ "${total[$o]}" -ge $((2 * RACE_MIN)) ]; then
		ok 0 "$o: at least $((2 * RACE_MIN)) racing calls in all (got ${total[$o]})"
	else
		skip "the ${RACE_SECS} s deadline stopped it at ${total[$o]} (machine loaded)" \
			"$o: at least $((2 * RACE_MIN)) racing calls in all"
	fi
done
og_stop

# --- audit mode: the event names the value the kernel got -------------------
# Nothing is enforced, so every call sets the socket; each event's requested
# value must be that call's value.  The client counts the calls that left BAD
# on the socket; the events with requested BAD must be as many.
og_policy "$T/audit.ini" "$cg" "$ev" <<INI
mode = audit

[rule:ttl-allowlist]
option = IP_TTL
action = deny
except = 64
INI
og_must_start "$T/audit.ini"
n=8000		# 8000 events fit the 2 MiB ring buffer even if the daemon lags
# LIMIT 64: every call that left TTL 200 counts (and is reset, itself an event of 64)
out=$(in_cg "$a" "$race" -n "$n" -t "$RACE_SECS" 0 2 64 200 64)
diag "audit IP_TTL 64 <-> 200: $out"
calls=$(sed -n 's/.*calls=\([0-9]*\).*/\1/p' <<< "$out")
bad=$(sed -n 's/.*escapes=\([0-9]*\).*/\1/p' <<< "$out")
wait_events "$ev" $((calls + bad))
sleep 0.5
is "$(wc -l < "$ev")" "$((calls + bad))" "audit: one event per call (and per reset)"
is "$(grep -c '"requested":200,' "$ev")" "$bad" \
	"audit: events with requested 200 = calls that left TTL 200 on the socket ($bad)"
og_stop
done_testing
