#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Who a policy applies to, checked with real setsockopt calls (python3
# client) from processes placed in child cgroups and run as other uids: a
# process outside the policy's cgroup is untouched; default = deny with
# default_errno; precedence of nested cgroup scopes and of uid scopes; a
# uid-only scope; mode = audit changes nothing but logs what enforce would
# have done; a rule written as LEVEL:OPTNAME is the same option as its name.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg top)
inner=$(mkcg top/inner)
leaf=$(mkcg top/inner/leaf)
other=$(mkcg other)		# a sibling of the policy's cgroup, not the root
sockopt="$TESTS_DIR/clients/sockopt.py"

# python3 as uid 65534: setpriv drops privileges after in_cg moved the
# process; the interpreter and the client must be ones that user may run (the client is
# copied where it can: the checkout may be in root's home, /root, mode 0700)
nobody_py=""
nobody_sockopt=$(public_copy "$sockopt")
if command -v setpriv > /dev/null; then
	for p in /usr/bin/python3 "$(command -v python3)"; do
		if [ "$(setpriv --reuid=65534 --regid=65534 --clear-groups "$p" "$nobody_sockopt" \
			SO_REUSEADDR 1 2>/dev/null)" = "set=0 get=1" ]; then
			nobody_py=$p
			break
		fi
	done
fi
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups "$nobody_py")

# --- 1. enforce, default allow: cgroup scope, nested precedence, uid scopes ----
ev="$T/scope.jsonl"
og_policy "$T/scope.ini" "$cg" "$ev" <<INI

[scope:inner]
cgroup = $inner

[scope:inner-nobody]
cgroup = $inner
uid = 65534

[scope:nobody]
uid = nobody

; SO_MARK written as LEVEL:OPTNAME; the inner rules name it SO_MARK
[rule:no-mark]
option = 1:36
action = deny

[rule:inner-mark]
scope = inner
option = SO_MARK
action = allow

[rule:inner-nobody-mark]
scope = inner-nobody
option = SO_MARK
action = deny
errno = EACCES

[rule:nobody-prio]
scope = nobody
option = SO_PRIORITY
action = deny

[rule:lowat-num]
option = SOL_SOCKET:18
action = deny
errno = EACCES
INI
og_must_start "$T/scope.ini"

client_table - <<CALLS
$other SO_MARK 5     | set=0 get=5         | outside the policy's cgroup (sibling cgroup): SO_MARK is untouched
$cg SO_MARK 5        | set=-1 errno=EPERM  | inside the policy's cgroup: SO_MARK is denied
$inner SO_MARK 5     | set=0 get=5         | nested scope: the inner cgroup's allow beats '*' deny (process in the scope's cgroup)
$leaf SO_MARK 5      | set=0 get=5         | nested scope: the inner cgroup's allow beats '*' deny (process in a subtree cgroup)
$other SO_RCVLOWAT 7 | set=0 get=7         | outside the policy's cgroup: SO_RCVLOWAT is untouched
$cg SO_RCVLOWAT 7    | set=-1 errno=EACCES | LEVEL:OPTNAME rule (SOL_SOCKET:18) denies SO_RCVLOWAT with its errno
$cg 1:18 7           | set=-1 errno=EACCES | LEVEL:OPTNAME rule denies the call made by number too
$cg SO_PRIORITY 3    | set=0 get=3         | uid scope: root is not uid nobody, SO_PRIORITY is allowed
CALLS
if [ -n "$nobody_py" ]; then
	is "$(in_cg "$cg" "${as_nobody[@]}" "$nobody_sockopt" SO_PRIORITY 3)" "set=-1 errno=EPERM" \
		"uid scope: uid nobody (65534) is denied SO_PRIORITY"
	is "$(in_cg "$other" "${as_nobody[@]}" "$nobody_sockopt" SO_PRIORITY 3)" "set=0 get=3" \
		"uid scope: uid nobody outside the policy's cgroup is untouched"
	# without CAP_NET_ADMIN the kernel itself says EPERM to SO_MARK; EACCES
	# can come only from the rule with the uid scope
	is "$(in_cg "$leaf" "${as_nobody[@]}" "$nobody_sockopt" SO_MARK 5)" "set=-1 errno=EACCES" \
		"same cgroup depth: the scope with a uid beats the cgroup-only scope"
else
	skip "no setpriv, or no python3 that uid 65534 may run" "uid scope: uid nobody denied"
	skip "no setpriv, or no python3 that uid 65534 may run" "uid scope: nobody outside"
	skip "no setpriv, or no python3 that uid 65534 may run" "same depth: uid scope wins"
fi
is "$(client_in "$leaf" SO_MARK 6)" "set=0 get=6" \
	"same cgroup depth: the uid scope does not catch other uids (root keeps the allow)"

