#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# force at connect and established (and create where the kernel has
# lsm_cgroup): real clients in the policy's cgroup get the forced values,
# read back inside the client (python3 getsockopt) and with ss; IPv4 and
# IPv6; on_change for the application's own attempt; a value the kernel
# refuses gives an event with its errno and the connection goes on; a close
# event carries the socket's telemetry.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
bad=$(mkcg app/bad)
srvcg=$(mkcg srv)
ev="$T/events.jsonl"
pin=$OG_PIN	# one daemon per pin_dir: not the default one

# a TCP server outside the policy's cgroup: accepts, reads until EOF
cat > "$T/server.py" <<'PY'
import socket, sys, threading
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 0))
s.listen(64)
open(sys.argv[2], "w").write(str(s.getsockname()[1]))
def serve(c):
    while c.recv(65536):
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# the client: connect, optionally try its own TCP_CONGESTION, print what it has
cat > "$T/client.py" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port))
if len(sys.argv) > 3:
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[3].encode())
    except OSError as e:
        print("own=%s" % e.errno, end=" ")
cc = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
print("cc=%s mark=%d ka=%d idle=%d" % (cc, s.getsockopt(socket.SOL_SOCKET, socket.SO_MARK),
      s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)))
s.sendall(b"x")
s.close()
PY
PIDS=""
python3 "$T/server.py" 127.0.0.1 "$T/port4" & PIDS="$PIDS $!"
python3 "$T/server.py" ::1 "$T/port6" & PIDS="$PIDS $!"
trap 'kill $PIDS 2>/dev/null; cleanup' EXIT
for i in $(seq 1 50); do [ -s "$T/port4" ] && [ -s "$T/port6" ] && break; sleep 0.05; done
p4=$(cat "$T/port4"); p6=$(cat "$T/port6")

og_policy "$T/p.ini" "$cg" "$ev" <<INI
# the assertions below read the events of forced values that took and of
# closes: since these are no longer logged by default (counted only), ask
log_force = all

[scope:bad]
cgroup = $bad

[rule:cc]
option = TCP_CONGESTION
action = force
value = reno
at = connect
on_change = rewrite

[rule:cc-bad]
scope = bad
option = TCP_CONGESTION
action = force
value = nosuchcc
at = connect

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

[rule:idle]
option = TCP_KEEPIDLE
action = force
value = 77
at = established
INI
og_must_start "$T/p.ini"

# status and the start line name every program attached, as the kernel lists them on the
# policy's cgroup (bpftool), not only cgroup/setsockopt
st_hooks=$("$OPTGUARD" status --pin-dir "$pin" | sed -n 's/^hooks: *//p')
kernel_hooks=$(bpftool -j cgroup show "$cg" | python3 -c '
import json, sys
names = {"setsockopt": "cgroup/setsockopt", "sock_create": "cgroup/sock_create",
         "connect4": "cgroup/connect4", "connect6": "cgroup/connect6", "sock_ops": "sockops",
         "lsm_cgroup": "lsm_cgroup/socket_post_create"}
# newer bpftool prints libbpf attach type names
names.update({"cgroup_setsockopt": "cgroup/setsockopt",
              "cgroup_inet_sock_create": "cgroup/sock_create",
              "cgroup_inet4_connect": "cgroup/connect4",
              "cgroup_inet6_connect": "cgroup/connect6", "cgroup_sock_ops": "sockops"})
print(", ".join(sorted(names.get(p["attach_type"], p["attach_type"]) for p in json.load(sys.stdin))))')
is "$(printf '%s\n' "$st_hooks" | tr -d ' ' | tr ',' '\n' | grep -v '^lsm/' | sort | paste -sd, | \
	sed 's/,/, /g')" "$kernel_hooks" "status: the cgroup hooks listed are those the kernel has attached"
like "$kernel_hooks" "cgroup/connect4, cgroup/connect6, cgroup/setsockopt, cgroup/sock_create, sockops" \
	"the kernel has the force programs attached (what status must list)"
like "$(grep enforcing "$T/daemon.err")" "with ([a-z_/]+, )?cgroup/setsockopt, cgroup/sock_create, cgroup/connect4, cgroup/connect6, sockops" \
	"the start line lists the force programs too"

is "$(in_cg "$cg" python3 "$T/client.py" 127.0.0.1 "$p4")" "cc=reno mark=42 ka=1 idle=77" \
	"IPv4: TCP_CONGESTION and SO_MARK forced at connect, keepalive at established"
if [ -n "$p6" ] && python3 -c 'import socket; socket.create_connection(("::1", '"$p6"')).close()' 2>/dev/null; then
	is "$(in_cg "$cg" python3 "$T/client.py" ::1 "$p6")" "cc=reno mark=42 ka=1 idle=77" \
		"IPv6: the same values on an AF_INET6 socket"
else
	skip "no IPv6 loopback on this machine" "IPv6: the same values on an AF_INET6 socket"
fi
is "$(in_cg "$cg" python3 "$T/client.py" 127.0.0.1 "$p4" cubic)" "cc=reno mark=42 ka=1 idle=77" \
	"on_change = rewrite: the application's own TCP_CONGESTION=cubic becomes reno"
is "$(in_cg "$bad" python3 "$T/client.py" 127.0.0.1 "$p4")" "cc=$(cat /proc/sys/net/ipv4/tcp_congestion_control) mark=42 ka=1 idle=77" \
	"a refused forced value (nosuchcc): the connection goes on with the kernel's default"
wait_grep "$ev" '"rule":"cc-bad".*"hook":"connect"|"hook":"connect".*"rule":"cc-bad"'
line=$(evline "$ev" '"rule":"cc-bad"')
is "$(jfields "$ev" "$line" action errno effective)" \
	"force/2/nosuchcc" "the refusal is an event with the errno (ENOENT) and the value"
line=$(evline "$ev" '"rule":"mark".*"hook":"connect"|"hook":"connect".*"rule":"mark"')
is "$(jfields "$ev" "$line" hook effective comm)" \
	"connect/42/python3" "a forced value is an event: hook, value and the connecting task"

# the accepted side: a server inside the policy's cgroup gets keepalive at established
srv6=""
cat > "$T/psrv.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
c, _ = s.accept()
print("ka=%d idle=%d" % (c.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
      c.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE)))
