#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The LSM hook follows the bindings (enforcer/daemon/bindings.c): a scope
# whose pattern matches a cgroup made after the start denies there by the LSM
# hook (a value-blind deny: "hook":"lsm"), a 32-bit caller included (the
# cgroup hook skips it); the policy's own cgroup removed and made again: the
# LSM hook acts below the new one (its cgroup array points at it) and so do
# the cgroup programs.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
ev="$T/ev.jsonl"
cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $app
lsm = require
log = json
log_file = $ev
log_rate = 0

[scope:svc]
cgroup = $app/svc*

[rule:svc-prio]
scope = svc
option = SO_PRIORITY
action = deny
errno = EACCES

[rule:mark]
option = SO_MARK
action = deny
errno = EPERM
INI
og_start_lsm "$T/p.ini" "the LSM hook follows bindings" || exit 0
mkdir "$app/svc1"
check "the cgroup made after the start is bound (a bind event)" \
	wait_grep "$ev" '"event":"bind","scope":"svc"'
is "$(in_cg "$app/svc1" "$SOCKOPT" 1 12 3)" "set=-1 errno=13" \
	"a pattern's cgroup made after the start: its deny"
check "decided by the LSM hook" wait_grep "$ev" '"hook":"lsm".*"rule":"svc-prio"'
if [ -x "$SOCKOPT32" ]; then
	is "$(in_cg "$app/svc1" "$SOCKOPT32" 1 12 3)" "set=-1 errno=13" \
		"a 32-bit caller there too (only the LSM hook sees it)"
else
	skip "no 32-bit client" "a 32-bit caller there too"
fi
rmdir "$app/svc1"
rmdir "$app"
check "the daemon says the policy's cgroup was removed" \
	wait_grep "$T/daemon.err" "cgroup $app was removed"
mkdir "$app"
check "and that it attached to the new one" wait_grep "$T/daemon.err" "was made again"
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=1" \
	"the policy's cgroup made again: enforced there"
if [ -x "$SOCKOPT32" ]; then
	is "$(in_cg "$app" "$SOCKOPT32" 1 36 5)" "set=-1 errno=1" \
		"a 32-bit caller in the new cgroup: the LSM hook acts below it"
else
	skip "no 32-bit client" "a 32-bit caller in the new cgroup"
fi
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
