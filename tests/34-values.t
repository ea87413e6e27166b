#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The program reads a value as the kernel does: the width
# for every optlen the kernel accepts and the sign the kernel gives it.  Each
# call is a real setsockopt from the policy's cgroup with exactly the bytes
# named (sockopt.py raw:HEX, little-endian), read back with getsockopt.
# Then a denied call's event: no effective value (null).
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg values)
ev="$T/events.jsonl"
rmem_max=$(cat /proc/sys/net/core/rmem_max)
og_policy "$T/p.ini" "$cg" "$ev" <<INI

[rule:mark-min]
option = SO_MARK
action = clamp
min = 10

[rule:rcvbuf-max]
option = SO_RCVBUF
action = clamp
max = 64K

[rule:tos-allowlist]
option = IP_TOS
action = deny
except = CS0, AF41

[rule:ttl-max]
option = IP_TTL
action = clamp
max = 64

[rule:pacing-max]
option = SO_MAX_PACING_RATE
action = clamp
max = 8589934592

[rule:pmtu-min]
option = IP_MTU_DISCOVER
action = clamp
min = 2
INI
og_must_start "$T/p.ini"

# SO_MARK is a u32: with optlen 8 the kernel reads the low 4 bytes only
client_table "$cg" <<CALLS
SO_MARK raw:0500000001000000 | set=0 get=10         | SO_MARK clamp min 10, optlen 8 carrying (1 << 32) + 5: the kernel's 5 is raised to 10
SO_MARK raw:0500000000000000 | set=0 get=10         | SO_MARK clamp min 10, optlen 8 carrying 5: raised to 10
SO_MARK raw:0c000000         | set=0 get=12         | SO_MARK 12 (optlen 4) is inside: unchanged

# SO_RCVBUF: min_t(u32, val, rmem_max): -1 is huge, not small (the kernel doubles it)
SO_RCVBUF raw:ffffffff       | set=0 get=131072     | SO_RCVBUF clamp max 64K, -1: the kernel's 4294967295 is cut to 64K (not rmem_max $rmem_max)
SO_RCVBUF raw:00000080       | set=0 get=131072     | SO_RCVBUF clamp max 64K, INT_MIN: cut to 64K

# IP options read from one byte (an unsigned char), and from none (IP_TOS: 0)
IP_TOS raw:b8                | set=-1 errno=EPERM   | IP_TOS allowlist, 1-byte EF (0xb8): denied
IP_TOS raw:88                | set=0 get=136        | IP_TOS allowlist, 1-byte AF41 (0x88): passes
IP_TOS raw:b8000000          | set=-1 errno=EPERM   | IP_TOS allowlist, 4-byte EF: denied
IP_TTL raw:c8                | set=0 get=64         | IP_TTL clamp max 64, 1-byte 200: the kernel gets 64
IP_TTL raw:20                | set=0 get=32         | IP_TTL clamp max 64, 1-byte 32: unchanged
IP_TTL raw:c8000000          | set=0 get=64         | IP_TTL clamp max 64, 4-byte 200: the kernel gets 64
0:10 raw:                    | set=0 get=2          | IP_MTU_DISCOVER clamp min 2, optlen 0 (the kernel's 0): raised to 2
0:10 raw:00                  | set=0 get=2          | IP_MTU_DISCOVER clamp min 2, 1-byte 0: raised to 2

# SO_MAX_PACING_RATE: 4 bytes of ~0U mean ~0UL (no limit) to the kernel; 8 bytes are a u64
1:47 raw:ffffffff            | set=0 get=8589934592 | SO_MAX_PACING_RATE clamp max 8G, 4-byte ~0U (no limit): cut to 8G
1:47 raw:0000000004000000    | set=0 get=8589934592 | SO_MAX_PACING_RATE clamp max 8G, 8-byte 16G: cut to 8G
1:47 raw:00ca9a3b            | set=0 get=1000000000 | SO_MAX_PACING_RATE clamp max 8G, 4-byte 1e9: unchanged
CALLS

# events: what the program read, and no effective value for a denied call
wait_grep "$ev" '"rule":"tos-allowlist"' 3
line=$(evline "$ev" '"rule":"tos-allowlist".*"action":"deny"|"action":"deny".*"rule":"tos-allowlist"')
is "$(jfields "$ev" "$line" requested effective)" "184/None" \
	"a denied call's event: requested 184, effective null"
line=$(evline "$ev" '"rule":"mark-min"')
is "$(jfields "$ev" "$line" requested effective)" "5/10" \
	"SO_MARK event: requested is the kernel's 5, not 4294967301"
line=$(evline "$ev" '"rule":"rcvbuf-max"')
is "$(jfields "$ev" "$line" requested effective)" "4294967295/65536" \
	"SO_RCVBUF event: -1 read as the kernel takes it"

# explain shares the decision: the same values, the same verdicts
is "$("$OPTGUARD" explain --policy "$T/p.ini" --cgroup "$cg" -- SO_RCVBUF -1 | grep '^verdict')" \
	"verdict:  clamp: -1 -> 65536" "explain SO_RCVBUF -1: clamped, as the program does"
like "$("$OPTGUARD" explain --policy "$T/p.ini" --cgroup "$cg" -- SO_RCVBUF -1 | grep '^value')" \
	"reads -1 as 4294967295" "explain says how the kernel reads -1"
is "$("$OPTGUARD" explain --policy "$T/p.ini" --cgroup "$cg" SO_MARK 4294967301 | \
	grep '^verdict')" "verdict:  clamp: 4294967301 -> 10" \
	"explain SO_MARK 4294967301: the kernel's 32 bits (5) are raised to 10"
og_stop
done_testing
