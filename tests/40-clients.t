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
sockopt="$TESTS_DIR/clients/sockopt.py"

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
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $cg
pin_dir = $OG_PIN
log = json
log_file = $ev
log_rate = 0

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
og_start "$T/p.ini" || { echo "Bail out! daemon did not start"; exit 1; }

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
is "$(in_cg "$cg" python3 "$sockopt" -6 -u IPV6_TCLASS 0x88)" "set=0 get=136" \
	"IPv6 UDP: IPV6_TCLASS AF41 (0x88) is in except and passes"
is "$(in_cg "$cg" python3 "$sockopt" -6 -u IPV6_TCLASS 0xb9)" "set=0 get=185" \
	"IPv6 UDP: IPV6_TCLASS EF with an ECN bit (0xb9) passes (DSCP compared)"
is "$(in_cg "$cg" python3 "$sockopt" -6 -u IPV6_TCLASS 0x20)" "set=-1 errno=EPERM" \
	"IPv6 UDP: IPV6_TCLASS CS1 (0x20) is not in except and is denied"

# events: socat priority (deny), sndbuf (clamp), rcvbuf (rewrite), 3 tclass
wait_events "$ev" 6
is "$(wc -l < "$ev")" "6" "one event per decided call (none from outside the cgroup)"
line=$(evline "$ev" '"rule":"no-prio"')
is "$(jfield "$ev" "$line" comm)/$(jfield "$ev" "$line" action)" "socat/deny" \
	"event: socat's SO_PRIORITY denied"
is "$(jfield "$ev" "$line" requested)/$(jfield "$ev" "$line" errno)" "5/1" \
	"event: requested priority 5, errno 1"
line=$(evline "$ev" '"rule":"sndbuf"')
is "$(jfield "$ev" "$line" comm)/$(jfield "$ev" "$line" action)" "socat/clamp" \
	"event: socat's SO_SNDBUF clamped"
is "$(jfield "$ev" "$line" requested)/$(jfield "$ev" "$line" effective)" "1048576/65536" \
	"event: SO_SNDBUF 1048576 -> effective 65536"
line=$(evline "$ev" '"rule":"rcvbuf"')
is "$(jfield "$ev" "$line" comm)/$(jfield "$ev" "$line" action)" "socat/rewrite" \
	"event: socat's SO_RCVBUF rewritten"
is "$(jfield "$ev" "$line" requested)/$(jfield "$ev" "$line" effective)" "200000/32768" \
	"event: SO_RCVBUF 200000 -> effective 32768"
is "$(jfield "$ev" "$line" family)/$(jfield "$ev" "$line" type)" "inet/stream" \
	"event: socat's TCP socket is inet/stream"
line=$(evline "$ev" '"action":"deny".*"rule":"tclass"')
is "$(jfield "$ev" "$line" family)/$(jfield "$ev" "$line" type)" "inet6/dgram" \
	"event: the IPv6 UDP socket is inet6/dgram"
is "$(jfield "$ev" "$line" level)/$(jfield "$ev" "$line" option)" "IPPROTO_IPV6/IPV6_TCLASS" \
	"event: level and option of the IPv6 call"
is "$(jfield "$ev" "$line" requested)/$(jfield "$ev" "$line" comm)" "32/python3" \
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
og_start "$T/text.ini" || { echo "Bail out! daemon did not start"; exit 1; }
in_cg "$cg" socat -u OPEN:/dev/null TCP:127.0.0.1:"$port",priority=5 2> "$T/socat.err"
rc=$?
is "$([ "$rc" -ne 0 ] && echo failed || echo "exit $rc")" "failed" \
	"log = text: socat priority=5 is still denied"
is "$(in_cg "$cg" python3 "$sockopt" SO_PRIORITY 3 SO_PRIORITY 4)" \
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
