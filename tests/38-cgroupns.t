#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A daemon in a cgroup namespace (unshare -C), moved first into a child test
# cgroup so that the namespace's root is that cgroup: a scope on a
# sub-cgroup is matched at the depth the kernel counts (from the real root),
# whether the namespace has its own cgroup2 mount (a container: paths there
# start at the namespace's root) or sees the host's; events name the cgroup
# below the daemon's cgroup2 mount; `check` says where the mount lies, and
# refuses (with the reason) a scope whose depth it cannot learn.
. "$(dirname "$0")/lib.sh"
require_root
unshare -C true 2> /dev/null || skip_all "unshare -C fails here (no cgroup namespaces?)"
unshare -m true 2> /dev/null || skip_all "unshare -m fails here (no mount namespaces?)"

ns=$(mkcg ns)
mkcg ns/app/sub > /dev/null
mkcg ns/app/other > /dev/null
sockopt="$TESTS_DIR/clients/sockopt.py"
# the namespace's root, counted from the real root: optguard-test-PID/ns is 2 levels
# below the cgroup2 mount, plus the mount's own depth (0 for the host's)
ns_depth=$(($(printf '%s' "${ns#"$CG2"}" | tr -cd / | wc -c)))

# policy VIEW: VIEW is the path the daemon sees the namespace's root at
policy() {
	cat <<INI
[enforcer]
cgroup = $1/app
pin_dir = $OG_PIN
log = json
log_file = $T/ev.jsonl
log_rate = 0

[scope:sub]
cgroup = $1/app/sub

[rule:sub-mark]
scope = sub
option = SO_MARK
action = deny
errno = EACCES
INI
}

# in_ns OWN_MOUNT CMD...: run CMD in a new cgroup namespace rooted at $ns; with
# OWN_MOUNT=1 also in a mount namespace whose cgroup2 mount is the namespace's
# own (the host's mounts are not touched: the mount namespace is private)
in_ns() {
	local own=$1
	shift
	if [ "$own" = 1 ]; then
		in_cg "$ns" unshare -C -m --propagation private sh -c \
			'umount "$0" && mount -t cgroup2 none "$0" && exec "$@"' "$CG2" "$@"
	else
		in_cg "$ns" unshare -C "$@"
	fi
}

# ns_start OWN_MOUNT POLICY: the daemon in the namespace, until it enforces
ns_start() {
	OG_POLICY=$2
	: > "$T/daemon.err"
	timeout 300 sh -c '. "$0"; in_ns "$1" "$2" run --policy "$3"' "$T/fns" "$1" \
		"$OPTGUARD" "$2" 2> "$T/daemon.err" &
	TIMEOUT_PID=$!
	for _ in $(seq 1 400); do
		if grep -q "enforcing" "$T/daemon.err"; then
			# the daemon is the optguard process in the namespace's root cgroup
			DAEMON_PID=$(for p in $(cat "$ns/cgroup.procs"); do
				[ "$(cat "/proc/$p/comm" 2> /dev/null)" = optguard ] && echo "$p"
			done | head -1)
			[ -n "$DAEMON_PID" ] && return 0
		fi
		kill -0 "$TIMEOUT_PID" 2> /dev/null || break
		sleep 0.05
	done
	sed 's/^/#   /' "$T/daemon.err" >&2
	kill -TERM "$TIMEOUT_PID" 2> /dev/null
	wait "$TIMEOUT_PID" 2> /dev/null
	TIMEOUT_PID=""
	return 1
}
# what ns_start's sh needs of this file
{
	declare -f in_cg in_ns
	echo "ns='$ns' CG2='$CG2'"
} > "$T/fns"

for own in 1 0; do
	if [ $own = 1 ]; then
		what="own cgroup2 mount"
		view=$CG2
		cgpath=/app/sub
		base=$ns_depth
	else
		what="host's cgroup2 mount"
		view=$ns
		cgpath=${ns#"$CG2"}/app/sub
		base=0
	fi
	: > "$T/ev.jsonl"
	policy "$view" > "$T/p$own.ini"
	if ! ns_start $own "$T/p$own.ini"; then
		ok 1 "$what: the daemon starts in the cgroup namespace"
		"$OPTGUARD" unload --pin-dir "$OG_PIN" > /dev/null
		continue
	fi
	like "$(cat "$T/daemon.err")" "cgroup namespace: the cgroup2 mount $CG2 .* is at depth $base of the real hierarchy" \
		"$what: the daemon says where its cgroup2 mount lies ($base levels down)"
	is "$(in_cg "$ns/app/sub" python3 "$sockopt" SO_MARK 5)" "set=-1 errno=EACCES" \
		"$what: the scoped rule denies SO_MARK in the scope's cgroup"
	is "$(in_cg "$ns/app/other" python3 "$sockopt" SO_MARK 5)" "set=0 get=5" \
		"$what: a sibling outside the scope is untouched"
	wait_events "$T/ev.jsonl" 1
	is "$(jfield "$T/ev.jsonl" 1 cgroup)" "$cgpath" \
		"$what: the event names the cgroup below the daemon's mount ($cgpath)"
	og_stop
	out=$(in_ns $own "$OPTGUARD" check "$T/p$own.ini" 2>&1)
	like "$out" "note: cgroup namespace: .* at depth $base of the real hierarchy" \
		"$what: check in the namespace says where the mount lies"
	like "$out" "ok: 1 rule" "$what: check in the namespace accepts the policy"
done

# no probe (not root): the depth cannot be learnt, and check says so instead of guessing
nobody_og=$(public_copy "$OPTGUARD")
policy "$CG2" > "$PUB/p.ini" && chmod 0644 "$PUB/p.ini"
if command -v setpriv > /dev/null; then
	out=$(in_ns 1 setpriv --reuid=65534 --regid=65534 --clear-groups "$nobody_og" check \
		"$PUB/p.ini" 2>&1)
	like "$out" "p.ini:9: scope sub: cannot match cgroup $CG2/app/sub at the depth the kernel counts: optguard runs in a cgroup namespace" \
		"not root in the namespace: check refuses the scope, naming the reason"
else
	skip "no setpriv" "not root in the namespace: check refuses the scope"
fi
done_testing
