#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bindings that follow paths (enforcer/daemon/bindings.c): a scope names a
# cgroup path, a glob pattern or a unit, and its rules apply to the cgroups
# there *now*.  A scope's cgroup removed and made again 100 times, a hammer of
# setsockopt calls from inside each new one after the daemon reported the
# binding: not one call may get through.  A path, a pattern and a unit
# matching nothing at start (valid: check notes it, status lists them as
# waiting) bind the cgroups made later.  When selectors of two scopes bind the
# same cgroup, the most specific decides (path, then unit, then the pattern
# with the most literal characters).  The enforcer's own cgroup removed:
# status says nothing is enforced; made again: the programs are attached to
# the new one and calls from it are decided again.
. "$(dirname "$0")/lib.sh"
require_root
HAMMER=${OUTPUT:-$(cd "$TESTS_DIR/.." && pwd)/.output}/bench/hammer
[ -x "$HAMMER" ] || skip_all "no $HAMMER (make test builds it)"

cg=$(mkcg top)
ev="$T/bind.jsonl"
cat > "$T/bind.ini" <<INI
[enforcer]
cgroup = $cg
pin_dir = $OG_PIN
log = json
log_file = $ev
log_rate = 0

[scope:svc]
cgroup = $cg/svc

[scope:web]
cgroup = $cg/web*/x

[scope:unit]
unit = x.service

[scope:svc-glob]
cgroup = $cg/sv?

[rule:svc-mark]
scope = svc
option = SO_MARK
action = deny
errno = EACCES

[rule:web-mark]
scope = web
option = SO_MARK
action = deny
errno = ENOBUFS

[rule:unit-mark]
scope = unit
option = SO_MARK
action = deny
errno = ENOSPC

[rule:svc-glob-mark]
scope = svc-glob
option = SO_MARK
action = deny
errno = EROFS

[rule:svc-glob-prio]
scope = svc-glob
option = SO_PRIORITY
action = deny
errno = EROFS
INI

out=$("$OPTGUARD" check "$T/bind.ini" 2>&1)
ok $? "a policy whose path, pattern and unit match nothing yet is valid"
like "$out" "note: cgroup '$cg/svc' does not exist yet" "check notes the path not made yet"
like "$out" "note: scope 'web': pattern '$cg/web\*/x' matches no cgroup now" \
	"check notes the pattern that matches nothing"
like "$out" "note: scope 'unit': unit 'x.service' matches no cgroup now" \
	"check notes the unit that matches nothing"

og_start "$T/bind.ini" || { echo "Bail out! daemon did not start"; exit 1; }
st=$("$OPTGUARD" status --pin-dir "$OG_PIN")
like "$st" "svc +waiting +cgroup $cg/svc: no cgroup matches yet" "status lists the path as waiting"
like "$st" "web +waiting +cgroup $cg/web\*/x" "status lists the pattern as waiting"
like "$st" "unit +waiting +unit x.service" "status lists the unit as waiting"

# in_cg_client DIR OPTION: one setsockopt(OPTION, 1) from a process in DIR
in_cg_client() { in_cg "$1" python3 "$TESTS_DIR/clients/sockopt.py" "$2" 1; }

# --- a path made after the start, then removed and made again 100 times ------
mkdir "$cg/svc"
wait_grep "$ev" '"event":"bind","scope":"svc"' ||
	diag "no bind event for $cg/svc"
is "$(in_cg_client "$cg/svc" SO_MARK)" "set=-1 errno=EACCES" \
	"a cgroup made at the scope's path after the start gets its rules"
# the pattern sv? binds it too: the path is more specific for SO_MARK; the pattern's
# SO_PRIORITY rule, which no more specific selector decides, applies
is "$(in_cg_client "$cg/svc" SO_PRIORITY)" "set=-1 errno=EROFS" \
	"a cgroup bound by a path and a pattern: each option decided by the most specific"
like "$("$OPTGUARD" status --pin-dir "$OG_PIN")" "svc +bound +$cg/svc \(id [0-9]+, since " \
	"status shows the cgroup bound, its id and since when"

calls=0
escaped=0
unbound=0
for i in $(seq 1 100); do
	rmdir "$cg/svc" || { diag "cannot remove $cg/svc"; break; }
	mkdir "$cg/svc"
	# the binding reported: its bind event (i + 1 of them for svc)
	if ! wait_grep "$ev" '"event":"bind","scope":"svc"' $((i + 1)); then
		unbound=$((unbound + 1))
		continue
	fi
	# a hammer in the new cgroup from its first call: none of its calls may pass
	r=$("$HAMMER" -c "$cg/svc" -t 0.05)
	calls=$((calls + $(echo "$r" | sed -n 's/.*calls=\([0-9]*\).*/\1/p')))
	escaped=$((escaped + $(echo "$r" | sed -n 's/.*allowed=\([0-9]*\) .*/\1/p')))
done
diag "100 removals and recreations: $calls calls from inside after the binding was reported," \
	"$escaped got through, $unbound bindings not reported within 5 s"
