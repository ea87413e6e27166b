#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# optguard protects itself from a process short of full root:
# uid 0 with every capability dropped cannot take the daemon's fds (pidfd_getfd), open,
# detach, chmod or remove what it pinned; and a daemon whose pins root removed does not
# claim at stop that its policy stays enforced.
. "$(dirname "$0")/lib.sh"
require_root
ATTACK=${OUTPUT:-$(dirname "$0")/../.output}/tests/attack
[ -x "$ATTACK" ] || skip_all "no $ATTACK (make test builds it)"
command -v setpriv > /dev/null || skip_all "no setpriv (util-linux)"
# uid 0, no capability in any set: a hardened root service (CapabilityBoundingSet= empty)
capless() { setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- "$@"; }
capless true || skip_all "setpriv cannot drop the bounding set here"

cg=$(mkcg app)
og_policy "$T/p.ini" "$cg" <<INI

[rule:no-mark]
option = SO_MARK
action = deny
errno = EACCES

[rule:prio]
option = SO_PRIORITY
action = clamp
max = 3
INI
mark() { client_in "$cg" SO_MARK 5; }
prio() { client_in "$cg" SO_PRIORITY 6; }
og_must_start "$T/p.ini"
is "$(mark)" "set=-1 errno=EACCES" "enforced before the attacks"
like "$(grep -E '^(CapEff|CapBnd)' /proc/$$/status | tr '\n' ' ')" "" "(the test runs with capabilities)"
is "$(capless grep CapEff /proc/self/status | awk '{print $2}')" "0000000000000000" \
	"the attacker has no effective capability"

# 1. the daemon's fds: pidfd_getfd needs ptrace access, which a non-dumpable process
#    grants only to CAP_SYS_PTRACE
out=$(capless "$ATTACK" getfd "$DAEMON_PID")
like "$out" "deleted=0 detached=0" "capless uid 0: pidfd_getfd on the daemon deletes no key, detaches nothing ($out)"
like "$out" "got=0 " "... and takes no fd at all ($out)"
is "$(grep -c . /proc/$DAEMON_PID/status > /dev/null; awk '/^Uid/ {print $2}' /proc/$DAEMON_PID/status)" "0" \
	"(the daemon is still uid 0)"
is "$(mark)" "set=-1 errno=EACCES" "deny still enforced after pidfd_getfd"
is "$(prio)" "set=0 get=3" "clamp still enforced after pidfd_getfd"
fdlink=$(capless ls -l /proc/$DAEMON_PID/fd/ 2>&1 | grep -c 'bpf')
is "$fdlink" "0" "capless uid 0 cannot list the daemon's fds in /proc"

