#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Cgroups removed and made again at the paths a policy names (a service
# restart: systemd removes the unit's cgroup and makes a new one, with a new
# id, at the same path).  A scope's cgroup 100 times, a hammer of setsockopt
# calls from inside each new one once the daemon reported the binding (its
# bind event): not one call may get through.  The enforcer's own cgroup:
# status says nothing is enforced while it is gone; made again, the programs
# are attached to the new one (and pinned: they outlive the daemon).
. "$(dirname "$0")/lib.sh"
require_root
HAMMER=${OUTPUT:-$(cd "$TESTS_DIR/.." && pwd)/.output}/bench/hammer
[ -x "$HAMMER" ] || skip_all "no $HAMMER (make test builds it)"

cg=$(mkcg top)
mkcg top/svc > /dev/null
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

[rule:svc-mark]
scope = svc
option = SO_MARK
action = deny
errno = EACCES
INI

# in_cg_client DIR OPTION: one setsockopt(OPTION, 1) from a process in DIR
in_cg_client() { in_cg "$1" python3 "$TESTS_DIR/clients/sockopt.py" "$2" 1; }

og_start "$T/bind.ini" || { echo "Bail out! daemon did not start"; exit 1; }
is "$(in_cg_client "$cg/svc" SO_MARK)" "set=-1 errno=EACCES" "the scope's cgroup at start: enforced"
# capabilities are per thread: the binder's thread (bindings.c) keeps none either
caps=$(cat /proc/"$DAEMON_PID"/task/*/status | awk '/^Cap(Eff|Prm|Bnd):/ && $2 != "0000000000000000"')
is "$caps" "" "no thread of the daemon keeps a capability ($(ls /proc/"$DAEMON_PID"/task | wc -l) threads)"

# --- the scope's cgroup removed and made again 100 times -----------------------
calls=0
escaped=0
unbound=0
for i in $(seq 1 100); do
	rmdir "$cg/svc" || { diag "cannot remove $cg/svc"; break; }
	mkdir "$cg/svc"
	# the binding reported: its bind event (i of them)
	wait_grep "$ev" '"event":"bind","scope":"svc"' "$i" || unbound=$((unbound + 1))
	# a hammer in the new cgroup from its first call: none of its calls may pass
	r=$("$HAMMER" -c "$cg/svc" -t 0.05)
	calls=$((calls + $(echo "$r" | sed -n 's/.*calls=\([0-9]*\).*/\1/p')))
	escaped=$((escaped + $(echo "$r" | sed -n 's/.*allowed=\([0-9]*\) .*/\1/p')))
	[ "$unbound" -eq 0 ] || break	# not followed: once is enough to say so
done
diag "$i removals and recreations: $calls calls from inside after the binding was reported," \
	"$escaped got through, $unbound bindings not reported within 5 s"
is "$unbound" 0 "each recreated cgroup was bound (a bind event) within 5 s"
is "$escaped" 0 "not one of $calls setsockopt calls from inside a recreated cgroup got through"
ok $([ "$calls" -gt 1000 ] && echo 0 || echo 1) "the hammers made calls ($calls)"
is "$(grep -c '"event":"unbind","scope":"svc"' "$ev")" 100 \
	"each removal is an unbind event naming the cgroup"
like "$("$OPTGUARD" status --pin-dir "$OG_PIN")" "svc +bound +$cg/svc \(id [0-9]+, since " \
	"status shows the cgroup bound now, its id and since when"
og_stop

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
