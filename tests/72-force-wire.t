#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A DSCP force means "the packets carry this DSCP", checked on the wire
# (tcpdump -v on lo: tos / class): TCP over AF_INET, AF_INET6 and an AF_INET6
# socket to a v4-mapped peer, connected UDP likewise with the application's
# ECN bits kept, the accepted side of a server in the policy's cgroup, an
# MPTCP connection's congestion control (its subflows are TCP), a client
# outside the cgroup unmarked; telemetry off (no per-socket state: no
# sk_storage) and on; on_unforceable = deny refusing a connect.
. "$(dirname "$0")/lib.sh"
require_root
command -v tcpdump >/dev/null || skip_all "no tcpdump (scripts/deps.sh test installs it)"

cg=$(mkcg app)
out=$(mkcg out)
srvcg=$(mkcg srv)
ev="$T/events.jsonl"
WIRE="$TESTS_DIR/clients/wire.py"
AF41=0x88

# a capture of PORT on lo, until COUNT packets or 5 s: cap_start NAME PORT [COUNT]
cap_start() {
	rm -f "$T/$1.cap" "$T/$1.err"
	timeout 8 tcpdump -i lo -n -v -l -c "${3:-6}" "port $2" > "$T/$1.cap" 2> "$T/$1.err" &
	CAP_PID=$!
	for _ in $(seq 1 100); do grep -q "listening on" "$T/$1.err" && return 0; sleep 0.02; done
	return 1
}
cap_end() { wait "$CAP_PID" 2>/dev/null; }
# the tos (IPv4) or class (IPv6, "class 0x0" where tcpdump prints none) of the packets
# sent to or from PORT, sorted, unique; with nosyn, without SYN-ACKs (which carry the
# listener's value, not the accepted socket's): wire_marks NAME PORT to|from [nosyn]
wire_marks() {
	awk -v port="$2" -v dir="$3" -v nosyn="${4:-}" '
		function addr(l,   a, d, src, dst) {
			if (nosyn != "" && l ~ /Flags \[S\.\]/)
				return
			split(l, a, " > "); src = a[1]; split(a[2], d, " "); dst = d[1]
			sub(/^ +/, "", src); sub(/:$/, "", dst)
			if ((dir == "to" && dst ~ ("[.]" port "$")) || (dir == "from" && src ~ ("[.]" port "$")))
				print m
		}
		/^[0-9:.]+ IP6 / {
			m = "class 0x0"
			if (match($0, /class 0x[0-9a-f]+/)) m = substr($0, RSTART, RLENGTH)
			i = index($0, ") "); addr(substr($0, i + 2)); next
		}
		/^[0-9:.]+ IP / {
			m = "tos ?"
			if (match($0, /tos 0x[0-9a-f]+/)) m = substr($0, RSTART, RLENGTH)
			pending = 1; next
		}
		pending && / > / { addr($0); pending = 0 }' "$T/$1.cap" | sort -u | paste -sd' '
}

# servers outside the policy's cgroup: TCP accepts and reads, UDP receives
cat > "$T/srv.py" <<'PY'
import socket, sys, threading
kind, host = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
if kind == "udp":
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((host, 0))
    open(sys.argv[3], "w").write(str(s.getsockname()[1]))
    while True:
        s.recv(65536)
proto = 262 if kind == "mptcp" else 0
s = socket.socket(fam, socket.SOCK_STREAM, proto)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((host, 0))
s.listen(64)
open(sys.argv[3], "w").write(str(s.getsockname()[1]))
def serve(c):
    try:
        c.sendall(b"y" * 16)
        while c.recv(65536):
            pass
    except OSError:
        pass  # a client that closed first: a reset
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
PIDS=""
srv() {	# srv NAME KIND HOST [CGROUP]: start a server, its port in $T/NAME
	if [ -n "${4:-}" ]; then
		in_cg "$4" python3 "$T/srv.py" "$2" "$3" "$T/$1" & PIDS="$PIDS $!"
	else
		python3 "$T/srv.py" "$2" "$3" "$T/$1" & PIDS="$PIDS $!"
	fi
}
srv t6 tcp ::		# dual stack: AF_INET, AF_INET6 and v4-mapped clients
srv u6 udp ::
srv acc tcp 127.0.0.1 "$srvcg"	# the accepted side, in a cgroup of its own (scope below)
mptcp_ok=0
if [ "$(sysctl -n net.mptcp.enabled 2>/dev/null)" = 1 ]; then
	srv mp mptcp 127.0.0.1 && mptcp_ok=1
fi
trap 'kill $PIDS 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/t6" ] && [ -s "$T/u6" ] && [ -s "$T/acc" ] && break; sleep 0.05; done
t6=$(cat "$T/t6"); u6=$(cat "$T/u6"); acc=$(cat "$T/acc")
[ "$mptcp_ok" = 1 ] && for _ in $(seq 1 50); do [ -s "$T/mp" ] && break; sleep 0.05; done
mp=$(cat "$T/mp" 2>/dev/null || true)

# the policy's cgroup is the parent of app, out and srv; scopes pick app and srv
parent=$(dirname "$cg")
og_policy "$T/p.ini" "$parent" "$ev" <<INI
[scope:app]
cgroup = $cg

[scope:srv]
cgroup = $srvcg

[rule:dscp]
scope = app
option = DSCP
action = force
value = AF41
at = connect, established

