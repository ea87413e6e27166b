#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real applications as clients of the policy: socat, connecting to a local
# TCP listener, with setsockopt options on its command line (priority= is
# denied, sndbuf= clamped, rcvbuf= rewritten); python3 with IPv6 UDP sockets
# (IPV6_TCLASS denied by value, DSCP names); and the text event log (log =
# text, log_file): one line per event.
. "$(dirname "$0")/lib.sh"
require_root
command -v socat > /dev/null || skip_all "no socat"

cg=$(mkcg app)
srv=$(mkcg srv)			# the listener: a sibling, outside the policy's cgroup

# the socat listener is stopped on exit, also on failure; lib's cleanup runs after
LISTENER_PID=""
stop_listener() {
	[ -n "$LISTENER_PID" ] || return 0
	kill -TERM "$LISTENER_PID" 2>/dev/null
	wait "$LISTENER_PID" 2>/dev/null
	LISTENER_PID=""
}
trap 'stop_listener; cleanup' EXIT

# an unused port on 127.0.0.1 (the kernel picks it), then socat listens there
port=$(free_port)
in_cg "$srv" socat TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork EXEC:/bin/cat \
	2> "$T/listener.err" &
LISTENER_PID=$!
for i in $(seq 1 100); do
	socat -u OPEN:/dev/null TCP:127.0.0.1:"$port" 2>/dev/null && break
	sleep 0.05
done
socat -u OPEN:/dev/null TCP:127.0.0.1:"$port" 2> "$T/probe.err"
ok $? "socat listener answers on 127.0.0.1:$port (outside the policy's cgroup)"

# --- 1. socat, json events -------------------------------------------------------
ev="$T/events.jsonl"
og_policy "$T/p.ini" "$cg" "$ev" <<INI

[rule:no-prio]
option = SO_PRIORITY
action = deny

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
max = 64K

[rule:rcvbuf]
option = SO_RCVBUF
action = rewrite
value = 32K

[rule:tclass]
option = IPV6_TCLASS
action = deny
except = AF41, EF
INI
og_must_start "$T/p.ini"

in_cg "$cg" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",priority=5 2> "$T/socat.err"
rc=$?
is "$([ "$rc" -ne 0 ] && echo failed || echo "exit $rc")" "failed" \
	"socat priority=5 under a deny rule for SO_PRIORITY fails"
like "$(cat "$T/socat.err")" "Operation not permitted" \
	"socat's error says Operation not permitted"
in_cg "$srv" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",priority=5 2> "$T/socat-out.err"
ok $? "socat priority=5 outside the policy's cgroup succeeds"

in_cg "$cg" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",sndbuf=1048576 2> "$T/socat.err"
ok $? "socat sndbuf=1048576 under a clamp rule succeeds"
in_cg "$cg" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",rcvbuf=200000 2> "$T/socat.err"
ok $? "socat rcvbuf=200000 under a rewrite rule succeeds"

# python3, IPv6 UDP socket: DSCP compared, ECN bits kept
client_table "$cg" <<CALLS
-6 -u IPV6_TCLASS 0x88 | set=0 get=136      | IPv6 UDP: IPV6_TCLASS AF41 (0x88) is in except and passes
-6 -u IPV6_TCLASS 0xb9 | set=0 get=185      | IPv6 UDP: IPV6_TCLASS EF with an ECN bit (0xb9) passes (DSCP compared)
-6 -u IPV6_TCLASS 0x20 | set=-1 errno=EPERM | IPv6 UDP: IPV6_TCLASS CS1 (0x20) is not in except and is denied
CALLS
# events: socat priority (deny), sndbuf (clamp), rcvbuf (rewrite), 3 tclass
wait_events "$ev" 6
is "$(wc -l < "$ev")" "6" "one event per decided call (none from outside the cgroup)"
line=$(evline "$ev" '"rule":"no-prio"')
is "$(jfields "$ev" "$line" comm action)" "socat/deny" \
	"event: socat's SO_PRIORITY denied"
is "$(jfields "$ev" "$line" requested errno)" "5/1" \
	"event: requested priority 5, errno 1"
line=$(evline "$ev" '"rule":"sndbuf"')
is "$(jfields "$ev" "$line" comm action)" "socat/clamp" \
	"event: socat's SO_SNDBUF clamped"
is "$(jfields "$ev" "$line" requested effective)" "1048576/65536" \
	"event: SO_SNDBUF 1048576 -> effective 65536"
line=$(evline "$ev" '"rule":"rcvbuf"')
is "$(jfields "$ev" "$line" comm action)" "socat/rewrite" \
	"event: socat's SO_RCVBUF rewritten"
is "$(jfields "$ev" "$line" requested effective)" "200000/32768" \
	"event: SO_RCVBUF 200000 -> effective 32768"
is "$(jfields "$ev" "$line" family type)" "inet/stream" \
	"event: socat's TCP socket is inet/stream"
line=$(evline "$ev" '"action":"deny".*"rule":"tclass"')
is "$(jfields "$ev" "$line" family type)" "inet6/dgram" \
	"event: the IPv6 UDP socket is inet6/dgram"
is "$(jfields "$ev" "$line" level option)" "IPPROTO_IPV6/IPV6_TCLASS" \
	"event: level and option of the IPv6 call"
is "$(jfields "$ev" "$line" requested comm)" "32/python3" \
	"event: requested TCLASS 0x20 by python3"
is "$(grep -c '"action":"allow".*"rule":"tclass"' "$ev")" "2" "event: both excepted TCLASS values logged as allow"
og_stop

# --- 2. log = text --------------------------------------------------------------
log="$T/events.log"
cat > "$T/text.ini" <<INI
[enforcer]
cgroup = $cg
pin_dir = $OG_PIN
log = text
log_file = $log
log_rate = 0

[rule:no-prio]
option = SO_PRIORITY
action = deny
INI
og_must_start "$T/text.ini"
in_cg "$cg" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",priority=5 2> "$T/socat.err"
rc=$?
is "$([ "$rc" -ne 0 ] && echo failed || echo "exit $rc")" "failed" \
	"log = text: socat priority=5 is still denied"
is "$(client_in "$cg" SO_PRIORITY 3 SO_PRIORITY 4)" \
	"set=-1 errno=EPERM
set=-1 errno=EPERM" "log = text: python3's two SO_PRIORITY calls are denied"
wait_events "$log" 3
is "$(wc -l < "$log")" "3" "log = text: one line per event"
is "$(grep -c 'action=deny' "$log")" "3" "log = text: every line has action=deny"
is "$(grep -c 'rule="no-prio"' "$log")" "3" "log = text: every line has rule=\"no-prio\""
like "$(head -1 "$log")" \
	'^20[0-9-]{8}T[0-9:.]{15}Z hook=cgroup_setsockopt action=deny mode=enforce rule="no-prio" .*comm="socat" .*option=SO_PRIORITY requested=5 .*errno=1$' \
	"log = text: the socat line has its fields in order"
is "$(grep -c '^{' "$log")" "0" "log = text: no JSON lines"
og_stop

stop_listener
done_testing
