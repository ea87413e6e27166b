#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bindings that follow paths (enforcer/daemon/bindings.c): a scope names a
# cgroup path, a glob pattern or a unit, and its rules apply to the cgroups
# there *now*.  A path, a pattern and a unit matching nothing at start
# (valid: check notes it, status lists them as waiting) bind the cgroups made
# later.  When selectors of two scopes bind the same cgroup, the most
# specific decides, option by option (path, then unit, then the pattern with
# the most literal characters).  tests/39-recreate.t: cgroups removed and
# made again.
. "$(dirname "$0")/lib.sh"
require_root

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

done_testing