[rule:cc]
scope = app
option = TCP_CONGESTION
action = force
value = reno
at = connect, established

[rule:dscp-srv]
scope = srv
option = DSCP
action = force
value = AF41
at = established
INI
og_must_start "$T/p.ini"

# wire KIND PORT [TOS] in CGROUP: run the client in CGROUP while capturing PORT
wire() {
	local name=$1 kind=$2 port=$3 cgd=$4 tos=${5:-}
	cap_start "$name" "$port" 6 || diag "tcpdump did not start"
	in_cg "$cgd" timeout 10 python3 "$WIRE" "$kind" 127.0.0.1 "$port" $tos > "$T/$name.out" 2>&1
	sleep 0.3
	kill "$CAP_PID" 2>/dev/null
	cap_end
}
for k in tcp4 tcp6 tcpm; do
	host=127.0.0.1
	wire "$k" "$k" "$t6" "$cg"
	case $k in
	tcp6)
		# ::1 for the IPv6 one
		cap_start "$k" "$t6" 6
		in_cg "$cg" timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1]))); s.sendall(b"x" * 16)
print("tclass=0x%02x" % s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS)); s.close()' "$t6" > "$T/$k.out"
		sleep 0.3; kill "$CAP_PID" 2>/dev/null; cap_end
		is "$(wire_marks "$k" "$t6" to)" "class $AF41" "TCP AF_INET6: the client's packets carry class $AF41"
		;;
	tcp4)
		is "$(wire_marks "$k" "$t6" to)" "tos $AF41" "TCP AF_INET: the client's packets carry tos $AF41"
		;;
	tcpm)
		is "$(wire_marks "$k" "$t6" to)" "tos $AF41" \
			"TCP AF_INET6 to ::ffff:127.0.0.1 (v4-mapped): the IPv4 packets carry tos $AF41"
		like "$(cat "$T/$k.out")" "tos=$AF41" "... and the socket's IP_TOS says so"
		;;
	esac
done

# connected UDP with the application's ECN bits (0x01: ECT(1)): kept under the forced DSCP
for k in udp4 udpm; do
	wire "$k" "$k" "$u6" "$cg" 0x11
	is "$(wire_marks "$k" "$u6" to)" "tos 0x89" "UDP $k, app TOS 0x11: the datagrams carry DSCP AF41 with its ECN bits (tos 0x89)"
done
cap_start udp6 "$u6" 6
in_cg "$cg" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x12)
s.connect(("::1", int(sys.argv[1])))
for _ in range(3): s.send(b"x" * 16)' "$u6"
sleep 0.3; kill "$CAP_PID" 2>/dev/null; cap_end
is "$(wire_marks udp6 "$u6" to)" "class 0x8a" "UDP AF_INET6, app TCLASS 0x12: the datagrams carry class 0x8a (AF41, ECN kept)"

# outside the scope: unmarked (what makes the checks above able to fail)
wire out tcp4 "$t6" "$out"
is "$(wire_marks out "$t6" to)" "tos 0x0" "a client outside the rule's scope: tos 0x0"

# TCP: the socket's own cgroup decides, not the connecting task's: a socket made in the
# scope by a process that then moves out (as a passed descriptor would go) is still forced,
# and one made outside by a process that then moves into the scope is not
moved() {	# moved NAME FROM TO: socket() in FROM, connect() after moving to TO
	cap_start "$1" "$t6" 6 || diag "tcpdump did not start"
	in_cg "$2" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
open(sys.argv[2] + "/cgroup.procs", "w").write("0")
s.connect(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"x" * 16); s.close()' "$t6" "$3"
	sleep 0.3
	kill "$CAP_PID" 2>/dev/null
	cap_end
}
moved movedout "$cg" "$out"
is "$(wire_marks movedout "$t6" to)" "tos $AF41" \
	"TCP made in the scope, connected after its process left it: forced (the socket's cgroup)"
moved movedin "$out" "$cg"
is "$(wire_marks movedin "$t6" to)" "tos 0x0" \
	"TCP made outside the scope, connected from inside: not forced (the socket's cgroup)"

# the accepted side: the server in srv gets AF41 on what it sends back
wire acc tcp4 "$acc" "$out"
is "$(wire_marks acc "$acc" from nosyn)" "tos $AF41" \
	"PASSIVE_ESTABLISHED: the accepted socket's packets carry tos $AF41 (the SYN-ACK has the listener's)"
is "$(wire_marks acc "$acc" to)" "tos 0x0" "... and the client's (outside the scope) do not"

# MPTCP: the MPTCP socket itself is not TCP; its subflows are, and get the forced cc
if [ -n "$mp" ]; then
	in_cg "$cg" timeout 10 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
s.connect(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"x" * 16)
time.sleep(3); s.close()' "$mp" &
	mpid=$!
	ssout=""
	for _ in $(seq 1 40); do
		ssout=$(ss -tinH "dport = :$mp" 2>/dev/null)
		[ -n "$ssout" ] && break
		sleep 0.05
	done
	wait $mpid
	like "$ssout" "reno" "MPTCP: the subflow of a connection from the cgroup runs the forced reno (ss -ti)"
else
	skip "no MPTCP (net.mptcp.enabled is not 1)" "MPTCP: the subflow runs the forced congestion control"
fi

done_testing
