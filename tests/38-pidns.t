#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A daemon in a PID namespace (as in a container, where every daemon is PID
# 1): 20 kill -9 + restart cycles under a setsockopt hammer let no call
# through (pin directories are per daemon instance, not per PID); reload,
# status and unload from the namespace's parent act on that daemon through
# its control socket and signal no other process (a decoy whose PID is the
# daemon's PID inside its namespace gets nothing).
. "$(dirname "$0")/lib.sh"
require_root
command -v unshare > /dev/null || skip_all "no unshare(1) (util-linux)"
unshare --pid --fork --mount-proc true 2> /dev/null ||
	skip_all "unshare --pid --fork --mount-proc fails here: $(unshare --pid --fork --mount-proc true 2>&1)"

cg=$(mkcg app)
pin=$OG_PIN
policy() {	# policy ERRNO
	cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $cg
log = none
pin_dir = $pin

[rule:no-mark]
option = SO_MARK
action = deny
errno = $1
INI
}
NSPID=""
# ns_start: optguard run as PID 1 of a new PID namespace; waits until it enforces
ns_start() {
	[ -f "$T/ns.err" ] && cat "$T/ns.err" >> "$T/ns.all"
	: > "$T/ns.err"
	timeout 300 unshare --pid --fork --kill-child --mount-proc "$OPTGUARD" run \
		--policy "$T/p.ini" 2> "$T/ns.err" &
	NSPID=$!
	for _ in $(seq 1 400); do
		grep -q "enforcing" "$T/ns.err" && return 0
		kill -0 "$NSPID" 2> /dev/null || break
		sleep 0.05
	done
	sed 's/^/#   /' "$T/ns.err" >&2
	return 1
}
# ns_kill: SIGKILL the daemon (the namespace's PID 1: the namespace goes with it)
ns_kill() {
	local d
	# timeout(1) -> unshare(1) -> optguard
	d=$(pgrep -P "$(pgrep -P "$NSPID" | head -1)" | head -1)
	[ -n "$d" ] && kill -KILL "$d"
	wait "$NSPID" 2> /dev/null
	NSPID=""
}
hammer_start() {
	rm -f "$T/stop" "$T/ready"
	in_cg "$cg" python3 "$TESTS_DIR/clients/hammer.py" "$T/stop" "$T/ready" > "$T/hammer" &
	HAMMER=$!
	for _ in $(seq 1 400); do
		[ -e "$T/ready" ] && break
		sleep 0.05
	done
}
hammer_stop() {
	touch "$T/stop"
	wait "$HAMMER"
	out=$(cat "$T/hammer")
}
ns_cleanup() {
	[ -n "$NSPID" ] && ns_kill
	[ -n "$DECOY" ] && kill -KILL "$DECOY" 2> /dev/null
	"$OPTGUARD" unload --pin-dir "$pin" > /dev/null 2>&1
	cleanup
}
trap ns_cleanup EXIT

policy EPERM
ns_start || { echo "Bail out! the daemon did not start in a PID namespace"; exit 1; }
hammer_start
fails=0
for i in $(seq 1 20); do
	ns_kill
	ns_start || fails=$((fails + 1))
done
sleep 0.3
hammer_stop
is "$fails" "0" "20 kill -9 + restarts in a PID namespace: every daemon started"
like "$out" "allowed=0 errnos=1$" "... under a hammer: no call escapes ($out)"
is "$(in_cg "$cg" python3 "$TESTS_DIR/clients/sockopt.py" SO_MARK 5)" "set=-1 errno=EPERM" "... and the policy is enforced after"
is "$(ls "$pin" | wc -l)" "1" "... one daemon's pin directory remains"
cat "$T/ns.err" >> "$T/ns.all"
is "$(grep -c 'File exists' "$T/ns.all")" "0" "... no daemon found its pin directory taken"

# the CLI acts on the daemon in the namespace, never by a PID: a decoy that
# is PID 1 of the shell's own namespace (the daemon is PID 1 in its own)
# records every signal it gets
ns_kill
"$OPTGUARD" unload --pin-dir "$pin" > /dev/null
cat > "$T/decoy.sh" <<EOF
#!/bin/bash
# PID 1 of a namespace: the daemon below is PID 1 of its own
trap 'echo HUP >> $T/decoy.sig' HUP
trap 'echo TERM >> $T/decoy.sig' TERM
timeout 300 unshare --pid --fork --kill-child --mount-proc "$OPTGUARD" run --policy "$T/p.ini" \
	2> "$T/ns.err" &
for _ in \$(seq 1 400); do grep -q enforcing "$T/ns.err" && break; sleep 0.05; done
sed -i 's/^errno = .*/errno = EACCES/' "$T/p.ini"
"$OPTGUARD" reload --pin-dir "$pin" > "$T/reload.out" 2>&1; echo "rc=\$?" >> "$T/reload.out"
"$OPTGUARD" status --pin-dir "$pin" > "$T/status.out" 2>&1; echo "rc=\$?" >> "$T/status.out"
"$OPTGUARD" unload --pin-dir "$pin" > "$T/unload.out" 2>&1; echo "rc=\$?" >> "$T/unload.out"
sleep 0.5
kill %1 2> /dev/null
wait
EOF
chmod +x "$T/decoy.sh"
: > "$T/decoy.sig"
timeout 120 unshare --pid --fork --kill-child --mount-proc "$T/decoy.sh" &
DECOY=$!
wait "$DECOY"
DECOY=""
is "$(cat "$T/decoy.sig")" "" "reload, status, unload from the parent namespace signal no other process"
like "$(cat "$T/reload.out")" "rc=0" "reload of the namespaced daemon: exit 0 ($(head -1 "$T/reload.out"))"
like "$(cat "$T/reload.out")" "sha256 [0-9a-f]{64}" "... the daemon answers with the policy's sha256"
like "$(cat "$T/status.out")" "daemon: .*control socket" "status asks the daemon itself"
like "$(cat "$T/unload.out")" "rc=0" "unload of the namespaced daemon: exit 0"
like "$(cat "$T/ns.err")" "stopped by optguard unload" "... the daemon stopped because unload asked"
ok "$([ ! -e "$pin" ]; echo $?)" "... and everything it pinned is gone"
done_testing