PY
in_cg "$cg" python3 "$T/psrv.py" "$T/pport" > "$T/psrv.out" &
for i in $(seq 1 50); do [ -s "$T/pport" ] && break; sleep 0.05; done
python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()' "$(cat "$T/pport")"
wait $!
is "$(cat "$T/psrv.out")" "ka=1 idle=77" \
	"PASSIVE_ESTABLISHED: the socket a server in the cgroup accepts gets the established values"

# ss reads the kernel's view of a live connection
in_cg "$cg" socat -u OPEN:/dev/zero TCP4:127.0.0.1:"$p4" 2>/dev/null &
socat_pid=$!
sleep 0.5
ssline=$(ss -tinHe state established "( dport = :$p4 )" 2>/dev/null | tr '\n' ' ')
kill "$socat_pid" 2>/dev/null
wait "$socat_pid" 2>/dev/null
like "$ssline" 'reno' "socat: ss -tin shows the forced congestion control (reno)"
like "$ssline" 'fwmark:0x2a' "socat: ss -e shows the forced mark (fwmark:0x2a)"

# iperf3: its own -C cubic is rewritten (on_change), the connection carries reno and mark 42
iperf_port=$(free_port)
iperf3 -s -1 -B 127.0.0.1 -p "$iperf_port" > /dev/null 2>&1 &
iperf_srv=$!
PIDS="$PIDS $iperf_srv"
sleep 0.3
in_cg "$cg" iperf3 -c 127.0.0.1 -p "$iperf_port" -t 2 -C cubic -w 256K -S 0x10 > "$T/iperf.out" 2>&1 &
iperf_cli=$!
sleep 1
ssline=$(ss -tinHe state established "( dport = :$iperf_port )" 2>/dev/null | tr '\n' ' ')
wait "$iperf_cli"
ok $? "iperf3 -C cubic -w 256K -S 0x10 runs to the end in the policy's cgroup"
like "$ssline" 'reno' "iperf3: its -C cubic is rewritten to the forced reno (ss -tin)"
like "$ssline" 'fwmark:0x2a' "iperf3: its connections carry the forced mark"

# telemetry: each closed forced socket gives one close event per rule, with its counters
wait_grep "$ev" '"event":"close"'
line=$(evline "$ev" '"event":"close".*"rule":"ka"|"rule":"ka".*"event":"close"')
ok $([ -n "$line" ]; echo $?) "a close event for rule ka"
is "$(jfields "$ev" "$line" hook retransmits rtos)" \
	"sockops/0/0" "the close event carries the counters (no loss on loopback)"
like "$(jfield "$ev" "$line" lifetime_ms)" '^[0-9]+$' "the close event carries the lifetime"

og_stop
like "$(cat "$T/daemon.err")" 'rule ka: [1-9][0-9]* connections, [0-9]+ closed' \
	"the daemon's summary reports per-rule telemetry"

# create: needs lsm_cgroup; where the kernel lacks it, the rule is refused with the reason
og_policy "$T/create.ini" "$cg" <<INI

[rule:ka-create]
option = SO_KEEPALIVE
action = force
value = on
at = create
INI
if "$OPTGUARD" run --insecure-policy --policy "$T/create.ini" > "$T/create.err" 2>&1 &
	cpid=$!; sleep 1.5; kill -0 "$cpid" 2>/dev/null; then
	kill "$cpid"; wait "$cpid"
	skip "create-time forcing is covered by the VM suite" "at = create on a kernel with lsm_cgroup"
