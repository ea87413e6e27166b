#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's quick start on a pristine Debian 12, as a new user would run it (CI: .ci/run).
#
#   scripts/cleanroom.sh            as root, from a git checkout
#
# Builds (or takes from its cache) a bookworm root with mmdebstrap's "important" variant
# (what a Debian install without any task selected has: priorities required and important),
# from this machine's own apt sources (/etc/apt/sources.list, sources.list.d/*.list and
# *.sources; no mirror is named here).  The README's prerequisites (git, make) are then
# installed into a fresh copy of it, the commit checked out here is cloned into root's home
# (/root: mode 0700 on Debian, where a root user clones first) and the README's two commands
# run there exactly as written: `make run` until the daemon says it is enforcing, then
# `./optguard unload`; then `make test`, and `make fuzz` for a few seconds (its packages).
# Whatever they need must be installed by the project itself (scripts/deps.sh): a missing
# package fails.
#
# Everything runs in a private mount namespace (unshare --mount): proc, the host's /sys (its
# cgroup2 mount at the same path; not its bpffs: like a host that has none, optguard mounts
# its own, which lives and dies with this namespace), /dev, a tmpfs /run, the host's
# resolv.conf.  Nothing is mounted in the host's namespace; on exit, failure included, every
# process left in the namespace is killed and the work directory removed.
#
# Cache ($OPTGUARD_CLEANROOM_CACHE, default /var/cache/optguard-cleanroom): the root as a
# tarball, rebuilt when older than $OPTGUARD_CLEANROOM_MAX_AGE days (default 7) or when the
# sources or the variant changed; unpacked fresh on every run.  The .debs apt downloads inside
# the root are kept there too (archives/, bind-mounted as the root's apt cache: apt still
# resolves and installs every package in the root; only the download is saved).  The kernels
# the VM tests boot are fetched in the root by selftests/kernels.sh from the root's own apt
# sources (some 20 s); OPTGUARD_CLEANROOM_KERNELS=copy copies the host's
# /var/cache/optguard-selftests in instead.
# The work directory is under $OPTGUARD_CLEANROOM_WORK (default /var/tmp).
# OPTGUARD_CLEANROOM_SKIPS=1 runs the host tests once more, verbosely, and lists what they skip.
set -eu

SUITE=bookworm
VARIANT=important
PREREQS="git make"		# README.md, "Quick start": what a user has before the two commands
CACHE=${OPTGUARD_CLEANROOM_CACHE:-/var/cache/optguard-cleanroom}
MAX_AGE=${OPTGUARD_CLEANROOM_MAX_AGE:-7}
WORKBASE=${OPTGUARD_CLEANROOM_WORK:-/var/tmp}
KERNELS=${OPTGUARD_CLEANROOM_KERNELS:-fresh}
SELFTEST_CACHE=/var/cache/optguard-selftests
RUN_TIMEOUT=${OPTGUARD_CLEANROOM_RUN_TIMEOUT:-1800}	# make run: deps, build, start
TEST_TIMEOUT=${OPTGUARD_CLEANROOM_TEST_TIMEOUT:-2400}	# make test: deps, build, tests

log() { echo "cleanroom: $*" >&2; }
die() { log "$*"; exit 1; }

# phase NAME CMD...: run CMD, print how long it took
phase() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	log "phase '$name' took $(($(date +%s) - start))s$([ $rc -eq 0 ] || echo " and FAILED (exit $rc)")"
	return $rc
}

# ---------------------------------------------------------------------------------------------
# Inside the private mount namespace (the script runs itself again under unshare).
# ---------------------------------------------------------------------------------------------

# in_root CMD: CMD in a root login shell in the root (profile's PATH, HOME=/root), nothing of
# this script's environment
in_root() {
	env -i TERM=dumb HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$R" /bin/bash -l -c "$1"
}

ns_cleanup() {
	local rc=$? me p pass what
	trap - EXIT
	me=$(readlink /proc/self/ns/mnt)
	# every process left in this mount namespace (a daemon, a test, a guest): they hold it
	for pass in TERM KILL; do
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
			[ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$me" ] || continue
			what=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | cut -c1-80)
			kill -"$pass" "$p" 2>/dev/null && log "killed $p ($what) with SIG$pass"
		done
		sleep 1
	done
	# the namespace goes with its last process; unmount anyway, innermost first
	awk -v r="$R" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	exit $rc
}

