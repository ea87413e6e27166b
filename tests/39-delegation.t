#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Delegation boundaries: a policy attached below a cgroup whose cgroup.procs
# uid 65534 may write lets that user move its own process to a sibling
# outside the policy (shown first, with a real setsockopt), and `check` and
# `run` warn, naming the delegated cgroup, its owner and the cgroup to attach
# at; a scope below a delegated cgroup inside the policy's cgroup likewise.
. "$(dirname "$0")/lib.sh"
require_root
command -v setpriv > /dev/null || skip_all "no setpriv"

deleg=$(mkcg deleg)
app=$(mkcg deleg/app)
mkcg deleg/app/team/sub > /dev/null
team=$CG/deleg/app/team
side=$(mkcg deleg/side)
# the delegation: the middle cgroup's cgroup.procs and a sibling's, given to nobody
chown 65534 "$deleg/cgroup.procs" "$side/cgroup.procs" "$app/cgroup.procs"
chown 65534 "$team/cgroup.procs"
sockopt=$(public_copy "$TESTS_DIR/clients/sockopt.py")
py=/usr/bin/python3

cat > "$T/p.ini" <<INI
[enforcer]
cgroup = $app
pin_dir = $OG_PIN
log = json
log_file = $T/ev.jsonl

[scope:sub]
cgroup = $team/sub

[rule:no-prio]
option = SO_PRIORITY
action = deny
errno = EACCES
INI

# nobody, in the policy's cgroup, calls; then moves itself to the sibling and calls again
as_nobody_escape() {
	in_cg "$app" setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
		'"$0" "$1" SO_PRIORITY 3; echo $$ > "$2/cgroup.procs" && "$0" "$1" SO_PRIORITY 3' \
		"$py" "$sockopt" "$side"
}

og_start "$T/p.ini" || { echo "Bail out! daemon did not start"; exit 1; }
out=$(as_nobody_escape)
is "$(echo "$out" | head -1)" "set=-1 errno=EACCES" "nobody in the policy's cgroup is denied SO_PRIORITY"
is "$(echo "$out" | sed -n 2p)" "set=0 get=3" \
	"nobody moves itself to a sibling under the delegated cgroup and escapes the rule"
like "$(cat "$T/daemon.err")" "p.ini:2: warning: the policy's cgroup $app lies below a delegated cgroup: $deleg \(cgroup.procs owned by uid 65534[^)]*\)\) lets that user move its processes out of $app, where no rule applies; attach at $deleg instead" \
	"run warns of the boundary, its owner and where to attach"
og_stop

out=$("$OPTGUARD" check "$T/p.ini" 2>&1)
like "$out" "p.ini:2: warning: the policy's cgroup $app lies below a delegated cgroup: $deleg \(cgroup.procs owned by uid 65534" \
	"check warns of the policy's cgroup below a delegated cgroup"
like "$out" "attach at $deleg instead \(cgroup = $deleg\)" \
	"check names the topmost delegated cgroup to attach at"
like "$out" "p.ini:8: warning: scope sub: cgroup $team/sub lies below a delegated cgroup: $team \(cgroup.procs owned by uid 65534[^)]*\)\) lets that user move its processes out of the scope and into it; scope $app instead" \
	"check warns of a scope below a delegated cgroup, naming the nearest and the topmost inside the policy's cgroup"

# attached at the delegated cgroup (its parent is root's): no warning for the policy's cgroup
sed "s|^cgroup = $app\$|cgroup = $deleg|" "$T/p.ini" > "$T/top.ini"
out=$("$OPTGUARD" check "$T/top.ini" 2>&1)
ok "$(echo "$out" | grep -c "the policy's cgroup")" "attached at the topmost delegated cgroup: no warning for it"
chown 0 "$deleg/cgroup.procs" "$side/cgroup.procs" "$app/cgroup.procs" "$team/cgroup.procs"
out=$("$OPTGUARD" check "$T/p.ini" 2>&1)
ok "$(echo "$out" | grep -c "delegated")" "no delegation (every cgroup.procs root's): no warning"
done_testing