else
	wait "$cpid"
	like "$(cat "$T/create.err")" "create.ini:6: rule ka-create: cannot force SO_KEEPALIVE at create" \
		"at = create where this kernel cannot: refused at start, naming the rule and line"
	skip "$(grep -o 'at create on this kernel: .*' "$T/create.err" | head -1)" \
		"a socket made in the cgroup gets the value at create"
fi
kill $PIDS 2>/dev/null
# check and explain tell, against this kernel, what run would refuse
printf '[enforcer]\ncgroup = %s\n[rule:cm]\noption = SO_MARK\naction = force\nvalue = 42\nat = create\n' \
	"$cg" > "$T/create.ini"
if "$OPTGUARD" options | awk '$1 == "SO_MARK" {print $NF}' | grep -qw create; then
	"$OPTGUARD" check "$T/create.ini" > /dev/null 2>&1
	is "$?" "0" "check: this kernel can force SO_MARK at create, as options says"
else
	out=$("$OPTGUARD" check "$T/create.ini" 2>&1)
	is "$?" "1" "check: a force at create this kernel cannot honour is an error"
	like "$out" "create.ini:3: rule cm: cannot force SO_MARK at create on this kernel: " \
		"... naming the file, line, rule and the kernel's reason"
	like "$("$OPTGUARD" explain --policy "$T/create.ini" --cgroup "$cg" SO_MARK 1 2>/dev/null)" \
		"kernel: +this kernel cannot force it" "explain says so too"
fi

# a rule without `at` gets create, connect less the points this kernel lacks: check and the
# daemon drop the same points with a warning naming the line, and refuse the rule only when
# none is left, saying where the points came from
printf '[enforcer]\ncgroup = %s\npin_dir = %s\n[rule:dcc]\noption = TCP_CONGESTION\naction = force\nvalue = reno\n' \
	"$cg" "$pin" > "$T/dflt.ini"
printf '[enforcer]\ncgroup = %s\npin_dir = %s\n[rule:iw]\noption = TCP_BPF_IW\naction = force\nvalue = 20\n' \
	"$cg" "$pin" > "$T/dfltiw.ini"
if "$OPTGUARD" options | awk '$1 == "TCP_CONGESTION" {print $NF}' | grep -qw create; then
	skip "this kernel forces TCP_CONGESTION at create: no default point to drop" \
		"a rule without at: the points this kernel lacks are dropped"
else
	out=$("$OPTGUARD" check "$T/dflt.ini" 2>&1)
	is "$?" "0" "check: a rule without at on a kernel that cannot force at create is valid"
	like "$out" "dflt.ini:4: warning: rule dcc: forcing at connect only: \`at\` defaults to create, connect, and this kernel cannot force TCP_CONGESTION at create \(" \
		"check: ... with a warning naming the line, the point dropped and why"
	if og_start "$T/dflt.ini"; then
		like "$(grep 'warning: rule dcc' "$T/daemon.err")" "dflt.ini:4: warning: rule dcc: forcing at connect only: " \
			"run: the daemon starts and drops the same point with the same warning"
		is "$(grep -c 'warning: rule dcc' "$T/daemon.err")" "1" "run: ... said once"
		python3 "$T/server.py" 127.0.0.1 "$T/port4b" & PIDS="$PIDS $!"
		for i in $(seq 1 50); do [ -s "$T/port4b" ] && break; sleep 0.05; done
		like "$(in_cg "$cg" python3 "$T/client.py" 127.0.0.1 "$(cat "$T/port4b")")" "^cc=reno " \
			"run: the rule forces TCP_CONGESTION at connect"
		og_stop
	else
		ok 1 "run: the daemon starts with a rule without at"
	fi
fi
out=$("$OPTGUARD" check "$T/dfltiw.ini" 2>&1)
is "$?" "1" "check: a rule without at that this kernel can force at neither create nor connect"
like "$out" "dfltiw.ini:4: rule iw: cannot force TCP_BPF_IW on this kernel: \`at\` defaults to create, connect, and this kernel can force it at neither \(.*connect: the kernel sets the initial window .*\); name the points it can with \`at = established\`" \
	"check: ... is an error saying that at defaulted, why each point fails and what to write"
"$OPTGUARD" run --insecure-policy --policy "$T/dfltiw.ini" > "$T/dfltiw.err" 2>&1 &
dpid=$!
for i in $(seq 1 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$dpid" 2>/dev/null; then
	kill "$dpid"; wait "$dpid"
	ok 1 "run: refuses the same rule (it started)"
else
	wait "$dpid"
	like "$(cat "$T/dfltiw.err")" "dfltiw.ini:4: rule iw: cannot force TCP_BPF_IW on this kernel: \`at\` defaults to create, connect" \
		"run: refuses it at start with the same error"
fi

done_testing
