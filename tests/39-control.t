#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon's control socket, its policy watch, its stdout and /metrics:
# `optguard reload` gets the daemon's answer (the file's sha256, or its
# FILE:LINE errors); the socket is root's alone (mode 0600, SO_PEERCRED);
# status asks the daemon and falls back to the state file when none
# answers; a ConfigMap-style "..data" symlink swap reloads (watch = on), an
# invalid one keeps the policy in force and is an event; with log_file = -
# stdout carries JSON lines only; /metrics answers curl; systemd hears
# RELOADING=1, READY=1 and STOPPING=1.
. "$(dirname "$0")/lib.sh"
require_root
command -v curl > /dev/null || skip_all "no curl"

cg=$(mkcg app)
sockopt="$TESTS_DIR/clients/sockopt.py"
sock=/run/optguard/optguard-test-$$.sock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# a ConfigMap volume: policy.ini -> ..data/policy.ini, ..data -> ..VERSION
cm="$T/cm"
mkdir -p "$cm"
version() {	# version NAME ERRNO [EXTRA]: a new ..NAME directory with the policy
	mkdir "$cm/..$1"
	cat > "$cm/..$1/policy.ini" <<INI
[enforcer]
cgroup = $cg
log = json
log_file = -
pin_dir = $OG_PIN
watch = on
metrics = 127.0.0.1:$port

[rule:no-mark]
option = SO_MARK
action = deny
errno = $2
$3
INI
}
swap() {	# swap NAME: what kubelet does, an atomic rename of a new ..data symlink
	ln -s "..$1" "$cm/..data_tmp"
	mv -T "$cm/..data_tmp" "$cm/..data"
}
version v1 EPERM
ln -s ..v1 "$cm/..data"
ln -s ..data/policy.ini "$cm/policy.ini"

# systemd's notify socket: every datagram, one a line
python3 - "$T/notify" "$T/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        m = s.recv(4096).decode()
        f.write(m.replace("\n", " ") + "\n")
PY
NOTIFY_PID=$!
for _ in $(seq 1 100); do [ -S "$T/notify" ] && break; sleep 0.05; done

NOTIFY_SOCKET="$T/notify" timeout 300 "$OPTGUARD" run --policy "$cm/policy.ini" \
	> "$T/out" 2> "$T/err" &
RUN=$!
stop_all() {
	kill -TERM "$RUN" 2> /dev/null
	wait "$RUN" 2> /dev/null
	kill "$NOTIFY_PID" 2> /dev/null
	"$OPTGUARD" unload --pin-dir "$OG_PIN" > /dev/null 2>&1
	cleanup
}
trap stop_all EXIT
wait_grep "$T/err" "enforcing" || { sed 's/^/# /' "$T/err"; echo "Bail out! no start"; exit 1; }
wait_grep "$T/notify.log" "^READY=1"

is "$(stat -c '%a %U %F' "$sock")" "600 root socket" "the control socket: mode 0600, root's, a socket"
# the mode keeps others out; SO_PEERCRED too, for a socket someone opened up
chmod 0666 "$sock"
# (a python3 that uid 65534 can run: pyenv's lives under /root)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:	# the daemon may refuse and close before the request is sent: its answer is queued
    s.sendall(b"stop\n"); s.shutdown(socket.SHUT_WR)
except (BrokenPipeError, ConnectionResetError):
    pass
print(s.recv(4096).decode().replace("\n", " "))' "$sock" 2>&1)
chmod 0600 "$sock"
like "$out" "^error uid 65534 is not root" "a peer that is not uid 0 is refused (SO_PEERCRED)"
kill -0 "$RUN"
ok $? "... and the daemon did not stop"

st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)
like "$st" "daemon: +instance [0-9a-f]{16}, answering on its control socket" "status asks the daemon"

# reload through the socket: the daemon's answer
sed -i 's/^errno = EPERM/errno = EACCES/' "$cm/..v1/policy.ini"
sha=$(sha256sum < "$cm/..v1/policy.ini" | cut -d' ' -f1)
out=$("$OPTGUARD" reload --pin-dir "$OG_PIN" 2>&1)
is "$?" "0" "reload: exit 0"
is "$out" "reloaded: $cm/policy.ini sha256 $sha in force (1 rules, mode enforce)" \
	"reload: the daemon answers with the file and its sha256"