inside() {
	R=$WORK/root
	trap ns_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	mount --make-rprivate /

	# the root a mount point, as / is on a machine (`mount --make-rprivate /` in a test
	# fails on a plain directory)
	mount --bind "$R" "$R"
	mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
	mount --rbind /sys "$R/sys"
	# not the host's bpffs: optguard mounts one when /sys/fs/bpf has none (enforcer/kernel/pins.c),
	# here in this namespace only, so what it pins goes away with it
	if mountpoint -q "$R/sys/fs/bpf"; then
		umount -R "$R/sys/fs/bpf" 2>/dev/null || umount -l "$R/sys/fs/bpf"
	fi
	mount --rbind /dev "$R/dev"
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$R/run"
	mkdir -m 1777 "$R/run/lock"
	# name resolution as this machine has it (a fresh install gets it from DHCP)
	if [ -e /etc/resolv.conf ]; then
		rm -f "$R/etc/resolv.conf"
		cp -L /etc/resolv.conf "$R/etc/resolv.conf"
	fi
	mkdir -p "$CACHE/archives/partial"
	mount --bind "$CACHE/archives" "$R/var/cache/apt/archives"
	if [ "$KERNELS" = copy ] && [ -d "$SELFTEST_CACHE/kernels" ]; then
		mkdir -p "$R$SELFTEST_CACHE"
		cp -a "$SELFTEST_CACHE/kernels" "$SELFTEST_CACHE/apt" "$R$SELFTEST_CACHE/"
	fi

	# the lists are emptied again: deps.sh must cope with lists that are missing or stale (a
	# machine installed months ago), updating them itself
	phase "prerequisites ($PREREQS)" in_root "export DEBIAN_FRONTEND=noninteractive;
		apt-get update -q >/dev/null && apt-get install -q -y $PREREQS >/dev/null &&
		find /var/lib/apt/lists -maxdepth 1 -type f ! -name lock -delete"

	# the commit under test, cloned in the root by its own git into root's home
	git clone -q --bare "$TOP" "$R/var/tmp/optguard.git"
	phase "git clone" in_root 'cd /root && git clone -q /var/tmp/optguard.git optguard &&
		stat -c "%n: mode %a" /root && git -C optguard log -1 --format="at %h %s"'

	# 1. make run, until it enforces; then ./optguard unload (README: "Quick start")
	local out=$WORK/make-run.log start pid rc=0 i
	start=$(date +%s)
	in_root "cd /root/optguard && timeout $RUN_TIMEOUT make run" > "$out" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null && ! grep -q "^optguard: enforcing " "$out"; do
		sleep 1
	done
	if ! grep -q "^optguard: enforcing " "$out"; then
		wait $pid || rc=$?
		sed 's/^/  | /' "$out" >&2
		die "make run ended (exit $rc) without enforcing, after $(($(date +%s) - start))s"
	fi
	log "phase 'make run' enforcing after $(($(date +%s) - start))s"
	sed 's/^/  | /' "$out" >&2
	phase "./optguard unload" in_root 'cd /root/optguard && ./optguard status >/dev/null &&
		./optguard unload' || die "./optguard unload failed"
	for i in $(seq 1 30); do kill -0 $pid 2>/dev/null || break; sleep 1; done
	rc=0
	if kill -0 $pid 2>/dev/null; then
		die "make run still runs 30 s after ./optguard unload"
	fi
	wait $pid || rc=$?
	sed -n '/enforcing/,$p' "$out" | sed 1d | sed 's/^/  | /' >&2
	[ $rc -eq 0 ] || die "make run exited $rc after ./optguard unload (expected 0)"
	grep -q "^deps: apt-get install failed.*updating the package lists" "$out" ||
		die "deps.sh did not update the empty package lists"
	if [ -e "$R/sys/fs/bpf/optguard" ]; then
		die "/sys/fs/bpf/optguard is still there after ./optguard unload"
	fi

	# 2. make test
	phase "make test" in_root "cd /root/optguard && timeout $TEST_TIMEOUT make test" 2>&1 |
		tee "$WORK/make-test.log" | sed -u 's/^/  | /' >&2
	rc=${PIPESTATUS[0]}
	leftovers
	if [ "$rc" -ne 0 ]; then
		# prove says which tests failed, not why: each failed file again, verbosely
		local f
		for f in $(awk '/^tests\/.*\.t +\(Wstat/ {print $1}' "$WORK/make-test.log"); do
			log "$f again, verbosely (its failures and their diagnostics):"
			in_root "cd /root/optguard && OPTGUARD=\$PWD/optguard OUTPUT=\$PWD/.output \
				timeout 600 prove -v $f" 2>&1 | grep -A8 '^not ok' | sed 's/^/  | /' >&2 || true
		done
		die "make test failed (exit $rc)"
	fi
	# 3. not in the quick start, but its packages must come with it too: make fuzz, briefly
	phase "make fuzz FUZZ_SECONDS=5" in_root "cd /root/optguard &&
		timeout 900 make fuzz FUZZ_SECONDS=5" 2>&1 | sed -u 's/^/  | /' >&2
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || die "make fuzz failed (exit $rc)"
	if [ "${OPTGUARD_CLEANROOM_SKIPS:-0}" = 1 ]; then
		# which tests skip here, and why (a skip a fresh machine should not need is a bug)
		phase "skips" in_root 'cd /root/optguard && OPTGUARD=$PWD/optguard \
			OUTPUT=$PWD/.output timeout 1200 prove -v tests/*.t 2>&1 | grep -E "SKIP"' |
			sed 's/^/  | /' >&2 || true
	fi
	log "the README's quick start works on a pristine $SUITE root"
}

