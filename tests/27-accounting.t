#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Accountable logs: log_rate holds back events, and what it holds back is
# counted and reported in summary events, so that decisions = events +
# suppressed + dropped, in the log and in `status`.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
pin=$OG_PIN
ev="$T/events.jsonl"
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $cg
log = json
log_file = $ev
log_rate = 5
pin_dir = $pin

[rule:no-mark]
option = SO_MARK
action = deny
INI
og_start "$T/p.ini" || { echo "1..0 # SKIP daemon did not start"; exit 1; }
# 300 denied calls, in well under a second
in_cg "$cg" python3 -c '
import socket
s = socket.socket()
for i in range(300):
    try:
        s.setsockopt(socket.SOL_SOCKET, 36, 1)
    except OSError:
        pass'
st=$("$OPTGUARD" status --pin-dir "$pin")
dec=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $2}')
evs=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $3}')
sup=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $4}')
drop=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $5}')
is "$dec" "300" "status: 300 decisions"
ok "$([ "$evs" -ge 5 ] && [ "$evs" -le 15 ]; echo $?)" "status: log_rate let 5 to 15 events through ($evs; windows of one second)"
is "$((evs + sup + drop))" "$dec" "status: events + suppressed + dropped = decisions"
og_stop	# the daemon reports what it held back before it stops
n_events=$(grep -c '"rule":"no-mark","pid"' "$ev")
n_sup=$(python3 -c 'import json,sys
print(sum(json.loads(l).get("suppressed", 0) for l in open(sys.argv[1]) if "\"event\":\"summary\"" in l))' "$ev")
is "$n_events" "$evs" "the log has every event status counted"
is "$n_sup" "$sup" "summary events account for every suppressed event"
like "$(grep '"event":"summary"' "$ev" | head -1)" '"rule":"no-mark","suppressed":[0-9]+,"dropped":0' \
	"a summary event names the rule and its losses"
rm -f /run/optguard/optguard-test-$$.lock
done_testing
