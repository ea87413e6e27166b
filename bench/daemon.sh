#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# BENCH.md P6, P7, P8: the daemon, measured from outside, on this host.
#   P6  SIGHUP -> a 10k-rule policy in force, under a setsockopt hammer: the
#       hammer timestamps the first call the new policy decides (its errno
#       differs); no call may be allowed meanwhile (no half-loaded policy)
#   P7  RSS of the running daemon; its wake-ups in 5 idle seconds
#   P8  `optguard run` until the first call is enforced
#   P5  events received + counted losses vs decisions, under two hammers
# Median of 7 runs where it is a time.  Child cgroup and pin_dir of our own,
# removed at the end.  Root only.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
OG=${OPTGUARD:-$top/optguard}
cg2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 77; }
cg=$cg2/optguard-bench-$$
pin=/sys/fs/bpf/optguard-bench-$$
T=$(mktemp -d /tmp/optguard-bench.XXXXXX)
mkdir -p "$cg"
cleanup() {
	[ -n "${dpid:-}" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	"$OG" unload --pin-dir "$pin" > /dev/null 2>&1
	rm -f /run/optguard/optguard-bench-$$.lock /run/optguard/optguard-bench-$$.state
	for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	sleep 0.1
	rmdir "$cg" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# policy FILE ERRNO NRULES: deny SO_MARK with ERRNO, plus NRULES-1 uid-scoped rules
policy() {
	{
		printf '[enforcer]\ncgroup = %s\nlog = none\npin_dir = %s\n' "$cg" "$pin"
		printf '[rule:no-mark]\noption = SO_MARK\naction = deny\nerrno = %s\n' "$2"
		python3 - "$3" <<'PY'
import sys
for i in range(int(sys.argv[1]) - 1):
    print("[scope:u%d]\nuid = %d\n[rule:r%d]\nscope = u%d\noption = SO_PRIORITY\naction = deny" % (i, 300000 + i, i, i))
PY
	} > "$1"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ns() { date +%s%N; }

start() {	# start POLICY: the daemon in the background, wait for "enforcing"
	"$OG" run --policy "$1" 2> "$T/err" &
	dpid=$!
	for _ in $(seq 1 400); do
		grep -q enforcing "$T/err" && return 0
		sleep 0.01
	done
	echo "bench: daemon did not start:" >&2
	cat "$T/err" >&2
	exit 1
}
stop() {
	kill -TERM "$dpid"
	wait "$dpid" 2>/dev/null
	dpid=""
	"$OG" unload --pin-dir "$pin" > /dev/null
}

# P8: from exec to the first call denied, polled by a client in the cgroup
policy "$T/a.ini" EPERM 1
p8=()
for r in $(seq 1 7); do
	t0=$(now_ns)
	"$OG" run --policy "$T/a.ini" 2> "$T/err" &
	dpid=$!
	sh -c 'echo $$ > "$0/cgroup.procs"; exec python3 -c "
import socket, time, sys
s = socket.socket()
while True:
    try:
        s.setsockopt(socket.SOL_SOCKET, 36, 1)
    except OSError:
        print(time.time_ns()); break
    time.sleep(0.0005)"' "$cg" > "$T/p8"
	p8+=($(( ($(cat "$T/p8") - t0) / 1000000 )))
	stop
done
p8m=$(printf '%s\n' "${p8[@]}" | median)
echo "P8  start-up until the first call is enforced: median ${p8m} ms over 7 runs (${p8[*]}) (target <= 150 ms)"

# P7: RSS and idle wake-ups
start "$T/a.ini"
sleep 1.5
rss=$(awk '/^VmRSS/ {print $2}' /proc/$dpid/status)
c1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$dpid/status)
n1=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' /proc/$dpid/status)
sleep 5
c2=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$dpid/status)
n2=$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' /proc/$dpid/status)
echo "P7  daemon RSS $((rss / 1024)) MiB ($rss KiB) (target <= 8 MiB); wake-ups in 5 idle seconds: $(( (c2 - c1) + (n2 - n1) )) (target 0)"
stop

# P6: reload 10k rules under a hammer
policy "$T/big-a.ini" EPERM 10000
policy "$T/big-b.ini" EACCES 10000
p6=()
bad=0
for r in $(seq 1 7); do
	cp "$T/big-a.ini" "$T/live.ini"
	start "$T/live.ini"
	rm -f "$T/stop"
	sh -c 'echo $$ > "$0/cgroup.procs"; exec python3 -c "
import socket, time, os, sys, errno
s = socket.socket(); first = 0; allowed = 0; t_end = time.time() + 20
# until told to stop and the new policy was seen (or 20 s): a starved hammer still sees it
while not (os.path.exists(sys.argv[1]) and first) and time.time() < t_end:
    try:
        s.setsockopt(socket.SOL_SOCKET, 36, 1); allowed += 1
    except OSError as e:
        if e.errno == errno.EACCES and not first:
            first = time.time_ns()
print(first, allowed)" "$1"' "$cg" "$T/stop" > "$T/p6" &
	hp=$!
	sleep 0.3
	cp "$T/big-b.ini" "$T/live.ini"
	t0=$(now_ns)
	kill -HUP "$dpid"
	for _ in $(seq 1 500); do
		grep -q reloaded "$T/err" && break
		sleep 0.01
	done
	sleep 0.2
	touch "$T/stop"
	wait "$hp"
	read -r first allowed < "$T/p6"
	[ "$allowed" -eq 0 ] || bad=$((bad + allowed))
	[ "$first" -gt 0 ] && p6+=($(( (first - t0) / 1000000 ))) || p6+=(99999)
	stop
done
p6m=$(printf '%s\n' "${p6[@]}" | median)
echo "P6  SIGHUP -> 10k-rule policy in force under a hammer: median ${p6m} ms (${p6[*]}) (target <= 20 ms); calls allowed meanwhile: $bad (target 0)"

# P5: every decision accounted for, at the rate two hammers offer
cat > "$T/p5.ini" <<INI
[enforcer]
cgroup = $cg
log = json
log_file = $T/p5.jsonl
log_rate = 0
pin_dir = $pin

[rule:no-mark]
option = SO_MARK
action = deny
INI
start "$T/p5.ini"
rm -f "$T/stop"
hp=()
for h in 1 2; do
	sh -c 'echo $$ > "$0/cgroup.procs"; exec python3 "$1" "$2"' "$cg" \
		"$top/tests/clients/hammer.py" "$T/stop" > "$T/h$h" &
	hp+=($!)
done
sleep 3
touch "$T/stop"
wait "${hp[@]}"
st=$("$OG" status --pin-dir "$pin")
kill -TERM "$dpid"
wait "$dpid" 2>/dev/null
dpid=""
dec=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $2}')
sup=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $4}')
drop=$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $5}')
got=$(grep -c '"rule":"no-mark","pid"' "$T/p5.jsonl")
"$OG" unload --pin-dir "$pin" > /dev/null
echo "P5  $dec decisions in ~3 s ($((dec / 3)) per second offered by 2 hammers): $got events received + $sup suppressed + $drop dropped = $((got + sup + drop)); ratio $(awk -v a=$((got + sup + drop)) -v b="$dec" 'BEGIN {printf "%.4f", a / b}') (target 1.0)"
