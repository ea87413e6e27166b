#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Each action of a rule, enforced by the kernel on a real setsockopt from a
# process in the policy's cgroup (python3 client), read back with getsockopt,
# and the decision event it produced.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
ev="$T/events.jsonl"
og_policy "$T/p.ini" "$cg" "$ev" <<INI

[rule:no-mark]
option = SO_MARK
action = deny

[rule:prio-eacces]
option = SO_PRIORITY
action = deny
errno = EACCES

[rule:tos-allowlist]
option = IP_TOS
action = deny
except = CS0, AF41, 0x10

[rule:keepidle]
option = TCP_KEEPIDLE
action = rewrite
value = 60

[rule:cc]
option = TCP_CONGESTION
action = rewrite
value = reno

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
min = 8K
max = 64K

[rule:audit-debug]
option = SO_BROADCAST
action = audit

[rule:ka]
option = SO_KEEPALIVE
action = force
value = on
at = connect
on_change = deny
INI
og_must_start "$T/p.ini"

client_table "$cg" <<CALLS
SO_MARK 5                  | set=-1 errno=EPERM  | deny: SO_MARK fails with EPERM
SO_PRIORITY 3              | set=-1 errno=EACCES | deny: the rule's errno (EACCES) is returned
IP_TOS 0x88                | set=0 get=136       | deny by value: AF41 (0x88) is in except and passes
IP_TOS 0x10                | set=0 get=16        | deny by value: 0x10 is in except and passes
IP_TOS 0xb8                | set=-1 errno=EPERM  | deny by value: EF (0xb8) is not in except and fails
TCP_KEEPIDLE 7             | set=0 get=60        | rewrite: TCP_KEEPIDLE 7 becomes 60
TCP_CONGESTION str:cubic   | set=0 get=reno      | rewrite: TCP_CONGESTION cubic becomes reno (a string)
# the kernel doubles SO_SNDBUF: 64K -> 131072
SO_SNDBUF 1048576          | set=0 get=131072    | clamp: SO_SNDBUF 1M is clamped to max 64K
SO_SNDBUF 1024             | set=0 get=16384     | clamp: SO_SNDBUF 1K is raised to min 8K
SO_SNDBUF 20000            | set=0 get=40000     | clamp: SO_SNDBUF inside [8K, 64K] is unchanged
SO_BROADCAST 1             | set=0 get=1         | audit: SO_BROADCAST goes through
SO_KEEPALIVE 0             | set=-1 errno=EPERM  | force with on_change = deny: another value is denied
SO_KEEPALIVE 1             | set=0 get=1         | force with on_change = deny: the forced value itself is allowed
SO_REUSEADDR 1             | set=0 get=1         | an option without a rule is untouched (default allow)
# a value longer than a page: the program sees only the first page
SO_SNDBUF big:1048576:5000 | set=0 get=131072    | optlen 5000 > PAGE_SIZE: clamped, no EFAULT
SO_RCVBUF big:65536:5000   | set=0 get=131072    | optlen 5000 > PAGE_SIZE without a rule: passes through, no EFAULT
SO_BROADCAST big:1:5000    | set=0 get=1         | optlen 5000 > PAGE_SIZE with an audit rule: passes through, no EFAULT
CALLS

# events: one per decided call above (15), written asynchronously
wait_events "$ev" 15
is "$(wc -l < "$ev")" "15" "one event per decided call"
line=$(evline "$ev" '"rule":"sndbuf"')
is "$(jfield "$ev" "$line" action)" "clamp" "event: action clamp"
is "$(jfield "$ev" "$line" requested)" "1048576" "event: requested value"
is "$(jfield "$ev" "$line" effective)" "65536" "event: effective value"
is "$(jfield "$ev" "$line" hook)" "cgroup_setsockopt" "event: hook"
is "$(jfield "$ev" "$line" mode)" "enforce" "event: mode"
is "$(jfield "$ev" "$line" comm)" "python3" "event: comm"
is "$(jfield "$ev" "$line" uid)" "0" "event: uid"
is "$(jfield "$ev" "$line" cgroup)" "${cg#$CG2}" "event: cgroup path below the cgroup2 mount"
is "$(jfields "$ev" "$line" family type)" "inet/stream" "event: family and type"
is "$(jfields "$ev" "$line" level option)" "SOL_SOCKET/SO_SNDBUF" "event: level and option"
like "$(jfield "$ev" "$line" ts)" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$' \
	"event: ts is RFC 3339 UTC with microseconds"
line=$(evline "$ev" '"rule":"prio-eacces"')
is "$(jfields "$ev" "$line" action errno)" "deny/13" "event: deny carries errno 13"
line=$(evline "$ev" '"rule":"cc"')
is "$(jfields "$ev" "$line" requested effective)" "cubic/reno" "event: string values"
line=$(evline "$ev" '"rule":"audit-debug"')
is "$(jfield "$ev" "$line" action)" "audit" "event: audit rule logs action audit"
json_lines "$ev"
ok $? "every event line is valid JSON"

# least privilege: nothing left after attach, and no way to regain it
is "$(awk '/^CapEff/ {print $2}' /proc/$DAEMON_PID/status)" "0000000000000000" \
	"the running daemon has no effective capability"
is "$(awk '/^CapPrm/ {print $2}' /proc/$DAEMON_PID/status)/$(awk '/^CapBnd/ {print $2}' /proc/$DAEMON_PID/status)" \
	"0000000000000000/0000000000000000" "nor permitted ones, and an empty bounding set"
is "$(awk '/^NoNewPrivs/ {print $2}' /proc/$DAEMON_PID/status)" "1" "the daemon has no_new_privs"

# an idle daemon sleeps without a timeout (after 1 s without events) and
# is still woken by the next event
sleep 1.5
cs1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$DAEMON_PID/status)
sleep 1
cs2=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$DAEMON_PID/status)
is "$((cs2 - cs1))" "0" "an idle daemon does not wake up"
client_in "$cg" SO_MARK 7 > /dev/null
wait_events "$ev" 16
is "$(wc -l < "$ev")" "16" "the first event after an idle period wakes the daemon"

og_stop
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" "after the daemon stops, nothing stays attached"
done_testing
