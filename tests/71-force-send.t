#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# force at send (cgroup/sendmsg4/6) for unconnected UDP: a python3 client in
# the policy's cgroup sends datagrams with sendto() over AF_INET, AF_INET6
# and v4-mapped (an AF_INET6 socket to ::ffff:127.0.0.1); tcpdump on lo
# reads each datagram's tos / class.  The application's ECN bits are kept;
# a client outside the cgroup is not marked; SO_MARK and SO_PRIORITY at
# create (cgroup/sock_create writes them, no lsm_cgroup needed) are read
# back in the client; a socket whose value is in place costs no decision.
. "$(dirname "$0")/lib.sh"
require_root
command -v tcpdump > /dev/null || skip_all "no tcpdump"

# what this kernel takes at send, as the force probe found (optguard options)
opts=$("$OPTGUARD" options 2>&1)
for o in IP_TOS IPV6_TCLASS; do
	at=$(printf '%s\n' "$opts" | awk -v o=$o '$1 == o { print $NF; exit }')
	case ",$at," in
	*,send,*) ;;
	*)
		why=$(printf '%s\n' "$opts" | sed -n -e 's/^send: \(.*refused a cgroup.*\)/\1/p' \
			-e 's/^create, connect, established, send: //p' | head -1)
		skip_all "$o cannot be forced at send on this kernel: ${why:-the probe did not find bpf_setsockopt taking it in cgroup/sendmsg4/6}"
		;;
	esac
done
if ! python3 -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
	skip_all "no IPv6 loopback on this machine"
fi

cg=$(mkcg app)
outside=$(mkcg outside)	# a sibling: not below the policy's cgroup
ev="$T/events.jsonl"

# the receiver, outside the cgroup: one dual-stack socket (v4-mapped too)
cat > "$T/recv.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    s.recv(65536)
PY
# the client: FAMILY (4, 6 or m: v4-mapped) PORT COUNT [ECN]: one socket, COUNT
# datagrams with sendto(); ECN: it first sets its own TOS / TCLASS to 0x01 (ECT(1))
cat > "$T/send.py" <<'PY'
import os, socket, sys
fam, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dst = {"4": "127.0.0.1", "6": "::1", "m": "::ffff:127.0.0.1"}[fam]
s = socket.socket(socket.AF_INET if fam == "4" else socket.AF_INET6, socket.SOCK_DGRAM)
# read before anything else: what the socket got at create
mark = s.getsockopt(socket.SOL_SOCKET, socket.SO_MARK)
prio = s.getsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY)
if len(sys.argv) > 4:
    if fam == "6":
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 1)
for i in range(n):
    s.sendto(b"x", (dst, port))
print("pid=%d mark=%d prio=%d" % (os.getpid(), mark, prio))
PY
PIDS=""
python3 "$T/recv.py" "$T/port" & PIDS="$PIDS $!"
trap 'kill $PIDS 2>/dev/null; cleanup' EXIT
for i in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.05; done
port=$(cat "$T/port")

# on_change = allow: the application's own TOS stays until a send, so the ECN
# checks below see what the send point does, not what setsockopt rewrote
og_policy "$T/p.ini" "$cg" "$ev" <<INI
# every forced value that took is an event: the count of decisions is checked
log_force = all

[rule:tos]
option = IP_TOS
action = force
value = AF41
at = send
on_change = allow

[rule:tclass]
option = IPV6_TCLASS
action = force
value = AF41
at = send
on_change = allow

[rule:mark]
option = SO_MARK
action = force
value = 42
at = create

[rule:prio]
option = SO_PRIORITY
action = force
value = 5
at = create
INI
og_must_start "$T/p.ini"

like "$("$OPTGUARD" status --pin-dir "$OG_PIN" | sed -n 's/^hooks: *//p')" \
	'cgroup/sock_create.*cgroup/sendmsg4, cgroup/sendmsg6' \
	"status lists cgroup/sendmsg4 and sendmsg6 (loaded: the policy forces at send)"

# capture N ARGS...: run the client (ARGS: cgroup, then send.py's) while tcpdump reads
# N datagrams to the receiver; prints each datagram's tos / class in order
capture() {
	local n=$1 dir=$2 i tp
	shift 2
	: > "$T/td.err"
	timeout 20 tcpdump -i lo -n -v -c "$n" "udp dst port $port" > "$T/td.out" 2> "$T/td.err" &
	tp=$!
	for i in $(seq 1 200); do grep -q "listening on" "$T/td.err" && break; sleep 0.05; done
	in_cg "$dir" python3 "$T/send.py" "$@" > "$T/client.out"
	wait "$tp"
	python3 -c '
import re, sys
for l in open(sys.argv[1]):
    m = re.match(r"^\S+ IP6? \((.*)", l)
    if m:
        t = re.search(r"(?:tos|class) (0x[0-9a-f]+)", m.group(1))
        print(t.group(1) if t else "0x0")' "$T/td.out" | paste -sd' '
}
# the events of rule RULE at send from the client of the last capture
send_events() {
	local pid
	pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$T/client.out")
	sleep 0.3
	grep -c "\"hook\":\"send\".*\"rule\":\"$1\".*\"pid\":$pid,\|\"rule\":\"$1\".*\"pid\":$pid,.*\"hook\":\"send\"\|\"hook\":\"send\".*\"pid\":$pid,.*\"rule\":\"$1\"" "$ev"
}