# what the tests left in the root (they must leave nothing): said, not failed on
leftovers() {
	local l
	# (maps.debug and progs.debug are bpffs's own, in every instance: CONFIG_BPF_PRELOAD)
	l=$(cd "$R" && ls -d sys/fs/bpf/* run/optguard/* 2>/dev/null |
		grep -vxE 'sys/fs/bpf/(maps|progs)\.debug' || true)
	[ -z "$l" ] || log "left behind in the root: $(echo $l)"
}

# ---------------------------------------------------------------------------------------------
# On the host
# ---------------------------------------------------------------------------------------------

# The machine's apt sources for $SUITE as one-line entries, "deb [signed-by=K] URI SUITE COMP..."
host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && grep -E '^[[:space:]]*deb[[:space:]]' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
		function flush(u, s, opt) {
			if (types ~ /(^| )deb( |$)/ && tolower(enabled) != "no" && uris != "") {
				opt = (sb != "" ? "[signed-by=" sb "] " : "")
				n = split(uris, U, " "); m = split(suites, S, " ")
				for (u = 1; u <= n; u++) for (s = 1; s <= m; s++)
					print "deb " opt U[u] " " S[s] " " comps
			}
			types = uris = suites = comps = sb = enabled = ""
		}
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ { next }		# a continuation line (an inline key block)
		{
			key = tolower($1); sub(/:$/, "", key); val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "uris") uris = val
			else if (key == "suites") suites = val
			else if (key == "components") comps = val
			else if (key == "enabled") enabled = val
			else if (key == "signed-by" && val ~ /^\//) sb = val
		}
		END { flush() }' "$f"
	done
}

suite_sources() {
	host_sources | awk -v s="$SUITE" '{
		i = 2
		if ($2 ~ /^\[/) {		# [options], maybe several fields
			while (i <= NF && $i !~ /\]$/) i++
			i++
		}
		if ($(i + 1) == s || $(i + 1) == s "-updates" || $(i + 1) == s "-security") {
			$1 = $1; print
		}
	}' | sort -u
}

# the pristine root: from the cache, or built now
ensure_tarball() {
	local tar=$CACHE/$SUITE.tar key sources
	sources=$(suite_sources)
	[ -n "$sources" ] || die "no apt source of this machine serves $SUITE"
	key=$(printf '%s\n' "variant=$VARIANT" "$sources" "$(dpkg-query -W -f '${Version}' mmdebstrap)" |
		sha256sum | cut -c1-16)
	if [ -f "$tar" ] && [ "$(cat "$tar.key" 2>/dev/null)" = "$key" ] &&
		[ -n "$(find "$tar" -mtime -"$MAX_AGE")" ]; then
		log "pristine root: $tar ($(du -h "$tar" | cut -f1), built $(date -r "$tar" +%F))"
		return 0
	fi
	log "building the pristine root ($SUITE, variant $VARIANT) from:"
	printf '%s\n' "$sources" | sed 's/^/  /' >&2
	local -a mirrors
	mapfile -t mirrors <<< "$sources"
	rm -f "$tar" "$tar.key" "$tar.new.tar"
	mmdebstrap --quiet --variant="$VARIANT" --mode=root --format=tar "$SUITE" "$tar.new.tar" \
		"${mirrors[@]}"
	mv "$tar.new.tar" "$tar"
	echo "$key" > "$tar.key"
	log "pristine root: $tar ($(du -h "$tar" | cut -f1))"
}

host_cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		# nothing is mounted there in this namespace: say so if it were, and never cross it
		if grep -qF " $WORK/" /proc/self/mounts; then
			log "BUG: mounts under $WORK in the host's namespace:"
			grep -F " $WORK/" /proc/self/mounts >&2
			rc=1
		else
			rm -rf --one-file-system "$WORK"
		fi
	fi
	log "total $(($(date +%s) - T0))s"
	exit $rc
}

if [ "${1:-}" = --inside ]; then
	WORK=$2
	TOP=$3
	inside
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chroot, mounts)"
TOP=$(cd "$(dirname "$0")/.." && pwd)
git -C "$TOP" rev-parse HEAD > /dev/null || die "$TOP is not a git checkout"
T0=$(date +%s)
phase "host packages" "$TOP/scripts/deps.sh" cleanroom
mkdir -p "$CACHE"
exec 9> "$CACHE/lock"
flock 9			# one run at a time (the tarball, apt's archives); held here, not inside
phase "pristine root" ensure_tarball

mkdir -p "$WORKBASE"
WORK=$(mktemp -d "$WORKBASE/optguard-cleanroom.XXXXXX")
trap host_cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir "$WORK/root"
phase "unpack" tar -C "$WORK/root" --numeric-owner -xpf "$CACHE/$SUITE.tar"
unshare --mount --propagation private -- "$0" --inside "$WORK" "$TOP" 9>&-
