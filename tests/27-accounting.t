#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Accountable logs: log_rate holds back events, and what it holds back is
# counted and reported in summary events, so that decisions = events +
# suppressed + dropped, in the log and in `status`.  Events a full disk keeps
# out of the log file are counted and said too.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
pin=$OG_PIN
ev="$T/events.jsonl"
og_policy "$T/p.ini" "$cg" "$ev" <<INI

[rule:no-mark]
option = SO_MARK
action = deny
INI
# log_rate 5: what it holds back is what this test counts
sed -i 's/^log_rate = 0$/log_rate = 5/' "$T/p.ini"
og_must_start "$T/p.ini"
denied() {	# denied N: N denied SO_MARK calls from the test's cgroup, on one socket
	in_cg "$cg" python3 -c '
import socket, sys
s = socket.socket()
for i in range(int(sys.argv[1])):
    try:
        s.setsockopt(socket.SOL_SOCKET, 36, 1)
    except OSError:
        pass' "$1"
}
# 300 denied calls, in well under a second
denied 300
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

# --- the log file's disk is full: lost lines are said and counted ---------------
full="$T/full"
mkdir "$full"
if mount -t tmpfs -o size=64k,mode=0755 optguard-test "$full"; then
	trap 'umount "$full" 2> /dev/null; cleanup' EXIT
	# one page left: the first lines fit, a write stops inside a line, then none fits
	dd if=/dev/zero of="$full/filler" bs=4k count=15 2> /dev/null
	sed "s#^log_file = .*#log_file = $full/events.jsonl#; s#^log_rate = .*#log_rate = 0#" \
		"$T/p.ini" > "$T/full.ini"
	og_must_start "$T/full.ini"
	denied 50
	wait_grep "$T/daemon.err" "log_file $full/events.jsonl: No space left on device: events are lost"
	ok $? "disk full: the daemon says events are lost, naming the file and the error"
	rm -f "$full/filler"
	denied 30
	wait_grep "$T/daemon.err" "log_file $full/events.jsonl: written again; [0-9]+ events were lost"
	ok $? "space again: the daemon says the file is written again and how many were lost"
	st=$("$OPTGUARD" status --pin-dir "$pin")
	is "$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $3}')" "80" \
		"disk full: the kernel delivered all 80 events to the daemon"
	og_stop
	lost=$(sed -n "s#.*log_file $full/events.jsonl: \([0-9]*\) events could not be written.*#\1#p" \
		"$T/daemon.err")
	lines=$(grep -c '"rule":"no-mark","pid"' "$full/events.jsonl")
	ok "$([ "${lost:-0}" -gt 0 ]; echo $?)" "at stop: the events write errors lost in all ($lost)"
	is "$((lines + ${lost:-0}))" "80" "lines in the file + lost = events ($lines + $lost)"
	json_lines "$full/events.jsonl"
	ok $? "every line in the file is whole JSON (the line a write cut was taken back)"
	umount "$full"
else
	skip "cannot mount a tmpfs" "disk full: warning"
	skip "cannot mount a tmpfs" "disk full: recovery"
	skip "cannot mount a tmpfs" "disk full: 80 events"
	skip "cannot mount a tmpfs" "disk full: lost at stop"
	skip "cannot mount a tmpfs" "disk full: lines + lost"
	skip "cannot mount a tmpfs" "disk full: whole lines"
fi
done_testing
