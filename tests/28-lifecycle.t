#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Enforcement outlives the daemon: SIGKILL under a setsockopt
# hammer lets no call through; a new daemon takes over the pinned programs
# with no gap, 20 times in a row; SIGTERM leaves the policy enforced; a bad
# policy at start changes nothing; `optguard unload` removes everything.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
pin=$OG_PIN
policy() {	# policy ERRNO: deny SO_MARK with ERRNO
	og_policy "$T/p.ini" "$cg" <<INI

[rule:no-mark]
option = SO_MARK
action = deny
errno = $1
INI
}
# hammer_start / hammer_stop: SO_MARK in a loop inside the cgroup
hammer_start() {
	rm -f "$T/stop" "$T/ready"
	in_cg "$cg" python3 "$TESTS_DIR/clients/hammer.py" "$T/stop" "$T/ready" > "$T/hammer" &
	HAMMER=$!
	for _ in $(seq 1 400); do	# until it calls (a loaded machine is slow to start python)
		[ -e "$T/ready" ] && break
		sleep 0.05
	done
}
# (not in $(...): the hammer is a child of this shell, not of a subshell)
hammer_stop() {
	touch "$T/stop"
	wait "$HAMMER"
	out=$(cat "$T/hammer")
}
# start_daemon: og_start without the bookkeeping that og_stop would undo
start_daemon() {
	og_start "$T/p.ini" || return 1
}

policy EPERM
start_daemon || { echo "1..0 # SKIP daemon did not start"; exit 1; }
hammer_start
og_kill KILL
sleep 0.3
hammer_stop
like "$out" "allowed=0 errnos=1$" "SIGKILL under a hammer: no call escapes ($out)"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"after SIGKILL the last policy is still enforced"
st=$("$OPTGUARD" status --pin-dir "$pin" 2>&1)
ok $? "status exits 0 while pinned enforcement runs without a daemon"
like "$st" "not running: what instance [0-9a-f]{16} pinned stays in force" "... and says no daemon runs"

# a new daemon takes over with another errno: every call is denied, first
# with the old errno and then with the new one, never allowed
policy EACCES
hammer_start
start_daemon || fail_start=1
hammer_stop
# (a hammer starved of CPU may not call again after the take-over: the errno set may lack 13)
like "$out" "allowed=0 errnos=(1|1,13|13)$" "a new daemon takes over under a hammer: no call escapes ($out)"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EACCES" \
	"the new daemon's policy is in force"
is "$(ls "$pin" | grep -c '^inst-')" "1" "only the new daemon's pins remain"

# 20 restart cycles under one hammer: SIGTERM leaves the pins, the next start takes over
hammer_start
fails=0
for i in $(seq 1 20); do
	og_kill TERM
	start_daemon || fails=$((fails + 1))
done
hammer_stop
is "$fails" "0" "20 restarts: every daemon started"
like "$out" "allowed=0 errnos=13$" "20 restarts under a hammer: no call escapes ($out)"

# optguard reload from another shell
policy ENOPROTOOPT
out=$("$OPTGUARD" reload --pin-dir "$pin" --policy "$T/p.ini" 2>&1)
is "$?" "0" "optguard reload: exit 0 ($out)"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" \
	"optguard reload: the new policy is in force"
cp "$T/p.ini" "$T/good.ini"
printf '[rule:y]\noption = SO_MARK\naction = nonsense\n' >> "$T/p.ini"
out=$("$OPTGUARD" reload --pin-dir "$pin" --policy "$T/p.ini" 2>&1)
is "$?" "1" "optguard reload of an invalid file: exit 1"
like "$out" "p.ini:[0-9]+: " "... printing FILE:LINE errors"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" \
	"... and the policy in force stays"
# the daemon started without force rules, so without the force programs: a restart loads them
cp "$T/good.ini" "$T/p.ini"
printf '[rule:ka]\noption = SO_KEEPALIVE\naction = force\nvalue = on\nat = connect\n' >> "$T/p.ini"
out=$("$OPTGUARD" reload --pin-dir "$pin" --policy "$T/p.ini" 2>&1)
is "$?" "1" "a reload adding the first force rule: exit 1"
like "$(cat "$T/daemon.err")" "p.ini:[0-9]+: rule ka: .*restart optguard" \
	"... the daemon names the rule and asks for a restart"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" \
	"... and the policy in force stays"
cp "$T/good.ini" "$T/p.ini"

# SIGTERM: the policy stays enforced, the daemon says so
og_kill TERM
like "$(tail -1 "$T/daemon.err")" "stopped: the policy stays enforced \(pinned under $pin/inst-[0-9a-f]{16}\)" \
	"SIGTERM: the daemon says the policy stays enforced"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" \
	"after SIGTERM the policy is still enforced"

# a bad policy at start changes nothing
printf '[enforcer]\ncgroup = %s\npin_dir = %s\n[rule:x]\noption = SO_NOSUCH\naction = deny\n' \
	"$cg" "$pin" > "$T/bad.ini"
"$OPTGUARD" run --policy "$T/bad.ini" 2> "$T/bad.err"
is "$?" "1" "a daemon with a bad policy does not start"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=ENOPROTOOPT" \
	"... and the pinned policy stays in force"

out=$("$OPTGUARD" unload --pin-dir "$pin")
ok $? "unload exits 0"
like "$out" "unloaded: [0-9]+ links? detached" "unload says what it detached"
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" \
	"after unload nothing is enforced"
ok "$([ ! -e "$pin" ]; echo $?)" "unload removed the pin directory"
rm -f /run/optguard/optguard-test-$$.lock
done_testing
