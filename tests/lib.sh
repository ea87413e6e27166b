# SPDX-License-Identifier: GPL-2.0-only
# Shared by the host integration tests (tests/*.t): TAP output, a child
# cgroup per test file (never the root), the daemon's start and stop, and a
# cleanup that runs also when a test fails.  Source it; needs root.
#
# A new test file uses these rather than writing them again (each is defined below):
#   TAP         plan N, ok STATUS NAME, is ACTUAL EXPECTED NAME, like ACTUAL ERE NAME,
#               skip REASON NAME, skip_all REASON, diag TEXT, done_testing
#   set-up      require_root; mkcg NAME (a cgroup below $CG2/optguard-test-PID);
#               in_cg DIR CMD...; public_copy FILE (a copy uid 65534 may run); free_port
#   policy      og_policy FILE CG [LOG_FILE] <<INI ... INI: the [enforcer] section every
#               test policy starts with (cgroup = CG, pin_dir = $OG_PIN, json events to
#               LOG_FILE with log_rate = 0, or log = none), then the here-document
#   daemon      og_start POLICY (0 once it enforces), og_must_start POLICY (or Bail out),
#               og_stop (stop and unload), og_kill [SIGNAL] (the pins stay), og_wait,
#               og_reload (SIGHUP, wait for the answer), og_pin_dir [POLICY]
#   clients     client ARGS... (tests/clients/sockopt.py, here); client_in CG ARGS...
#               (the same inside cgroup CG); client_table CG <<CALLS: one `is` per line
#               "ARGS | EXPECTED | NAME" (CG "-": each line's ARGS start with the cgroup)
#   events      wait_events FILE N, wait_grep FILE ERE [N], evline FILE ERE,
#               jfield FILE LINE KEY, jfields FILE LINE KEY... (joined by "/"),
#               json_lines FILE (status 0 when every line is a JSON object)

: "${OPTGUARD:=$(cd "$(dirname "$0")/.." && pwd)/optguard}"
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/optguard-test.XXXXXX)
# what a test runs as another uid (65534) is copied here first (as_other_uid): the checkout
# may be where that uid cannot reach, e.g. in root's home (/root is 0700 on Debian)
PUB=$(mktemp -d /tmp/optguard-pub.XXXXXX) && chmod 0755 "$PUB"
CG2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
CG=""			# the test's cgroup: $CG2/optguard-test-PID
DAEMON_PID=""		# the optguard process
TIMEOUT_PID=""		# the timeout(1) that bounds it
OG_POLICY=""		# the policy og_start ran
# the pin_dir every policy a test runs names: never the host's own (the
# default /sys/fs/bpf/optguard), whose enforcement a test daemon would take
# over and og_stop would unload
OG_PIN=/sys/fs/bpf/optguard-test-$$
_n=0
_failed=0
_planned=""

