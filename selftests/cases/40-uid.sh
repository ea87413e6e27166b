#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# uid scope: a rule scoped to uid 65534 denies that uid's SO_PRIORITY (an
# option an unprivileged process may set) and leaves root's call in the same
# cgroup alone.  The client drops to the uid itself (sockopt -u) after it was
# moved into the cgroup.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
out=$("$SOCKOPT" -u 65534 1 12 3 2>&1) || true
if [ "$out" != "set=0 get=3" ]; then
	fail "uid 65534 can set SO_PRIORITY 3 without a policy"
	diag "  got: $out"
	exit 0
fi
og_policy "$T/p.ini" "$app" <<INI

[scope:nobody]
uid = 65534

[rule:nobody-prio]
scope = nobody
option = SO_PRIORITY
action = deny
errno = EACCES
INI
if ! og_start "$T/p.ini"; then
	fail "optguard run with a uid scope starts"
	exit 0
fi
e=$(deny_errno)
is "$(in_cg "$app" "$SOCKOPT" -u 65534 1 12 3)" "set=-1 errno=$e" \
	"uid 65534 in the cgroup is denied SO_PRIORITY (errno $e)"
is "$(in_cg "$app" "$SOCKOPT" 1 12 3)" "set=0 get=3" \
	"root in the same cgroup is not"
is "$("$SOCKOPT" -u 65534 1 12 3)" "set=0 get=3" \
	"uid 65534 outside the policy's cgroup is not"
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
