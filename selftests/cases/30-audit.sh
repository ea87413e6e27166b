#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# mode = audit changes nothing: a deny rule and a rewrite rule let the call
# through unchanged, and the events record what enforce mode would have done.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
ev=$T/events.jsonl
og_policy "$T/p.ini" "$app" "$ev" <<INI
mode = audit

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
	fail "optguard run (mode = audit) starts"
	exit 0
fi
is "$(in_cg "$app" "$SOCKOPT" 1 36 5)" "set=0 get=5" "audit: SO_MARK is not denied"
is "$(in_cg "$app" "$SOCKOPT" 1 12 6)" "set=0 get=6" "audit: SO_PRIORITY is not rewritten"
check "audit: the deny rule is logged" wait_grep "$ev" '"rule":"deny-mark"'
like "$(grep '"rule":"deny-mark"' "$ev" | head -1)" '"mode":"audit"' \
	"audit: the event says mode audit"
check "audit: the rewrite rule is logged" wait_grep "$ev" '"rule":"prio-two"'
og_stop
is "$DAEMON_STATUS" 0 "the daemon exits 0"
