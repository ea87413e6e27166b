#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The limit of cgroup-only enforcement: the kernel skips the cgroup
# setsockopt hook for 32-bit (compat) syscalls, so a `gcc -m32` client in the
# policy's cgroup is NOT denied, while the same call from the 64-bit client
# is.  Asserted with lsm = off, so that it holds whatever the kernel's LSM
# offers: closing this gap is what the LSM hook is for.
set -eu
. /selftests/lib.sh

out=$("$SOCKOPT32" 1 36 7 2>&1) || true
case "$out" in
set=0*) ;;
*)
	skip "32-bit executables (CONFIG_IA32_EMULATION): $out" \
		"a 32-bit client is not stopped by the cgroup hook"
	exit 0 ;;
esac

app=$(mkcg app)
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $app
lsm = off
log = none

[rule:deny-mark]
option = SO_MARK
action = deny
INI
if ! og_start "$T/p.ini"; then
	fail "optguard run (lsm = off) starts"
	exit 0
fi
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=1" \
	"the 64-bit client is denied by the cgroup hook"
is "$(in_cg "$app" "$SOCKOPT32" 1 36 5)" "set=0 get=5" \
	"the 32-bit client in the same cgroup is not: the cgroup hook skips compat syscalls"
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