is "$unbound" 0 "each recreated cgroup was bound (a bind event) within 5 s"
is "$escaped" 0 "not one of $calls setsockopt calls from inside a recreated cgroup got through"
ok $([ "$calls" -gt 1000 ] && echo 0 || echo 1) "the hammers made calls ($calls)"
like "$(grep -c '"event":"unbind","scope":"svc"' "$ev")" "^(100|101)$" \
	"each removal is an unbind event naming the cgroup"

# --- a pattern: directories made later, two levels at once --------------------
mkdir -p "$cg/web1/x" "$cg/api/x"
wait_grep "$ev" '"event":"bind","scope":"web","cgroup":"/[^"]*/web1/x"' ||
	diag "no bind event for web1/x"
is "$(in_cg_client "$cg/web1/x" SO_MARK)" "set=-1 errno=ENOBUFS" \
	"a cgroup matching the pattern, made with its parent after the start, gets its rules"
is "$(in_cg_client "$cg/web1" SO_MARK)" "set=0 get=1" "its parent, which does not match, does not"
is "$(in_cg_client "$cg/api/x" SO_MARK)" "set=0 get=1" "nor a cgroup the pattern does not name"

# --- a unit: a plain directory named like one, anywhere below the cgroup ------
mkdir -p "$cg/some.slice/x.service" "$cg/other.slice/deeper/x.service"
wait_grep "$ev" '"event":"bind","scope":"unit"' 2 || diag "no bind events for x.service"
is "$(in_cg_client "$cg/some.slice/x.service" SO_MARK)" "set=-1 errno=ENOSPC" \
	"unit = x.service: a directory of that name in one slice gets its rules"
is "$(in_cg_client "$cg/other.slice/deeper/x.service" SO_MARK)" "set=-1 errno=ENOSPC" \
	"and one deeper in another"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN")
like "$st" "unit +bound +$cg/some.slice/x.service" "status lists the unit's cgroups"
unlike_waiting=$(echo "$st" | grep -c "waiting")
is "$unlike_waiting" 0 "no selector waits once each matches a cgroup"

# --- a reload keeps the bindings ------------------------------------------------
og_reload
is "$(in_cg_client "$cg/svc" SO_MARK)" "set=-1 errno=EACCES" "a reload keeps the bound cgroups' rules"
og_stop
[ -s "$T/daemon.err" ] && grep -i "bindings" "$T/daemon.err" | sed 's/^/# daemon: /'

# --- the enforcer's own cgroup removed and made again ---------------------------
enf=$(mkcg enf)
cat > "$T/enf.ini" <<INI
[enforcer]
cgroup = $enf
pin_dir = $OG_PIN
log = json
log_file = $T/enf.jsonl

[rule:mark]
option = SO_MARK
action = deny
errno = EACCES
INI
og_start "$T/enf.ini" || { echo "Bail out! daemon did not start"; exit 1; }
is "$(in_cg_client "$enf" SO_MARK)" "set=-1 errno=EACCES" "enforced in the enforcer's cgroup"
rmdir "$enf"
wait_grep "$T/daemon.err" "enforcer's cgroup .* was removed" || diag "no word of the removal"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN")
rc=$?
like "$st" "cgroup: +$enf: GONE" "status says the enforcer's cgroup is gone"
like "$st" "integrity: NOT ENFORCING" "and that nothing is enforced"
is "$rc" 1 "status exits 1 meanwhile"
mkdir "$enf"
wait_grep "$T/daemon.err" "was made again .*: the programs are attached to it" ||
	diag "no word of the re-attach"
is "$(in_cg_client "$enf" SO_MARK)" "set=-1 errno=EACCES" \
	"the enforcer's cgroup made again: calls from it are enforced again"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN")
rc=$?
like "$st" "cgroup: +$enf \(made again .*the programs are attached to it\)" \
	"status says the programs are attached to the new cgroup"
like "$st" "integrity: ok" "and integrity is ok"
is "$rc" 0 "status exits 0"
# twice: the pins of the first recreation are replaced
rmdir "$enf" && mkdir "$enf"
wait_grep "$T/daemon.err" "was made again" 2 || diag "no word of the second re-attach"
is "$(in_cg_client "$enf" SO_MARK)" "set=-1 errno=EACCES" "and again after a second recreation"
# the stop leaves it enforced (pinned)
kill -TERM "$DAEMON_PID"
wait "$TIMEOUT_PID" 2>/dev/null
is "$(in_cg_client "$enf" SO_MARK)" "set=-1 errno=EACCES" \
	"after the daemon stops, the programs attached to the new cgroup stay (pinned)"
like "$("$OPTGUARD" status --pin-dir "$OG_PIN")" "integrity: ok" \
	"status of the pinned programs: the new cgroup's links are attached"
og_stop
is "$(in_cg_client "$enf" SO_MARK)" "set=0 get=1" "unload detaches them"

done_testing
