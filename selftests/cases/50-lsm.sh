#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The LSM hook (lsm/socket_setsockopt), booted with lsm=...,bpf:
# - a deny rule's errno comes from the LSM hook on every kernel (it returns
#   the errno itself: no bpf_set_retval needed);
# - a 32-bit (compat) client is denied too: the gap of cgroup-only mode is closed;
# - one denied call gives one event, with hook "lsm";
# - a process outside the policy's cgroup is untouched (the hook is global);
# - value-aware rules still work, through the cgroup hook;
# - audit mode denies nothing and logs hook "lsm", mode "audit";
# - default = deny is applied by the LSM hook, to 32-bit callers too.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
other=$(mkcg other)
ev=$T/events.jsonl
policy() {	# policy MODE DEFAULT
	og_policy "$T/p.ini" "$app" "$ev" <<INI
lsm = require
mode = $1
default = $2
default_errno = ENOPROTOOPT

[rule:deny-mark]
option = SO_MARK
action = deny
errno = EACCES

[rule:tos]
option = IP_TOS
action = deny
except = AF41

[rule:allow-prio]
option = SO_PRIORITY
action = allow
INI
}

policy enforce allow
og_start_lsm "$T/p.ini" "the LSM hook enforces" || exit 0
check "the daemon enforces with both hooks" \
	grep -q "lsm/socket_setsockopt, cgroup/setsockopt" "$T/daemon.err"
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=13" \
	"LSM deny: SO_MARK fails with the rule's errno (EACCES)"
out=$("$SOCKOPT32" 1 36 7 2>&1) || true
case "$out" in
set=0*)
	is "$(in_cg "$app" "$SOCKOPT32" 1 36 5)" "set=-1 errno=13" \
		"LSM deny: a 32-bit client is denied too" ;;
*)
	skip "32-bit executables (CONFIG_IA32_EMULATION): $out" \
		"LSM deny: a 32-bit client is denied too" ;;
esac
is "$(in_cg "$other" "$SOCKOPT" 1 36 5)" "set=0 get=5" \
	"a process outside the policy's cgroup is untouched by the global hook"
is "$(in_cg "$app" "$SOCKOPT" 0 1 136)" "set=0 get=136" \
	"value-aware: IP_TOS AF41 (in except) passes the cgroup hook"
is "$(in_cg "$app" "$SOCKOPT" 0 1 184)" "set=-1 errno=1" \
	"value-aware: IP_TOS EF is denied by the cgroup hook"
is "$(in_cg "$app" "$SOCKOPT" 1 12 3)" "set=0 get=3" "an allow rule lets SO_PRIORITY through"
wait_grep "$ev" '"rule":"tos".*"errno":1' || true
# SO_MARK was denied twice (64 and 32 bit, where 32-bit runs): one event each, from the LSM hook
n64=1
case "$out" in set=0*) n64=2 ;; esac
is "$(grep -c '"rule":"deny-mark"' "$ev")" "$n64" "one event per denied call, not one per hook"
is "$(grep '"rule":"deny-mark"' "$ev" | grep -c '"hook":"lsm"')" "$n64" \
	"the deny events come from the LSM hook"
like "$(grep '"rule":"tos"' "$ev" | tail -1)" '"hook":"cgroup_setsockopt"' \
	"the value-aware deny event comes from the cgroup hook"
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=0 get=5" "after it stops, nothing is enforced"

: > "$ev"
policy audit allow
og_start "$T/p.ini" || { fail "optguard run (audit) starts"; exit 0; }
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=0 get=5" "audit mode: the LSM hook denies nothing"
check "audit mode: the event says hook lsm, mode audit" \
	wait_grep "$ev" '"hook":"lsm","action":"deny","mode":"audit"'
og_stop

: > "$ev"
policy enforce deny
og_start "$T/p.ini" || { fail "optguard run (default deny) starts"; exit 0; }
is "$(in_cg "$app" "$SOCKOPT" 1 9 1)" "set=-1 errno=92" \
	"default deny: SO_KEEPALIVE (no rule) fails with default_errno ENOPROTOOPT"
case "$out" in
set=0*)
	is "$(in_cg "$app" "$SOCKOPT32" 1 9 1)" "set=-1 errno=92" \
		"default deny: a 32-bit client too" ;;
esac
is "$(in_cg "$app" "$SOCKOPT" 1 12 3)" "set=0 get=3" "default deny: an allow rule still allows"
check "default deny: the event names rule (default)" wait_grep "$ev" '"rule":"\(default\)"'
og_stop