# The first datagram of a socket: the kernel may copy the socket's TOS into the
# datagram's cookie before the sendmsg hook runs (ipcm_init_sk in newer kernels);
# the value the hook forces then holds from the second datagram on.  A known
# gap where it happens: TODO, not a pass.
first_dgram() {	# first_dgram ACTUAL EXPECTED NAME
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $_n - $3"
	else
		echo "not ok $_n - $3 # TODO this kernel copies the socket's TOS/TCLASS into the datagram before cgroup/sendmsg runs: the forced value holds from the second datagram (got $1)"
	fi
}

# AF_INET
w=$(capture 3 "$cg" 4 "$port" 3)
is "${w#* }" "0x88 0x88" "AF_INET sendto: datagrams 2 and 3 carry DSCP AF41 (tos 0x88)"
first_dgram "${w%% *}" 0x88 "AF_INET sendto: the first datagram carries tos 0x88 too"
is "$(sed 's/^pid=[0-9]* //' "$T/client.out")" "mark=42 prio=5" \
	"AF_INET: SO_MARK and SO_PRIORITY forced at create (cgroup/sock_create, read back before any send)"
is "$(send_events tos)" 1 "three datagrams on one socket: one decision (the value in place costs none)"

# AF_INET6
w=$(capture 3 "$cg" 6 "$port" 3)
is "${w#* }" "0x88 0x88" "AF_INET6 sendto: datagrams 2 and 3 carry class 0x88"
first_dgram "${w%% *}" 0x88 "AF_INET6 sendto: the first datagram carries class 0x88 too"
is "$(sed 's/^pid=[0-9]* //' "$T/client.out")" "mark=42 prio=5" \
	"AF_INET6: SO_MARK and SO_PRIORITY forced at create"
is "$(send_events tclass)" 1 "AF_INET6: one decision for three datagrams"

# ECN: the application's own ECT(1) stays
w=$(capture 3 "$cg" 4 "$port" 3 ecn)
is "${w#* }" "0x89 0x89" "AF_INET: the application's TOS 0x01 becomes 0x89 (DSCP forced, ECN bits kept)"
w=$(capture 3 "$cg" 6 "$port" 3 ecn)
is "${w#* }" "0x89 0x89" "AF_INET6: the application's TCLASS 0x01 becomes 0x89"

# v4-mapped: IPv4 datagrams from an AF_INET6 socket take IP_TOS, not IPV6_TCLASS
w=$(capture 3 "$cg" m "$port" 3)
line=$(evline "$ev" "\"hook\":\"send\".*\"rule\":\"tos\".*\"pid\":$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$T/client.out"),")
err=$([ -n "$line" ] && jfield "$ev" "$line" errno)
if [ -n "$err" ] && [ "$err" != 0 ]; then
	diag "v4-mapped: this kernel's bpf_setsockopt refuses IP_TOS on an AF_INET6 socket (errno $err): its IPv4 datagrams are not marked (wire: $w)"
	skip "bpf_setsockopt(SOL_IP, IP_TOS) refused on AF_INET6 sockets by this kernel (errno $err)" \
		"v4-mapped sendto: datagrams 2 and 3 carry tos 0x88"
else
	is "${w#* }" "0x88 0x88" "v4-mapped sendto (AF_INET6 socket to ::ffff:127.0.0.1): datagrams 2 and 3 carry tos 0x88"
fi
first_dgram "${w%% *}" 0x88 "v4-mapped sendto: the first datagram carries tos 0x88 too"

# outside the policy's cgroup nothing is forced
w=$(capture 3 "$outside" 4 "$port" 3)
is "$w" "0x0 0x0 0x0" "a client outside the policy's cgroup: tos 0x0 on every datagram"
is "$(sed 's/^pid=[0-9]* //' "$T/client.out")" "mark=0 prio=0" "... and no mark or priority at create"
w=$(capture 3 "$outside" 6 "$port" 3)
is "$w" "0x0 0x0 0x0" "... nor class on its IPv6 datagrams"

line=$(evline "$ev" '"hook":"send"')
is "$(jfields "$ev" "$line" action type errno)" "force/dgram/0" \
	"a forced value at send is an event (log_force = all): action, socket type, no errno"
line=$(evline "$ev" '"hook":"sock_create"')
is "$(jfields "$ev" "$line" rule action effective)" "mark/force/42" \
	"SO_MARK written at create is an event of rule mark"

og_stop
kill $PIDS 2>/dev/null
done_testing
