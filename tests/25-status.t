#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `optguard status` from another shell while the daemon runs: the policy and
# its sha256, the hooks (and why cgroup-only), per-rule counters that count
# the real calls; one daemon per pin_dir; a clear error for non-root; and
# nothing left behind (state file, pin) after the daemon stops.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
pin=/sys/fs/bpf/optguard-test-$$
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $cg
log = none
pin_dir = $pin

[rule:no-mark]
option = SO_MARK
action = deny

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
max = 64K
INI
og_start "$T/p.ini" || { echo "1..0 # SKIP daemon did not start"; exit 1; }
in_cg "$cg" python3 "$TESTS_DIR/clients/sockopt.py" SO_MARK 1 SO_MARK 2 SO_SNDBUF 1048576 \
	SO_SNDBUF 4096 > /dev/null

st=$("$OPTGUARD" status --pin-dir "$pin")
ok $? "status exits 0 while the daemon runs"
like "$st" "daemon: +pid $DAEMON_PID," "status names the daemon's pid"
like "$st" "policy: +$T/p.ini" "status names the policy file"
is "$(printf '%s\n' "$st" | awk '/^sha256:/ {print $2}')" "$(sha256sum < "$T/p.ini" | cut -d' ' -f1)" \
	"status shows the policy's sha256, as sha256sum computes it"
like "$st" "mode: +enforce, default allow" "status shows mode and default"
like "$st" "hooks: +(lsm/socket_setsockopt, cgroup/setsockopt|cgroup/setsockopt only)" \
	"status shows the hooks"
if printf '%s\n' "$st" | grep -q "cgroup/setsockopt only"; then
	like "$st" "cgroup-only: .*32-bit" "cgroup-only: status says why and what is not checked"
fi
is "$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $2 "/" $3}')" "2/0" \
	"counters: no-mark decided 2 calls (log = none: no events)"
is "$(printf '%s\n' "$st" | awk '$1 == "sndbuf" {print $2}')" "2" "counters: sndbuf decided 2 calls"
is "$(printf '%s\n' "$st" | awk '$1 == "total" {print $2}')" "4" "counters: the total adds up"

out=$("$OPTGUARD" run --policy "$T/p.ini" 2>&1)
is "$?" "1" "a second daemon with the same pin_dir refuses to start"
like "$out" "another optguard daemon \(pid $DAEMON_PID\) runs with pin_dir $pin" \
	"... and says which daemon runs"

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$OPTGUARD" status --pin-dir "$pin" 2>&1)
is "$?" "1" "status as non-root exits 1"
like "$out" "status: needs root" "... with a clear message"

og_stop
out=$("$OPTGUARD" status --pin-dir "$pin" 2>&1)
is "$?" "1" "status after the daemon stopped exits 1"
like "$out" "no optguard daemon runs with pin_dir $pin" "... saying no daemon runs"
ok "$([ ! -e "$pin" ] && [ ! -e /run/optguard/optguard-test-$$.state ]; echo $?)" \
	"the daemon removed its pin and state file"
rm -f /run/optguard/optguard-test-$$.lock
done_testing
