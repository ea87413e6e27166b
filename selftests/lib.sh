# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh disable=SC2034
# Shared by the VM test cases (selftests/cases/*.sh), sourced by busybox sh
# inside the guest: TAP with one numbering across all cases of a boot (the
# counter lives in a file), child cgroups under the guest's cgroup2 root, the
# daemon's start and stop.  The guest is thrown away after the run, but each
# case still stops its daemon and removes its cgroups so that the next case
# starts clean.

CG2=/sys/fs/cgroup
OPTGUARD=${OPTGUARD:-/bin/optguard}
SOCKOPT=${SOCKOPT:-/bin/sockopt}
SOCKOPT32=${SOCKOPT32:-/bin/sockopt32}
COMPAT=${COMPAT:-/bin/compat}
COMPAT32=${COMPAT32:-/bin/compat32}
TAPN=/run/selftest.n		# the last test number used
TAPF=/run/selftest.failed	# one line per failed test
CASE=$(basename "$0" .sh)
T=/tmp/$CASE
DAEMON_PID=""
DAEMON_STATUS=""
rm -rf "$T"
mkdir -p "$T"
[ -f "$TAPN" ] || echo 0 > "$TAPN"

_next() {
	_n=$(($(cat "$TAPN") + 1))
	echo "$_n" > "$TAPN"
}

pass() { _next; echo "ok $_n - $CASE: $1"; }
fail() { _next; echo "not ok $_n - $CASE: $1"; echo "$_n" >> "$TAPF"; }
skip() { _next; echo "ok $_n - $CASE: $2 # SKIP $1"; }	# skip FEATURE NAME
diag() { echo "# $*"; }

ok() {	# ok STATUS NAME
	if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi
}

is() {	# is ACTUAL EXPECTED NAME
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "  actual:   '$1'"
		diag "  expected: '$2'"
	fi
}

check() {	# check NAME CMD...: pass when CMD succeeds
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

like() {	# like ACTUAL ERE NAME
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "  actual:   '$1'"
		diag "  expected to match: $2"
	fi
}

# kver_ge MAJOR MINOR: the running kernel is at least MAJOR.MINOR
kver_ge() {
	local r maj min
	r=$(uname -r)
	maj=${r%%.*}
	r=${r#*.}
	min=${r%%[!0-9]*}
	[ "$maj" -gt "$1" ] || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; }
}

# mkcg NAME: make $CG2/selftest-CASE/NAME, print its path
mkcg() {
	mkdir -p "$CG2/selftest-$CASE/$1" && echo "$CG2/selftest-$CASE/$1"
}

# in_cg DIR CMD...: run CMD inside cgroup DIR
in_cg() {
	local dir=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@"
}

# og_policy FILE CG [LOG_FILE] <<INI ... INI: write the policy FILE: an [enforcer] section
# with cgroup = CG and either JSON events to LOG_FILE with log_rate = 0 or, without
# LOG_FILE, log = none; then the here-document as it is (its first lines, before a blank
# line or a section, are more [enforcer] keys: "lsm = require").  The guest is thrown
# away: the default pin_dir is the case's own.
og_policy() {
	{
		printf '[enforcer]\ncgroup = %s\n' "$2"
		if [ -n "${3:-}" ]; then
			printf 'log = json\nlog_file = %s\nlog_rate = 0\n' "$3"
		else
			printf 'log = none\n'
		fi
		cat
	} > "$1"
}

# og_start POLICY: start the daemon, wait (TCG is slow: up to 120 s) for its
# "enforcing" line on stderr; on failure print its stderr as diagnostics
og_start() {
	local i
	: > "$T/daemon.err"
	chmod 0644 "$1"
	"$OPTGUARD" run --policy "$1" 2> "$T/daemon.err" &
	DAEMON_PID=$!
	i=0
	while [ $i -lt 1200 ]; do
		grep -q "enforcing" "$T/daemon.err" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	diag "optguard run did not start:"
	sed 's/^/#   /' "$T/daemon.err"
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
	return 1
}

# og_start_lsm POLICY NAME: og_start a policy with lsm = require; when it does not
# start, skip NAME with the kernel's reason if that is BPF LSM or cgroup ancestry
# (a policy whose scopes name a cgroup) missing, else fail
# NAME; returns 1 either way (the case then ends: `og_start_lsm ... || exit 0`)
og_start_lsm() {
	local why anc
	og_start "$1" && return 0
	why=$(grep -o 'lsm = require, but .*: refusing' "$T/daemon.err" | sed 's/: refusing$//' || true)
	# a scope naming a cgroup needs cgroup ancestry in cgroup programs (not on 5.10)
	anc=$(grep -o "cgroup programs lack [a-z_]*" "$T/daemon.err" || true)
	if [ -n "$why" ]; then
		skip "BPF LSM (${why#lsm = require, but })" "$2"
	elif [ -n "$anc" ]; then
		skip "scopes that name a cgroup: this kernel's $anc" "$2"
	else
		fail "optguard run with lsm = require starts ($2)"
	fi
	return 1
}

# og_stop: SIGTERM the daemon, wait; its exit status in DAEMON_STATUS
og_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	DAEMON_STATUS=0
	wait "$DAEMON_PID" || DAEMON_STATUS=$?
	DAEMON_PID=""
	# enforcement outlives the daemon (pinned): remove it, as an admin would
	"$OPTGUARD" unload > /dev/null 2>&1 || diag "optguard unload failed"
}

# wait_grep FILE ERE: until a line of FILE matches ERE (events are written
# asynchronously), at most 30 s
wait_grep() {
	local i=0
	while [ $i -lt 300 ]; do
		[ -f "$1" ] && grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# deny_errno: the errno a plain deny rule with errno = EACCES yields on this
# kernel, from the daemon's start-up lines: EACCES (13) when the LSM hook
# runs (it returns the errno itself) or the kernel has bpf_set_retval; EPERM
# (1) when the cgroup hook alone denies and the kernel lacks bpf_set_retval
deny_errno() {
	if grep -q "with lsm/socket_setsockopt, cgroup/setsockopt" "$T/daemon.err"; then
		echo 13
	elif grep -q "lacks bpf_set_retval" "$T/daemon.err"; then
		echo 1
	else
		echo 13
	fi
}

cleanup() {
	local c p
	og_stop
	for c in $(find "$CG2/selftest-$CASE" -depth -type d 2>/dev/null); do
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		rmdir "$c" 2>/dev/null
	done
}
trap cleanup EXIT
