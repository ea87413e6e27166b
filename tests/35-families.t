#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Option families: options that set one value in the kernel (SO_RCVBUF and
# SO_RCVBUFFORCE, IP_TOS and IPV6_TCLASS, IP_TTL and IPV6_UNICAST_HOPS).
#  - `check` warns (FILE:LINE, exit 0) when a rule leaves a sibling open: the
#    golden files of tests/warn-policies/ (FILE stands for the file);
#  - one rule covers a family (`option = SO_RCVBUF*`, `DSCP`, `TTL`): a root
#    process in the cgroup cannot get past the clamp with SO_RCVBUFFORCE, an
#    AF_INET6 socket talking v4-mapped IPv4 gets the rule's DSCP whether it
#    sets IPV6_TCLASS or IP_TOS at SOL_IP (getsockopt, and the TOS byte on the
#    wire with tcpdump), IPV6_UNICAST_HOPS is clamped like IP_TTL;
#  - events name the option called and the family rule; status counts the
#    rule once; explain and options know the families.
. "$(dirname "$0")/lib.sh"
require_root

# ---- check: warnings, exit 0 ------------------------------------------------
for f in "$TESTS_DIR"/warn-policies/*.ini; do
	name=$(basename "$f" .ini)
	cp "$f" "$T/$name.ini"
	timeout 20 "$OPTGUARD" check "$T/$name.ini" > "$T/out" 2> "$T/err"
	is "$?" "0" "warn $name: check exits 0"
	# (these policies name no cgroup: the whole-host warning is 10-cli.t's to check)
	is "$(grep -v ': warning: no cgroup in \[enforcer\]' "$T/err")" \
		"$(sed "s#^FILE:#$T/$name.ini:#" "${f%.ini}.expect")" \
		"warn $name: the expected FILE:LINE: warnings on stderr"
	like "$(cat "$T/out")" "^$T/$name.ini: ok: " "warn $name: the one-line summary"
done

cg=$(mkcg app)
ev="$T/events.jsonl"
rcvmax=$((64 * 1024))
og_policy "$T/p.ini" "$cg" "$ev" <<INI

[rule:rcvbuf]
option = SO_RCVBUF*
action = clamp
max = $rcvmax

[rule:dscp]
option = DSCP
action = rewrite
value = AF41

[rule:ttl]
option = TTL
action = clamp
min = 32
max = 200

[rule:mcast]
option = MULTICAST_TTL
action = allow
INI
timeout 20 "$OPTGUARD" check "$T/p.ini" > "$T/out" 2> "$T/err"
is "$?" "0" "a policy of family rules passes check"
is "$(cat "$T/err")" "" "... without a warning: the families leave no sibling open"

# the kernel doubles a buffer size: what getsockopt shows for the clamp's max
want_rcv=$((2 * rcvmax))
# AF41 is DSCP 34: the TOS/TCLASS byte 34 << 2; the application's ECN bits (0 here) stay
want_tos=$((34 << 2))

# rcvforce N: setsockopt(SO_RCVBUFFORCE, N) as root, then getsockopt(SO_RCVBUF)
# (SO_RCVBUFFORCE itself cannot be read back)
rcvforce() {
	python3 -c '
import errno, socket, sys
s = socket.socket()
try:
    s.setsockopt(socket.SOL_SOCKET, 33, int(sys.argv[1]))
    print("set=0 get=%d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
except OSError as e:
    print("set=-1 errno=" + errno.errorcode.get(e.errno, str(e.errno)))
' "$1"
}

# control, outside the cgroup: root's SO_RCVBUFFORCE goes past rmem_max
got=$(rcvforce $((8 * 1024 * 1024)))
is "$got" "set=0 get=$((2 * 8 * 1024 * 1024))" "outside the cgroup SO_RCVBUFFORCE 8M takes 16M"

og_must_start "$T/p.ini"

# SO_RCVBUFFORCE (level 1, optname 33) as root in the cgroup
got=$(in_cg "$cg" bash -c "$(declare -f rcvforce); rcvforce $((8 * 1024 * 1024))")
is "$got" "set=0 get=$want_rcv" "SO_RCVBUF* clamps SO_RCVBUFFORCE 8M to max $rcvmax (x2)"
got=$(client_in "$cg" SO_RCVBUF $((8 * 1024 * 1024)))
is "$got" "set=0 get=$want_rcv" "... and SO_RCVBUF 8M likewise"

# v4-mapped: an AF_INET6 UDP socket sending IPv4 to 127.0.0.1
v4m() { in_cg "$cg" python3 "$TESTS_DIR/clients/v4mapped.py" "$@"; }
is "$(v4m IPV6_TCLASS 0xb8)" "set=0 get=$want_tos" "DSCP rewrites IPV6_TCLASS EF on a v4-mapped socket"
is "$(v4m IP_TOS 0xb8)" "set=0 get=$want_tos" \
	"DSCP rewrites IP_TOS EF at SOL_IP on an AF_INET6 socket (v4-mapped)"
is "$(client_in "$cg" -6 -u IPV6_TCLASS 0xb8)" "set=0 get=$want_tos" \
	"DSCP rewrites IPV6_TCLASS EF on a plain IPv6 socket"
is "$(client_in "$cg" IP_TOS 0xb8)" "set=0 get=$want_tos" \
	"DSCP rewrites IP_TOS EF on an AF_INET socket"

# on the wire: the IPv4 TOS byte of the v4-mapped datagram
if command -v tcpdump > /dev/null; then
	# the client's datagram: IPv4 total length 20 + 8 + its 37-byte payload
	timeout 10 tcpdump -n -v -i lo -c 1 "ip and udp and ip[2:2] = 65" \
		> "$T/wire" 2> "$T/tcpdump.err" &
	tdpid=$!
	for i in $(seq 1 100); do
		grep -qs "listening on" "$T/tcpdump.err" && break
		sleep 0.05
	done
	v4m IP_TOS 0xb8 > /dev/null
	wait "$tdpid"
	like "$(cat "$T/wire")" "tos $(printf '0x%x' "$want_tos")," \
		"on the wire: the v4-mapped datagram carries the rule's TOS after IP_TOS EF"
else
	skip "tcpdump is not installed (scripts/deps.sh test)" "on the wire: the v4-mapped TOS"
fi

# TTL: IPV6_UNICAST_HOPS is clamped as IP_TTL is, on v6 and on v4-mapped sockets
is "$(client -6 -u IPV6_UNICAST_HOPS 1)" "set=0 get=1" "outside the cgroup IPV6_UNICAST_HOPS 1 takes"
is "$(client_in "$cg" -6 -u IPV6_UNICAST_HOPS 1)" \
	"set=0 get=32" "TTL clamps IPV6_UNICAST_HOPS 1 to min 32"
is "$(v4m IP_TTL 1)" "set=0 get=32" "TTL clamps IP_TTL 1 at SOL_IP on an AF_INET6 socket"
is "$(client_in "$cg" IP_TTL 255)" "set=0 get=200" \
	"TTL clamps IP_TTL 255 to max 200"

# events: the option called, the family rule's name
wait_grep "$ev" '"option":"IPV6_UNICAST_HOPS"' || true
for o in SO_RCVBUFFORCE SO_RCVBUF IPV6_TCLASS IP_TOS IPV6_UNICAST_HOPS IP_TTL; do
	case $o in
	SO_RCV*) r=rcvbuf ;;
	IP_TOS | IPV6_TCLASS) r=dscp ;;
	*) r=ttl ;;
	esac
	like "$(grep -E "\"option\":\"$o\"" "$ev" | head -1)" "\"rule\":\"$r\"" \
		"event: option $o named, rule $r"
done

# status: the family rule is one row, its counters the sum of its options' calls
st=$("$OPTGUARD" status --pin-dir "$OG_PIN")
like "$st" $'\n''rcvbuf +2 ' "status: rule rcvbuf decided 2 calls (SO_RCVBUFFORCE and SO_RCVBUF)"
like "$st" $'\n''dscp +[0-9]+ ' "status: one row for rule dscp"

og_stop

# force on a family: each option where the socket takes it (IP_TOS on AF_INET,
# IPV6_TCLASS on AF_INET6); SO_RCVBUFFORCE, which bpf_setsockopt cannot set,
# gets on_change at setsockopt
og_policy "$T/f.ini" "$cg" "$ev" <<INI

[rule:dscp]
option = DSCP
action = force
value = AF41
at = connect

[rule:rcvbuf]
option = SO_RCVBUF*
action = force
value = $rcvmax
at = connect

[rule:ttl4]
option = IP_TTL
action = clamp
min = 2
INI
# dgram HOST: a UDP socket connect()ed to HOST (nothing is sent), its TOS / TCLASS
dgram() {
	in_cg "$cg" python3 -c '
import socket, sys
v6 = ":" in sys.argv[1]
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 9))
print(s.getsockopt(*((socket.IPPROTO_IPV6, socket.IPV6_TCLASS) if v6 else
                     (socket.IPPROTO_IP, socket.IP_TOS))))
' "$1"
}
if og_start "$T/f.ini"; then
	is "$(dgram 127.0.0.1)" "$want_tos" "force DSCP: IP_TOS forced on an AF_INET socket at connect"
	if python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).connect(("::1", 9))' 2>/dev/null; then
		is "$(dgram ::1)" "$want_tos" \
			"force DSCP: IPV6_TCLASS forced on an AF_INET6 socket at connect"
	else
		skip "no IPv6 loopback" "force DSCP: IPV6_TCLASS forced on an AF_INET6 socket"
	fi
	got=$(in_cg "$cg" bash -c "$(declare -f rcvforce); rcvforce $((8 * 1024 * 1024))")
	is "$got" "set=0 get=$want_rcv" \
		"force SO_RCVBUF*: SO_RCVBUFFORCE 8M rewritten to the forced $rcvmax (on_change)"
	like "$(cat "$T/daemon.err")" "f.ini:[0-9]+: warning: rule ttl4 clamps IP_TTL but not \
IPV6_UNICAST_HOPS" "run warns at start of a rule that leaves a sibling open"
	og_stop
else
	ok 1 "the daemon starts with force rules on families"
fi

# explain and options know the families
out=$(timeout 20 "$OPTGUARD" explain --policy "$T/p.ini" --cgroup "$cg" DSCP EF)
like "$out" "IPV6_TCLASS of DSCP:" "explain DSCP: explains IPV6_TCLASS"
like "$(echo "$out" | grep -cE 'wins: +rule dscp .*option = DSCP')" "^2$" \
	"explain DSCP: rule dscp wins for both options"
like "$(echo "$out" | grep -cE 'verdict: +rewrite: EF -> AF41')" "^2$" \
	"explain DSCP EF: rewrite to AF41 for both"
out=$(timeout 20 "$OPTGUARD" explain --policy "$T/p.ini" --cgroup "$cg" SO_RCVBUFFORCE 8M)
like "$out" "verdict: +clamp: 8M -> $rcvmax" "explain SO_RCVBUFFORCE 8M: the family clamp"
out=$(timeout 60 "$OPTGUARD" options 2>/dev/null)
like "$out" $'\n''SO_RCVBUF\* +SO_RCVBUF,SO_RCVBUFFORCE ' "options lists the family SO_RCVBUF*"
like "$out" $'\n''DSCP +IP_TOS,IPV6_TCLASS ' "options lists the family DSCP"
like "$out" $'\n''TTL +IP_TTL,IPV6_UNICAST_HOPS ' "options lists the family TTL"

done_testing