# one event per call a rule decided inside $cg: root's SO_PRIORITY matched no
# rule (default allow: no event), the calls from $other are not seen
n_ev=6
[ -n "$nobody_py" ] && n_ev=8
wait_events "$ev" "$n_ev"
is "$(wc -l < "$ev")" "$n_ev" "one event per decided call inside the policy's cgroup, none outside"
line=$(evline "$ev" '"rule":"no-mark"')
is "$(jfields "$ev" "$line" option action)" "SO_MARK/deny" \
	"event: the 1:36 rule is reported as SO_MARK, deny"
is "$(jfield "$ev" "$line" cgroup)" "${cg#$CG2}" "event: the denied caller's cgroup"
line=$(evline "$ev" '"rule":"inner-mark"')
is "$(jfield "$ev" "$line" action)" "allow" "event: the inner allow rule decided the nested call"
is "$(grep -c '"rule":"inner-mark"' "$ev")" "3" "event: the inner allow rule decided all 3 root calls"
line=$(evline "$ev" '"rule":"lowat-num"')
is "$(jfields "$ev" "$line" option errno)" "SO_RCVLOWAT/13" \
	"event: the SOL_SOCKET:18 rule is reported as SO_RCVLOWAT with errno 13"
if [ -n "$nobody_py" ]; then
	line=$(evline "$ev" '"rule":"nobody-prio"')
	is "$(jfields "$ev" "$line" uid action)" "65534/deny" \
		"event: the uid-scoped deny names uid 65534"
	line=$(evline "$ev" '"rule":"inner-nobody-mark"')
	is "$(jfields "$ev" "$line" uid errno)" "65534/13" \
		"event: the uid+cgroup rule decided nobody's SO_MARK"
else
	skip "no setpriv, or no python3 that uid 65534 may run" "event: uid-scoped deny"
	skip "no setpriv, or no python3 that uid 65534 may run" "event: uid+cgroup rule"
fi
og_stop

# --- 2. default = deny ----------------------------------------------------------
ev="$T/default.jsonl"
og_policy "$T/default.ini" "$cg" "$ev" <<INI
default = deny
default_errno = EACCES

[rule:reuse-ok]
option = SO_REUSEADDR
action = allow
INI
og_must_start "$T/default.ini"

client_table - <<CALLS
$cg SO_KEEPALIVE 1    | set=-1 errno=EACCES | default = deny: an option without a rule is denied with default_errno EACCES
$leaf TCP_NODELAY 1   | set=-1 errno=EACCES | default = deny: applies in the whole subtree
$cg SO_REUSEADDR 1    | set=0 get=1         | default = deny: an explicit allow rule lets its option through
$other SO_KEEPALIVE 1 | set=0 get=1         | default = deny: a process outside the policy's cgroup is untouched
CALLS
wait_events "$ev" 3
line=$(evline "$ev" '"option":"SO_KEEPALIVE"')
is "$(jfield "$ev" "$line" rule)" "(default)" "event: the default's decision has rule (default)"
is "$(jfields "$ev" "$line" action errno)" "deny/13" \
	"event: the default denies with errno 13"
line=$(evline "$ev" '"option":"SO_REUSEADDR"')
is "$(jfields "$ev" "$line" rule action)" "reuse-ok/allow" \
	"event: the allow rule, not the default, decided SO_REUSEADDR"
og_stop

# --- 3. mode = audit ------------------------------------------------------------
ev="$T/audit.jsonl"
og_policy "$T/audit.ini" "$cg" "$ev" <<INI
mode = audit

[rule:no-mark]
option = SO_MARK
action = deny

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
max = 8K
INI
og_must_start "$T/audit.ini"

# the kernel doubles SO_SNDBUF and caps the request at net.core.wmem_max
req=100000
wmax=$(cat /proc/sys/net/core/wmem_max)
[ "$wmax" -lt "$req" ] && req=$wmax
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" "audit: a deny rule denies nothing, the value is set"
is "$(client_in "$cg" SO_SNDBUF "$req")" "set=0 get=$((req * 2))" \
	"audit: a clamp rule leaves the requested value"
wait_events "$ev" 2
line=$(evline "$ev" '"rule":"no-mark"')
is "$(jfield "$ev" "$line" mode)" "audit" "audit event: mode audit"
is "$(jfield "$ev" "$line" action)" "deny" "audit event: action is what enforce would do (deny)"
is "$(jfield "$ev" "$line" errno)" "1" "audit event: errno enforce would return (1, EPERM)"
line=$(evline "$ev" '"rule":"sndbuf"')
is "$(jfields "$ev" "$line" mode action)" "audit/clamp" \
	"audit event: clamp rule reports mode audit, action clamp"
is "$(jfield "$ev" "$line" requested)" "$req" "audit event: requested is the application's value"
is "$(jfield "$ev" "$line" effective)" "8192" \
	"audit event: effective is what enforce would have set (max 8K)"
og_stop

# --- 4. after the daemon stops -------------------------------------------------
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" "after the daemon stops, SO_MARK is allowed again"
is "$(client_in "$cg" SO_KEEPALIVE 1)" "set=0 get=1" "after the daemon stops, the default deny is gone"
done_testing
