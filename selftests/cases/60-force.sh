#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Force rules in the guest, read back with getsockopt by /bin/sockopt:
# - at = connect and established on a loopback TCP connection made inside
#   the policy's cgroup (IPv4 and IPv6); the accepted side gets the
#   established values (its plan is the listener's), not the connect ones;
# - a value the kernel refuses (TCP_CONGESTION = nosuchcc) is an event with
#   the errno and the connection goes on; one that takes is counted, not
#   logged (log_force = errors, the default); with log_force = all it is an
#   event, and so is the close of a forced socket;
# - at = create (lsm_cgroup/socket_post_create, 6.0+ booted with lsm=..,bpf):
#   a socket made in the policy's cgroup has the value right after socket(),
#   with no connect, TCP and UDP alike; one made outside has not.
# Where the kernel cannot force at a point, the daemon refuses the policy
# naming the reason, and the checks skip with it.
set -eu
. /selftests/lib.sh

app=$(mkcg app)
bad=$(mkcg app/bad)
other=$(mkcg other)
ev=$T/events.jsonl

# why_not POINT: the reason the daemon gave for refusing to force at POINT
why_not() {
	grep -o "at $1 on this kernel: .*" "$T/daemon.err" | head -1 | sed "s/^at $1 on this kernel: //"
}

og_policy "$T/conn.ini" "$app" "$ev" <<INI

[scope:bad]
cgroup = $bad

[rule:mark]
option = SO_MARK
action = force
value = 42
at = connect

[rule:ka]
option = SO_KEEPALIVE
action = force
value = on
at = established
telemetry = on

[rule:cc-bad]
scope = bad
option = TCP_CONGESTION
action = force
value = nosuchcc
at = connect
INI

if og_start "$T/conn.ini"; then
	is "$(in_cg "$app" "$SOCKOPT" -g -c 1 36)" "get=42 acc=0" \
		"connect: a loopback TCP client in the cgroup has SO_MARK 42 (the accepted side not)"
	is "$(in_cg "$app" "$SOCKOPT" -g -c 1 9)" "get=1 acc=1" \
		"established: SO_KEEPALIVE on the client and on the accepted socket"
	if v6=$("$SOCKOPT" -g -c -6 1 36 2>&1); then
		is "$(in_cg "$app" "$SOCKOPT" -g -c -6 1 36)" "get=42 acc=0" \
			"connect: the same on an AF_INET6 socket"
	else
		skip "IPv6 loopback ($v6)" "connect: the same on an AF_INET6 socket"
	fi
	is "$(in_cg "$other" "$SOCKOPT" -g -c 1 36)" "get=0 acc=0" \
		"a connection made outside the policy's cgroup gets nothing"
	is "$(in_cg "$bad" "$SOCKOPT" -g -c 1 36)" "get=42 acc=0" \
		"a refused forced value (nosuchcc): the connection goes on, the other values arrive"
	check "the refusal is an event with the errno (ENOENT)" \
		wait_grep "$ev" '"hook":"connect","action":"force".*"rule":"cc-bad".*"errno":2'
	is "$(grep -c '"rule":"mark"' "$ev" || true)" 0 \
		"log_force = errors: a forced value that took is not an event"
	og_stop
	is "$DAEMON_STATUS" 0 "the daemon exits 0"
	like "$(cat "$T/daemon.err")" 'rule ka: [1-9][0-9]* connections, [1-9][0-9]* closed' \
		"... but counted: the summary has rule ka's connections and closes"
	is "$(in_cg "$app" "$SOCKOPT" -g -c 1 36)" "get=0 acc=0" "unloaded: nothing is forced"

	: > "$ev"
	sed '/^log_rate = 0$/a log_force = all' "$T/conn.ini" > "$T/all.ini"
	if og_start "$T/all.ini"; then
		in_cg "$app" "$SOCKOPT" -g -c 1 9 > /dev/null
		check "log_force = all: a forced value that took is an event (hook connect)" \
			wait_grep "$ev" '"hook":"connect","action":"force".*"rule":"mark".*"errno":0'
		check "log_force = all: a closed forced socket gives a close event for rule ka" \
			wait_grep "$ev" '"rule":"ka".*"event":"close"'
		og_stop
	else
		fail "optguard run with log_force = all starts"
	fi
