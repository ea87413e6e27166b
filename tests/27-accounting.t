#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Accountable logs: log_rate holds back events, and what it holds back is
# counted and reported in summary events, so that decisions = events +
# suppressed + dropped (+ unlogged: forced values that took and that
# log_force = errors counts without logging), in the log and in `status`.  Events a full disk keeps
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
unl=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $6}')
is "$dec" "300" "status: 300 decisions"
ok "$([ "$evs" -ge 5 ] && [ "$evs" -le 15 ]; echo $?)" "status: log_rate let 5 to 15 events through ($evs; windows of one second)"
is "$unl" "0" "status: a deny rule leaves nothing unlogged"
is "$((evs + sup + drop + unl))" "$dec" "status: events + suppressed + dropped + unlogged = decisions"
og_stop	# the daemon reports what it held back before it stops
n_events=$(grep -c '"rule":"no-mark","pid"' "$ev")
n_sup=$(python3 -c 'import json,sys
print(sum(json.loads(l).get("suppressed", 0) for l in open(sys.argv[1]) if "\"event\":\"summary\"" in l))' "$ev")
is "$n_events" "$evs" "the log has every event status counted"
is "$n_sup" "$sup" "summary events account for every suppressed event"
like "$(grep '"event":"summary"' "$ev" | head -1)" '"rule":"no-mark","suppressed":[0-9]+,"dropped":0' \
	"a summary event names the rule and its losses"

# --- force rules: a forced value that took is counted, not logged (log_force = errors) ---
og_policy "$T/f.ini" "$cg" "$ev" <<INI

[rule:fmark]
option = SO_MARK
action = force
value = 9
at = connect
INI
: > "$ev"
og_must_start "$T/f.ini"
# 40 UDP sockets connected from the cgroup: the connect point forces SO_MARK on each
in_cg "$cg" python3 -c '
import socket
for i in range(40):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", 9))
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_MARK) == 9, "not forced"
    s.close()'
ok $? "force: 40 connected UDP sockets got the forced mark"
st=$("$OPTGUARD" status --pin-dir "$pin")
read -r dec evs sup drop unl <<< "$(printf '%s\n' "$st" | awk '$1 == "fmark" {print $2, $3, $4, $5, $6}')"
is "$dec" "40" "force: status counts 40 decisions (one forced value per socket)"
is "$evs/$unl" "0/40" "force: none logged (log_force = errors), all 40 counted as unlogged"
is "$((evs + sup + drop + unl))" "$dec" "force: events + suppressed + dropped + unlogged = decisions"
like "$("$OPTGUARD" status --pin-dir "$pin" --prometheus -)" 'optguard_rule_forces_unlogged_total\{rule="fmark"\} 40' \
	"force: the prometheus textfile has the unlogged count"
og_stop
like "$(grep 'stopping:' "$T/daemon.err")" "stopping: 40 decisions, 0 events, 0 suppressed by log_rate, 0 dropped \(ring buffer full\), 40 forced values counted, not logged" \
	"force: the daemon's stop summary adds up the same way"

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
