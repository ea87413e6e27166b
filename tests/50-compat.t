#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The limit of cgroup-only enforcement, asserted so that it stays known: the
# kernel skips the cgroup setsockopt hook for 32-bit (compat) callers, so a
# `gcc -m32` client in the policy's cgroup is not denied, while the same call
# from a 64-bit client is.  (The LSM hook is what closes this gap.)
. "$(dirname "$0")/lib.sh"
require_root

s32="${OUTPUT:-$TESTS_DIR/../.output}/tests/sockopt32"
[ -x "$s32" ] || skip_all "no 32-bit client at $s32 (make builds it with gcc -m32)"
out=$("$s32" 1 36 5 2>&1)
case "$out" in
set=0*) ;;
*) skip_all "this kernel cannot run the 32-bit client: $out" ;;
esac

cg=$(mkcg app)
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $cg
pin_dir = $OG_PIN
log = none

[rule:no-mark]
option = SO_MARK
action = deny
INI
og_start "$T/p.ini" || { echo "1..0 # SKIP daemon did not start"; exit 1; }
is "$(in_cg "$cg" python3 "$TESTS_DIR/clients/sockopt.py" SO_MARK 5)" "set=-1 errno=EPERM" \
	"a 64-bit client is denied by the cgroup hook"
is "$(in_cg "$cg" "$s32" 1 36 5)" "set=0 get=5" \
	"a 32-bit client bypasses the cgroup hook (cgroup-only enforcement)"
og_stop
done_testing
