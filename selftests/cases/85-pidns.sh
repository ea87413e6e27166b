#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The daemon in a PID namespace (a container's daemon is pid 1 there), with
# BPF LSM: its start-up probe still sees its own setsockopt call and the
# guard still lets the daemon itself write its maps (both recognise it by
# the tgid its own namespace gives it, not getpid() taken as global);
# `optguard reload`, `status` and `unload` from outside the namespace act on
# it through its control socket.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
policy() {	# policy ERRNO
	cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $app
lsm = require
log = none

[rule:deny-mark]
option = SO_MARK
action = deny
errno = $1
INI
	chmod 0644 "$T/p.ini"
}
if ! unshare --pid --fork --mount-proc true 2>/dev/null; then
	skip "unshare --pid --fork --mount-proc" "the daemon in a PID namespace"
	exit 0
fi
policy EACCES
: > "$T/daemon.err"
unshare --pid --fork --mount-proc "$OPTGUARD" run --policy "$T/p.ini" 2> "$T/daemon.err" &
NS=$!
i=0
while [ $i -lt 1200 ] && ! grep -q "enforcing" "$T/daemon.err" && kill -0 "$NS" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
# a kernel without BPF LSM skips; an LSM program that "does not run" for the
# daemon (its probe did not recognise it) fails below
why=$(grep -o 'lsm = require, but .*: refusing' "$T/daemon.err" | grep -v "does not run" || true)
if [ -n "$why" ]; then
	skip "BPF LSM (${why#lsm = require, but })" "the daemon in a PID namespace"
	exit 0
fi
if grep -q "enforcing .* with lsm/socket_setsockopt" "$T/daemon.err"; then
	pass "in a PID namespace, with lsm = require, the daemon starts: its LSM probe saw it"
else
	fail "in a PID namespace, with lsm = require, the daemon starts: its LSM probe saw it"
	sed 's/^/#   /' "$T/daemon.err"
	kill -KILL "$NS" 2>/dev/null || true
	exit 0
fi
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=13" "the LSM hook enforces (EACCES)"
policy EPERM
if kver_ge 6 1; then
	out=$("$OPTGUARD" reload 2>&1) || true
	like "$out" "^reloaded: .* in force" \
		"reload from outside the namespace: the guard let the daemon write its maps ($out)"
	is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=1" "... and the new policy is in force"
else
	# 5.10 refuses every bpf() command to a process without CAP_BPF/CAP_SYS_ADMIN while
	# unprivileged BPF is disabled: the daemon, once it dropped its capabilities, reloads
	# nothing there, in a PID namespace or not
	skip "a reload without capabilities (5.10: unprivileged_bpf_disabled refuses every bpf() command)" \
		"reload from outside the namespace: the guard let the daemon write its maps"
	skip "a reload without capabilities" "... and the new policy is in force"
fi
like "$("$OPTGUARD" status 2>&1)" "daemon: +instance [0-9a-f]+, answering on its control socket" \
	"status from outside the namespace asks the daemon"
out=$("$OPTGUARD" unload 2>&1) || true
like "$out" "unloaded: .*daemon stopped" "unload from outside the namespace stops it"
wait "$NS" 2>/dev/null || true
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=0 get=5" "... and nothing is enforced after it"