is "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=EACCES" "... and it is in force"
like "$(cat "$T/notify.log")" "RELOADING=1 MONOTONIC_USEC=[0-9]+" "systemd hears RELOADING=1 with MONOTONIC_USEC"
is "$(grep -c '^READY=1' "$T/notify.log")" "2" "... then READY=1 again"

printf '[rule:bad]\noption = SO_MARK\naction = nonsense\n' >> "$cm/..v1/policy.ini"
bad=$(grep -n '^action = nonsense' "$cm/..v1/policy.ini" | cut -d: -f1)
out=$("$OPTGUARD" reload --pin-dir "$OG_PIN" 2>&1)
is "$?" "1" "reload of an invalid file: exit 1"
like "$out" "policy.ini:$bad: .*nonsense" "... the daemon answers with its FILE:LINE errors"
is "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=EACCES" "... and the policy in force stays"
wait_grep "$T/out" '"event":"reload","result":"refused","trigger":"control"'
ok $? "... and the refusal is an event"

# SIGHUP (systemd's ExecReload) still reloads
sed -i '/^\[rule:bad\]/,$d' "$cm/..v1/policy.ini"
sed -i 's/^errno = EACCES/errno = ENOPROTOOPT/' "$cm/..v1/policy.ini"
# (the watch reloads this edit too: either way it must be in force)
kill -HUP "$RUN"
for _ in $(seq 1 100); do
	[ "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" = "set=-1 errno=ENOPROTOOPT" ] && break
	sleep 0.05
done
is "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" "SIGHUP reloads"

# a ConfigMap update: a new ..data symlink renamed over the old
version v2 EPERM
n=$(grep -c "reloaded $cm/policy.ini" "$T/err")
swap v2
wait_grep "$T/err" "reloaded $cm/policy.ini" $((n + 1))
is "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=EPERM" \
	"watch = on: a ConfigMap-style ..data swap reloads"
version v3 EACCES '[rule:bad]
option = SO_MARK
action = nonsense'
swap v3
wait_grep "$T/out" '"event":"reload","result":"refused","trigger":"watch"'
ok $? "an invalid ConfigMap update is an event"
like "$(cat "$T/err")" "policy.ini:[0-9]+: .*nonsense" "... and a FILE:LINE log line"
is "$(in_cg "$cg" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=EPERM" "... and the policy in force stays"

# /metrics: the decisions so far, as the pinned counters say
m=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics")
like "$m" 'optguard_rule_decisions_total\{rule="no-mark"\} [1-9][0-9]*' "/metrics with curl: the rule's decisions"
like "$m" "policy_sha256=\"$(sha256sum < "$cm/..v2/policy.ini" | cut -d' ' -f1)\"" \
	"... and the sha256 of the policy in force"
before=$(printf '%s\n' "$m" | sed -n 's/^optguard_rule_decisions_total{rule="no-mark"} //p')
in_cg "$cg" python3 "$sockopt" SO_MARK 5 > /dev/null
after=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
	sed -n 's/^optguard_rule_decisions_total{rule="no-mark"} //p')
is "$after" "$((before + 1))" "... counting each call"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/other")" "404" \
	"... another path: 404"

# stdout: JSON lines only, the events; diagnostics on stderr
kill -TERM "$RUN"
wait "$RUN"
is "$?" "0" "SIGTERM: the daemon stops, exit 0"
like "$(tail -1 "$T/notify.log")" "^STOPPING=1" "systemd hears STOPPING=1"
out=$(python3 -c '
import json, sys
n = bad = 0
for line in open(sys.argv[1]):
    n += 1
    try:
        json.loads(line)
    except ValueError:
        bad += 1
print("lines=%d non_json=%d" % (n, bad))' "$T/out")
like "$out" "^lines=([5-9]|[1-9][0-9]+) non_json=0$" "stdout carries JSON lines only ($out)"
like "$(cat "$T/err")" "enforcing" "... and the diagnostics went to stderr"

# no daemon: status falls back to the state file, and says so
st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)
like "$st" "daemon: +not running: what instance [0-9a-f]{16} pinned stays in force" \
	"status without a daemon: from the state file, saying no daemon runs"
done_testing