# 2. the pins: BPF_OBJ_GET checks the pin's mode, BPF_LINK_DETACH checks nothing more
sub=$(ls -d "$OG_PIN"/*/ | head -1)
sub=${sub%/}
link=$(ls "$sub" | grep '^link-setsockopt' | head -1)
[ -n "$link" ] || { echo "Bail out! no pinned setsockopt link under $sub"; exit 1; }
out=$(capless "$ATTACK" detach "$sub/$link")
like "$out" "^get=EACCES" "capless uid 0: BPF_OBJ_GET of the pinned link refused ($out)"
is "$(mark)" "set=-1 errno=EACCES" "deny still enforced after the detach attempt"
out=$(capless "$ATTACK" open "$sub/counters")
like "$out" "^get=EACCES" "capless uid 0: the pinned counters cannot be opened read-only ($out)"
capless chmod 0600 "$sub/$link" 2> /dev/null
ok $((! $?)) "capless uid 0 cannot chmod a pin"
capless chown 0:0 "$sub/$link" 2> /dev/null
ok $((! $?)) "capless uid 0 cannot chown a pin"
capless rm -rf "$sub" 2> /dev/null
[ -e "$sub/$link" ]
ok $? "capless uid 0 cannot remove the pins"
out=$(capless "$ATTACK" detach "$sub/$link")
like "$out" "^get=EACCES" "... nor detach after those attempts ($out)"
is "$(mark)" "set=-1 errno=EACCES" "deny still enforced after every capless attempt"

# full root still reads its status and the daemon still answers
st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)
ok $? "root: status works with the pins protected"

# 4. integrity against full root (which can do anything, but status must not lie):
#    emptied maps are noticed by the daemon and restored; a reload restores them at once
like "$st" "integrity: ok" "status: integrity ok before"
out=$("$ATTACK" getfd "$DAEMON_PID" maps)
like "$out" "deleted=[1-9]" "root empties the rule maps through pidfd_getfd ($out)"
is "$(mark)" "set=0 get=5" "(with the keys gone nothing is denied)"
kill -HUP "$DAEMON_PID"
wait_grep "$T/daemon.err" "reloaded" || diag "no reload line"
is "$(mark)" "set=-1 errno=EACCES" "a reload restores the deleted keys"
like "$(cat "$T/daemon.err")" "integrity: .*rule keys missing" "... and the daemon said what was missing"
out=$("$ATTACK" getfd "$DAEMON_PID" maps)
like "$out" "deleted=[1-9]" "root empties the maps again ($out)"
t0=$(date +%s%N)
for _ in $(seq 1 300); do
	[ "$(mark)" = "set=-1 errno=EACCES" ] && break
	sleep 0.1
done
t1=$(date +%s%N)
is "$(mark)" "set=-1 errno=EACCES" "the daemon restores emptied maps by itself"
diag "restored $(( (t1 - t0) / 1000000 )) ms after the keys were deleted (check every 10 s)"
like "$(cat "$T/daemon.err")" "the maps hold the policy in force again" "... and says so"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)
ok $? "status exits 0 after the restore"
like "$st" "integrity: ok \(restored" "status says it was restored ($st)"
# a detached link cannot be re-attached by a daemon without capabilities: status says so, exit 1
out=$("$ATTACK" detach "$sub/$link")
like "$out" "get=ok detach=ok" "root detaches the pinned setsockopt link ($out)"
is "$(mark)" "set=0 get=5" "(nothing enforced)"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)
is "$?" "1" "status exits 1 when a link is detached"
like "$st" "integrity: BROKEN: setsockopt detached" "status names the detached link"
# the check runs every 10 s: 30 s leave room for a loaded machine
for _ in $(seq 1 300); do
	grep -q "integrity: setsockopt detached" "$T/daemon.err" && break
	sleep 0.1
done
like "$(cat "$T/daemon.err")" "integrity: setsockopt detached" "the daemon notices the detached link by itself"

# 3. root removes the pins, then the daemon stops: it must not claim the policy stays
rm -rf "$OG_PIN"
og_kill TERM
msg=$(cat "$T/daemon.err")
is "$(mark)" "set=0 get=5" "(pins removed and daemon stopped: nothing enforces any more)"
if printf '%s' "$msg" | grep -q "stays enforced"; then
	ok 1 "the daemon whose pins were removed does not say the policy stays enforced"
	diag "$(grep 'stays enforced' "$T/daemon.err")"
else
	ok 0 "the daemon whose pins were removed does not say the policy stays enforced"
fi
like "$msg" "not enforced|no longer enforced|NOT enforced" "... it says enforcement ended"
"$OPTGUARD" unload --pin-dir "$OG_PIN" > /dev/null 2>&1

# 5. unload removes only what optguard pinned, from a pin_dir it recognises
mkdir -p "$T/plain/sub" && echo keep > "$T/plain/file" && echo keep > "$T/plain/sub/f"
out=$("$OPTGUARD" unload --pin-dir "$T/plain" 2>&1)
is "$?" "1" "unload on an ordinary directory: exit 1"
like "$out" "not on bpffs: not an optguard pin_dir, nothing removed" "... says why ($out)"
[ -f "$T/plain/file" ] && [ -f "$T/plain/sub/f" ]
ok $? "... and removes nothing"
mkdir -p "$OG_PIN-foreign/x"
out=$("$OPTGUARD" unload --pin-dir "$OG_PIN-foreign" 2>&1)
is "$?" "1" "unload on a bpffs directory holding no optguard daemon's directory: exit 1"
[ -d "$OG_PIN-foreign/x" ]
ok $? "... and removes nothing"
rm -rf "$OG_PIN-foreign"

# 6. two pin_dirs with the same last component are two instances
pa=$OG_PIN/a/og
pb=$OG_PIN/b/og
for x in a b; do
	sed "s#^pin_dir = .*#pin_dir = $OG_PIN/$x/og#" "$T/p.ini" > "$T/$x.ini"
done
og_start "$T/a.ini" || echo "# daemon a did not start"
a_pid=$DAEMON_PID
timeout 120 "$OPTGUARD" run --policy "$T/b.ini" 2> "$T/b.err" &
b_timeout=$!
for _ in $(seq 1 200); do grep -q enforcing "$T/b.err" && break; sleep 0.05; done
like "$(cat "$T/b.err")" "enforcing" "a second daemon on $pb starts beside the one on $pa"
sta=$("$OPTGUARD" status --pin-dir "$pa" 2>&1)
stb=$("$OPTGUARD" status --pin-dir "$pb" 2>&1)
ia=$(printf '%s\n' "$sta" | sed -n 's/^daemon: *instance \([0-9a-f]*\),.*/\1/p')
ib=$(printf '%s\n' "$stb" | sed -n 's/^daemon: *instance \([0-9a-f]*\),.*/\1/p')
like "$sta" "policy: +$T/a.ini" "status of a names a's daemon (answering on its socket)"
like "$stb" "policy: +$T/b.ini" "status of b names b's daemon"
ok "$([ -n "$ia" ] && [ -n "$ib" ] && [ "$ia" != "$ib" ]; echo $?)" "... two instances ($ia, $ib)"
"$OPTGUARD" unload --pin-dir "$pb" > /dev/null 2>&1
wait "$b_timeout" 2>/dev/null
kill -0 "$a_pid" 2>/dev/null
ok $? "unload of b leaves a's daemon running"
is "$(mark)" "set=-1 errno=EACCES" "... and a's policy enforced"
ls /run/optguard/ | grep -q '^@optguard-test-[0-9]*-b-og\.'
ok $((! $?)) "... and b's files in /run/optguard are gone"
# unload with the daemon running: the daemon's last line says so, not "stays enforced"
"$OPTGUARD" unload --pin-dir "$pa" > /dev/null 2>&1
og_wait
like "$(tail -1 "$T/daemon.err")" "stopped by optguard unload" \
	"a daemon optguard unload stops says so ($(tail -1 "$T/daemon.err"))"
is "$(mark)" "set=0 get=5" "(and nothing is enforced after it)"
rm -rf "$OG_PIN"
done_testing