plan() { _planned=$1; echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

ok() {	# ok COND-STATUS NAME
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_n - $2"
	else
		echo "not ok $_n - $2"
		_failed=$((_failed + 1))
	fi
}

is() {	# is ACTUAL EXPECTED NAME
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		echo "#   actual:   '$1'"
		echo "#   expected: '$2'"
		_failed=$((_failed + 1))
	fi
}

like() {	# like ACTUAL ERE NAME
	_n=$((_n + 1))
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3"
		echo "#   actual:   '$1'"
		echo "#   expected to match: $2"
		_failed=$((_failed + 1))
	fi
}

skip() {	# skip REASON NAME
	_n=$((_n + 1))
	echo "ok $_n - $2 # SKIP $1"
}

diag() { echo "# $*"; }

cleanup() {
	local c
	og_stop
	for c in $(find "$CG2"/optguard-test-$$ -depth -type d 2>/dev/null); do
		# move stragglers out before removing the directory
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		# a killed process leaves its cgroup when it has exited, not when kill returns
		for _ in $(seq 1 100); do
			[ -z "$(cat "$c/cgroup.procs" 2>/dev/null)" ] && break
			sleep 0.02
		done
		rmdir "$c" 2>/dev/null || echo "# cleanup: cannot remove $c" >&2
	done
	# the lock and state files of a test's own pin_dir (pin_dir = /sys/fs/bpf/optguard-test-PID)
	rm -f /run/optguard/optguard-test-$$.lock /run/optguard/optguard-test-$$.state \
		/run/optguard/optguard-test-$$.sock
	rm -rf "$T" "$PUB"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (loads BPF programs)"
	[ -n "$CG2" ] || skip_all "no cgroup2 mount in /proc/self/mountinfo"
	[ -x "$OPTGUARD" ] || skip_all "no optguard binary at $OPTGUARD (run make)"
}

# public_copy FILE: print the path of a copy of FILE that every uid may read and run (in $PUB)
public_copy() {
	local dst
	dst="$PUB/$(basename "$1")"
	[ -e "$dst" ] || { cp "$1" "$dst.tmp" && chmod 0755 "$dst.tmp" && mv "$dst.tmp" "$dst"; } ||
		return 1
	echo "$dst"
}

# mkcg NAME: make $CG2/optguard-test-PID/NAME (nested names allowed), print it
mkcg() {
	CG="$CG2/optguard-test-$$"
	mkdir -p "$CG/$1" && echo "$CG/$1"
}

# in_cg DIR CMD...: run CMD inside cgroup DIR
in_cg() {
	local dir=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$dir" "$@"
}

# og_start POLICY: start the daemon, wait until it enforces
og_start() {
	case $(og_pin_dir "$1") in
	"$OG_PIN" | "$OG_PIN"/*) ;;
	*)
		echo "Bail out! $1: pin_dir $(og_pin_dir "$1") is not the test's own" \
			"(pin_dir = \$OG_PIN): a test never touches the host's optguard"
		exit 1
		;;
	esac
	OG_POLICY=$1
	: > "$T/daemon.err"
	timeout 300 "$OPTGUARD" run --policy "$1" 2> "$T/daemon.err" &
	TIMEOUT_PID=$!
	local i
	# up to 20 s: a loaded CI machine can take seconds where an idle one takes 0.4
	for i in $(seq 1 400); do
		if grep -q "enforcing" "$T/daemon.err"; then
			# signals and /proc go to optguard itself, not to timeout(1)
			DAEMON_PID=$(pgrep -P "$TIMEOUT_PID" -x optguard | head -1)
			[ -n "$DAEMON_PID" ] && return 0
		fi
		kill -0 "$TIMEOUT_PID" 2>/dev/null || break
		sleep 0.05
	done
	# on stderr: prove shows it without -v, so a CI log says why
	{
		echo "# optguard run did not start ($(date +%T), load: $(cut -d' ' -f1-3 /proc/loadavg)):"
		sed 's/^/#   /' "$T/daemon.err"
	} >&2
	kill -TERM "$TIMEOUT_PID" 2>/dev/null
	wait "$TIMEOUT_PID" 2>/dev/null
	TIMEOUT_PID=""
	DAEMON_PID=""
	return 1
}

# og_must_start POLICY: og_start, or end the test file with "Bail out!" (what follows
# would test nothing without the daemon)
og_must_start() {
	og_start "$1" || { echo "Bail out! optguard run --policy $1 did not start"; exit 1; }
}

# og_wait: wait until the daemon has exited (it was signalled, or `optguard unload` stopped
# it) and forget it; unlike og_stop, nothing is unloaded: what it pinned stays in force
og_wait() {
	[ -n "$TIMEOUT_PID" ] && wait "$TIMEOUT_PID" 2>/dev/null
	TIMEOUT_PID=""
	DAEMON_PID=""
}

# og_kill [SIGNAL]: send SIGNAL (default TERM) to the daemon, then og_wait
og_kill() {
	kill -"${1:-TERM}" "$DAEMON_PID"
	og_wait
}

# og_policy FILE CG [LOG_FILE] <<INI ... INI: write the policy FILE: an [enforcer]
# section with cgroup = CG, pin_dir = $OG_PIN (the test's own), and either JSON events to
# LOG_FILE with log_rate = 0 or, without LOG_FILE, log = none; then the here-document as
# it is.  Its first lines, before a blank line or a section, are more [enforcer] keys
# ("mode = audit"); the lines of the section are those above, in that order, so that a
# FILE:LINE a test expects counts them (4 lines with log = none, 6 with a LOG_FILE).
og_policy() {
	{
		printf '[enforcer]\ncgroup = %s\npin_dir = %s\n' "$2" "$OG_PIN"
		if [ -n "${3:-}" ]; then
			printf 'log = json\nlog_file = %s\nlog_rate = 0\n' "$3"
		else
			printf 'log = none\n'
		fi
		cat
	} > "$1"
}

# og_pin_dir [POLICY]: the pin_dir of POLICY (default: the last one og_start used)
og_pin_dir() {
	local d
	d=$(sed -n 's/^[[:space:]]*pin_dir[[:space:]]*=[[:space:]]*\([^[:space:];]*\).*/\1/p' \
		"${1:-$OG_POLICY}" 2>/dev/null | head -1)
	echo "${d:-/sys/fs/bpf/optguard}"
}

# og_stop: stop the daemon, then unload what it pinned (enforcement
# outlives the daemon: without the unload it would stay attached)
og_stop() {
	[ -n "$TIMEOUT_PID" ] || return 0
	[ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$TIMEOUT_PID" 2>/dev/null
	TIMEOUT_PID=""
	DAEMON_PID=""
	"$OPTGUARD" unload --pin-dir "$(og_pin_dir)" > /dev/null
}

# og_reload: SIGHUP, wait for the daemon's answer
og_reload() {
	local before
	before=$(wc -l < "$T/daemon.err")
	kill -HUP "$DAEMON_PID"
	for i in $(seq 1 100); do
		[ "$(wc -l < "$T/daemon.err")" -gt "$before" ] && return 0
		sleep 0.05
	done
	return 1
}

# client ARGS...: the python3 setsockopt client (tests/clients/sockopt.py); for each
# OPTION VALUE pair it prints "set=0 get=V" or "set=-1 errno=NAME"
client() { python3 "$TESTS_DIR/clients/sockopt.py" "$@"; }

# client_in CG ARGS...: the same client, run inside cgroup CG
client_in() {
	local cg=$1
	shift
	in_cg "$cg" python3 "$TESTS_DIR/clients/sockopt.py" "$@"
}

# client_table CG <<CALLS ... CALLS: for each line "ARGS | EXPECTED | NAME" (blank lines
# and lines starting with # are passed over), one test: is "$(client_in CG ARGS)"
# "EXPECTED" "NAME".  ARGS are split at white space; EXPECTED and NAME are trimmed.  With
# CG "-" the first word of each line's ARGS is the cgroup (calls from several cgroups).
client_table() {
	local cg=$1 args want name
	while IFS='|' read -r args want name; do
		case $args in "" | "#"*) continue ;; esac
		want=$(echo "$want" | sed 's/^ *//; s/ *$//')
		name=$(echo "$name" | sed 's/^ *//; s/ *$//')
		# shellcheck disable=SC2086
		if [ "$cg" = - ]; then
			is "$(client_in $args < /dev/null)" "$want" "$name"
		else
			is "$(client_in "$cg" $args < /dev/null)" "$want" "$name"
		fi
	done
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it)
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_events FILE N: until FILE has at least N lines (events are written asynchronously)
wait_events() {
	local i
	for i in $(seq 1 100); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# jfield FILE LINE KEY: a field of the JSON event on line LINE
jfield() {
	python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])-1]).get(sys.argv[3]))' "$@"
}

# jfields FILE LINE KEY...: those fields of the JSON event on line LINE, joined by "/"
# (a missing or null field prints None, as jfield does)
jfields() {
	python3 -c 'import json,sys; e = json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])-1]); print("/".join(str(e.get(k)) for k in sys.argv[3:]))' "$@"
}

# json_lines FILE: status 0 when every line of FILE is a whole JSON value
json_lines() {
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1"
}

# wait_grep FILE ERE [N]: until at least N (default 1) lines of FILE match ERE
wait_grep() {
	local i
	for i in $(seq 1 100); do
		[ -f "$1" ] && [ "$(grep -cE -- "$2" "$1")" -ge "${3:-1}" ] && return 0
		sleep 0.05
	done
	return 1
}

# evline FILE ERE: the number of the first line of FILE matching ERE
evline() { grep -nE -- "$2" "$1" | head -1 | cut -d: -f1; }

done_testing() {
	[ -n "$_planned" ] || echo "1..$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}
