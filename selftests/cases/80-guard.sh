#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The guard (bpf/guard/, lsm/bpf + lsm/bpf_map): root with every capability cannot detach
# optguard's links nor write its maps, through a pin, an fd taken from the daemon with
# pidfd_getfd, or a new writable fd; each refusal is an event with pid, comm and uid; status
# (read-only) still works; `optguard unload` ends it all (the break-glass); guard = off lets
# root through.
set -eu
. /selftests/lib.sh

ATTACK=/bin/attack
app=$(mkcg app)
ev=$T/events.jsonl
policy() {	# policy GUARD
	og_policy "$T/p.ini" "$app" "$ev" <<INI
lsm = require
guard = $1

[rule:deny-mark]
option = SO_MARK
action = deny
errno = EACCES

[rule:tos]
option = IP_TOS
action = deny
except = AF41
INI
}
mark() { in_cg "$app" "$SOCKOPT" 1 36 5; }

policy on
og_start_lsm "$T/p.ini" "the guard refuses root" || exit 0
if ! grep -q "^optguard: guard: " "$T/daemon.err"; then
	fail "the guard is loaded where BPF LSM runs: $(grep -i guard "$T/daemon.err" || true)"
	exit 0
fi
pass "the guard is loaded where BPF LSM runs"
is "$(mark)" "set=-1 errno=13" "enforced"
link=$(ls -d /sys/fs/bpf/optguard/inst-*/link-setsockopt | head -1)
is "$("$ATTACK" detach "$link")" "get=ok detach=EPERM" \
	"root: BPF_LINK_DETACH of the pinned setsockopt link is refused"
is "$(mark)" "set=-1 errno=13" "still enforced after the detach attempt"
out=$("$ATTACK" getfd "$DAEMON_PID")
like "$out" "got=[1-9].* deleted=0 detached=0" \
	"root: the daemon's own fds (pidfd_getfd) delete no key and detach nothing ($out)"
is "$(mark)" "set=-1 errno=13" "still enforced after the pidfd_getfd attempt"
counters=$(ls -d /sys/fs/bpf/optguard/inst-*/counters | head -1)
is "$("$ATTACK" openrw "$counters")" "get=EPERM" "root: no writable fd of optguard's map"
is "$("$ATTACK" open "$counters")" "get=ok" "... a read-only one is fine"
check "status works (it opens the counters read-only)" "$OPTGUARD" status
check "each refusal is an event with the caller's comm" \
	wait_grep "$ev" '"event":"guard","cmd":"BPF_LINK_DETACH".*"comm":"attack","uid":0'
check "... the map writes too" wait_grep "$ev" '"event":"guard","cmd":"BPF_MAP_DELETE_ELEM"'
check "... and the writable fd" wait_grep "$ev" '"event":"guard","cmd":"writable map fd"'
og_stop
# (a link goes when its last reference does: under TCG the kernel's release can lag)
i=0
while [ $i -lt 50 ] && [ "$(mark)" != "set=0 get=5" ]; do sleep 0.1; i=$((i + 1)); done
diag "enforcement ended $((i * 100)) ms after optguard unload returned"
is "$(mark)" "set=0 get=5" "optguard unload (the break-glass) ends enforcement and the guard"

: > "$ev"
policy off
og_start "$T/p.ini" || { fail "optguard run (guard = off) starts"; exit 0; }
# (an LSM link cannot be detached at all, guard or not: the kernel answers EOPNOTSUPP; the
# cgroup link can, and with it goes the value-aware rule)
is "$(in_cg "$app" "$SOCKOPT" 0 1 184)" "set=-1 errno=1" "(value-aware: IP_TOS EF denied)"
link=$(ls -d /sys/fs/bpf/optguard/inst-*/link-setsockopt | head -1)
is "$("$ATTACK" detach "$link")" "get=ok detach=ok" "guard = off: root may detach the cgroup link"
is "$(in_cg "$app" "$SOCKOPT" 0 1 184)" "set=0 get=184" "(and then the value-aware rule is gone)"
og_stop