else
	why=$(why_not connect)
	for t in "connect: SO_MARK on a loopback TCP client" \
		"established: SO_KEEPALIVE on both ends" "a refused forced value is an event"; do
		if [ -n "$why" ]; then skip "force at connect: $why" "$t"; else fail "$t"; fi
	done
fi

: > "$ev"
og_policy "$T/create.ini" "$app" "$ev" <<INI

[rule:mark-create]
option = SO_MARK
action = force
value = 42
at = create
INI

if og_start "$T/create.ini"; then
	is "$(in_cg "$app" "$SOCKOPT" -g 1 36)" "get=42" \
		"create: a TCP socket made in the cgroup has SO_MARK 42 right after socket()"
	is "$(in_cg "$app" "$SOCKOPT" -g -d 1 36)" "get=42" "create: a UDP socket too"
	is "$(in_cg "$other" "$SOCKOPT" -g 1 36)" "get=0" \
		"create: a socket made outside the policy's cgroup has no mark"
	og_stop
	is "$DAEMON_STATUS" 0 "the daemon exits 0"
else
	why=$(why_not create)
	kver_ge 6 0 || why="lsm_cgroup programs (BPF_LSM_CGROUP, Linux 6.0+): $why"
	for t in "create: a socket made in the cgroup has the forced value" \
		"create: a socket made outside has not"; do
		if [ -n "$why" ]; then skip "force at create: $why" "$t"; else fail "$t"; fi
	done
fi

# DSCP on an AF_INET6 socket talking to a v4-mapped peer: its packets are IPv4, so IP_TOS
# must carry the DSCP.  Either the kernel's bpf_setsockopt takes SOL_IP on the AF_INET6
# socket and the socket has the value, or it refuses and optguard says so (an event with
# the errno) and, with on_unforceable = deny, refuses the connect: never silently unmarked.
: > "$ev"
og_policy "$T/mapped.ini" "$app" "$ev" <<INI

[rule:dscp]
option = DSCP
action = force
value = AF41
at = connect
INI
mapped_forced=""
if og_start "$T/mapped.ini"; then
	got=$(in_cg "$app" "$SOCKOPT" -g -c -m 0 1)
	if [ "$got" = "get=136 acc=0" ]; then
		mapped_forced=1
		pass "v4-mapped: the AF_INET6 socket's IP_TOS is AF41 (this kernel's bpf_setsockopt takes SOL_IP on AF_INET6)"
		echo "# v4-mapped IP_TOS: forced on $(uname -r)"
	else
		diag "v4-mapped on $(uname -r): $got; $(grep -o '"option":"IP_TOS".*"errno":[0-9]*' "$ev" | head -1)"
		check "v4-mapped: the kernel refused IP_TOS on the AF_INET6 socket: an event with the errno" \
			wait_grep "$ev" '"hook":"connect","action":"force".*"option":"IP_TOS".*"errno":[1-9]'
		echo "# v4-mapped IP_TOS: refused on $(uname -r)"
	fi
	og_stop
else
	why=$(why_not connect)
	t="v4-mapped: IP_TOS forced on the AF_INET6 socket, or refused loudly"
	if [ -n "$why" ]; then skip "force at connect: $why" "$t"; else fail "$t"; fi
fi
og_policy "$T/mdeny.ini" "$app" "$ev" <<INI

[rule:dscp]
option = DSCP
action = force
value = AF41
at = connect
on_unforceable = deny
INI
if og_start "$T/mdeny.ini"; then
	got=$(in_cg "$app" "$SOCKOPT" -g -c -m 0 1 2>&1 || true)
	if [ -z "$mapped_forced" ]; then
		like "$got" "connect: Operation not permitted" \
			"on_unforceable = deny: the v4-mapped connect is refused where IP_TOS cannot be forced"
	else
		is "$got" "get=136 acc=0" "on_unforceable = deny: the v4-mapped connect goes on where IP_TOS is forced"
	fi
	is "$(in_cg "$app" "$SOCKOPT" -g -c 0 1)" "get=136 acc=0" \
		"on_unforceable = deny: an AF_INET connect gets AF41 and goes on"
	og_stop
else
	why=$(why_not connect)
	for t in "on_unforceable = deny: the v4-mapped connect" \
		"on_unforceable = deny: an AF_INET connect gets AF41 and goes on"; do
		if [ -n "$why" ]; then skip "force at connect: $why" "$t"; else fail "$t"; fi
	done
fi
