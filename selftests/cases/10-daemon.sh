#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The daemon end to end with a policy file: start, enforce (deny with the
# rule's errno, rewrite), a decision event in the JSON log, a process outside
# the policy's cgroup untouched, SIGTERM stops it with status 0.  On kernels
# without bpf_set_retval (before 5.18) a deny yields EPERM whatever the
# rule's errno, and the daemon must say so at start.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
other=$(mkcg other)
ev=$T/events.jsonl
og_policy "$T/p.ini" "$app" "$ev" <<INI

[rule:deny-mark]
option = SO_MARK
action = deny
errno = EACCES

[rule:prio-two]
option = SO_PRIORITY
action = rewrite
value = 2
INI

if ! og_start "$T/p.ini"; then
	fail "optguard run starts and says it is enforcing"
	exit 0
fi
pass "optguard run starts and says it is enforcing"
sed 's/^/#   daemon: /' "$T/daemon.err"

if kver_ge 5 18; then
	ok "$(grep -c 'lacks bpf_set_retval' "$T/daemon.err" || true)" \
		"no bpf_set_retval warning on $(uname -r) (5.18+ has the helper)"
else
	check "the daemon warns that $(uname -r) lacks bpf_set_retval" \
		grep -q 'lacks bpf_set_retval' "$T/daemon.err"
fi
e=$(deny_errno)
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=-1 errno=$e" \
	"deny: SO_MARK from the policy's cgroup fails with errno $e"
is "$(in_cg "$app" "$SOCKOPT" 1 12 6)" "set=0 get=2" \
	"rewrite: SO_PRIORITY 6 becomes 2"
is "$(in_cg "$other" "$SOCKOPT" 1 36 5)" "set=0 get=5" \
	"a process outside the policy's cgroup is not checked"
check "an event names the deny rule" wait_grep "$ev" '"rule":"deny-mark"'
like "$(grep '"rule":"deny-mark"' "$ev" | head -1)" '"action":"deny"' \
	"the deny event says action deny"
check "an event names the rewrite rule" wait_grep "$ev" '"rule":"prio-two"'
og_stop
is "$DAEMON_STATUS" 0 "SIGTERM: the daemon exits 0"
grep -q '"rule":"deny-mark"' "$ev" 2>/dev/null || sed 's/^/#   event: /' "$ev" 2>/dev/null || true
