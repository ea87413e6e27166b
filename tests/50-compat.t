#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The limit of cgroup-only enforcement, asserted so that it stays known, and
# said: the kernel skips the cgroup setsockopt hook for 32-bit (compat)
# callers (a `gcc -m32` client, `int $0x80` from a 64-bit one, an io_uring
# ring created by one), so they get past every rule on a host where the LSM
# hook cannot run; `check`, the daemon's start and `status` name those rules,
# and the rules sendmsg control messages bypass.  (With the LSM hook, compat
# callers are refused: selftests/cases/20-compat32.sh, in the VMs.)
. "$(dirname "$0")/lib.sh"
require_root

out_dir="${OUTPUT:-$TESTS_DIR/../.output}/tests"
s32="$out_dir/sockopt32"
compat="$out_dir/compat"

cg=$(mkcg app)
og_policy "$T/p.ini" "$cg" <<INI
lsm = off

[rule:no-mark]
option = SO_MARK
action = deny

[rule:ttl]
option = IP_TTL
action = clamp
min = 2

[rule:tos]
option = IP_TOS
action = deny
except = AF41

[rule:rcvbuf]
option = SO_RCVBUF
action = clamp
max = 1M

[rule:prio]
option = SO_PRIORITY
action = allow
INI

out=$("$OPTGUARD" check "$T/p.ini" 2>&1)
like "$out" "note: 32-bit \(compat\) callers bypass rules no-mark, ttl, tos, rcvbuf where the LSM hook cannot run" \
	"check names the rules compat callers bypass without the LSM hook (not the allow rule)"
like "$out" "where it runs, it refuses them \(compat = deny\) for ttl, tos, rcvbuf" \
	"check names the value-aware rules whose compat callers the LSM hook refuses"
like "$out" "note: sendmsg control messages bypass rules no-mark, ttl, tos where the LSM hook cannot run" \
	"check names the rules sendmsg control messages bypass"
sed 's/^lsm = off/lsm = off\ncompat = allow/' "$T/p.ini" > "$T/allow.ini"
like "$("$OPTGUARD" check "$T/allow.ini" 2>&1)" "they still bypass \(compat = allow\) ttl, tos, rcvbuf" \
	"check, compat = allow: compat callers bypass the value-aware rules even with the LSM hook"

og_must_start "$T/p.ini"
like "$(cat "$T/daemon.err")" \
	"warning: 32-bit \(compat\) callers bypass rules no-mark, ttl, tos, rcvbuf \(the kernel skips" \
	"the start names the rules compat callers bypass"
like "$(cat "$T/daemon.err")" \
	"warning: sendmsg control messages .* bypass rules no-mark, ttl, tos" \
	"the start names the rules control messages bypass"
like "$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>&1)" \
	"bypass: +32-bit \(compat\) callers bypass rules no-mark, ttl, tos, rcvbuf .*; sendmsg control messages" \
	"status names them too"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"a 64-bit client is denied by the cgroup hook"
if [ -x "$s32" ] && [ "$("$s32" 1 36 5 2>&1 | cut -c1-5)" = "set=0" ]; then
	is "$(in_cg "$cg" "$s32" 1 36 5)" "set=0 get=5" \
		"a 32-bit client bypasses the cgroup hook (cgroup-only enforcement)"
	is "$(in_cg "$cg" "$compat" int80 0 2 1)" "set=0 get=1" \
		"int \$0x80 from a 64-bit binary bypasses the clamp (cgroup-only enforcement)"
else
	skip "no runnable 32-bit client at $s32 (gcc -m32, CONFIG_IA32_EMULATION)" \
		"a 32-bit client bypasses the cgroup hook (cgroup-only enforcement)"
	skip "no 32-bit syscalls" "int \$0x80 from a 64-bit binary bypasses the clamp"
fi
# a compat ring is made by an int $0x80 io_uring_setup: a kernel without 32-bit syscalls
# (ia32 emulation off: a fault, no output) cannot have one
i80=$("$compat" int80 0 2 1 2>&1 || true)
u=$(in_cg "$cg" "$compat" uring -x 0 2 1 2>&1 || true)
case "$i80:$u" in
set=*:*uring=none*) skip "io_uring socket setsockopt (Linux 6.7+): $u" \
	"a compat io_uring ring bypasses the clamp (cgroup-only enforcement)" ;;
set=*:*) is "$u" "set=0 get=1" "a compat io_uring ring bypasses the clamp (cgroup-only enforcement)" ;;
*) skip "no 32-bit syscalls: int \$0x80 fails on this kernel (${i80:-a fault, no output})" \
	"a compat io_uring ring bypasses the clamp (cgroup-only enforcement)" ;;
esac
is "$(in_cg "$cg" "$compat" uring 0 2 1 2>&1 | sed 's/^uring=none.*/set=0 get=2/')" "set=0 get=2" \
	"a 64-bit io_uring ring goes through the cgroup hook (clamped)"
og_stop
done_testing
