#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Boot Debian kernels under QEMU (TCG) with the BPF LSM enabled, run the
# selftest cases (selftests/cases/*.sh) inside, and report per kernel.
#
#   selftests/run-vm.sh [-j N] [-c CASE,...] [--systemd] [--tap] [-v] KERNEL...
#
# KERNEL is a name selftests/kernels.sh knows (5.10 6.1 6.12 6.18 7.x; "all"
# for every one), fetched and cached through its private apt configuration,
# or a path to a vmlinuz.  -j N boots N kernels at a time (default: the CPU
# count, at most 4); -c runs only the named cases; -v prints every console
# line; --tap prints one TAP stream (for prove: tests/90-vm.t).  --systemd
# boots the machine's own systemd as PID 1 instead of the cases, which runs
# selftests/systemd/run.sh: optguard.service as `make install` writes it,
# driven with systemctl (tests/91-systemd.t); its logs are NAME-systemd.*.
#
# Prints each kernel's TAP failures, then per kernel "pass/fail/skip" counts
# and wall times, and the total wall time.  Exit status 1 when a case failed
# on any kernel, or a kernel did not finish its run (boot failure, timeout);
# a kernel that cannot be had (no network, package gone) is reported as
# skipped, not failed.  Needs root only for kernels.sh's cache directory.
#
# Environment: OPTGUARD (the binary; default ./optguard of the tree), OUTPUT
# (build directory; default .output), OPTGUARD_VM_TIMEOUT (seconds per boot,
# default 900), OPTGUARD_SELFTEST_CACHE (see kernels.sh), QEMU.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
OUTPUT=${OUTPUT:-$top/.output}
QEMU=${QEMU:-qemu-system-x86_64}
VM_TIMEOUT=${OPTGUARD_VM_TIMEOUT:-900}
export OPTGUARD=${OPTGUARD:-$top/optguard}

jobs=$(nproc 2>/dev/null || echo 1)
[ "$jobs" -le 4 ] || jobs=4
cases=""
tap=0
verbose=0
systemd=0
while [ $# -gt 0 ]; do
	case "$1" in
	-j) jobs=$2; shift 2 ;;
	-c) cases=$2; shift 2 ;;
	--tap) tap=1; shift ;;
	--systemd) systemd=1; shift ;;
	-v) verbose=1; shift ;;
	-h | --help) sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-vm: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: run-vm.sh [-j N] [-c CASE,...] [--systemd] [--tap] [-v] KERNEL..." >&2; exit 2; }
if [ "$*" = all ]; then
	set -- 5.10 6.1 6.12 6.18 7.x
fi

# In --tap mode stdout is the TAP stream; everything else is a comment.
say() { if [ $tap = 1 ]; then echo "# $*"; else echo "$*"; fi; }

command -v "$QEMU" > /dev/null || {
	[ $tap = 1 ] && { echo "1..0 # SKIP no $QEMU (Debian: qemu-system-x86)"; exit 0; }
	echo "run-vm: no $QEMU (Debian: qemu-system-x86)" >&2
	exit 1
}

t0=$(date +%s)
dir=$OUTPUT/selftests
mkdir -p "$dir"
if [ $systemd = 1 ]; then
	if [ ! -x /usr/lib/systemd/systemd ] && [ $tap = 1 ]; then
		echo "1..0 # SKIP no /usr/lib/systemd/systemd on this machine (Debian: systemd)"
		exit 0
	fi
	initrd=$dir/initramfs-systemd.cpio.gz
	"$top/selftests/mkinitramfs.sh" --systemd "$initrd" >&2
	sfx=-systemd
else
	initrd=$dir/initramfs.cpio.gz
	"$top/selftests/mkinitramfs.sh" "$initrd" >&2
	sfx=""
fi

# --- kernels: "name path description" lines --------------------------------
: > "$dir/kernels"
names=()
for k in "$@"; do
	if [ -f "$k" ]; then
		echo "$(basename "$k") $k $k" >> "$dir/kernels"
	else
		names+=("$k")
	fi
done
if [ ${#names[@]} -gt 0 ] &&
	! "$top/selftests/kernels.sh" "${names[@]}" >> "$dir/kernels" 2> "$dir/kernels.err"; then
	cat "$dir/kernels.err" >&2
	[ $tap = 1 ] || exit 1
	echo "1..0 # SKIP selftests/kernels.sh failed: $(tail -1 "$dir/kernels.err")"
	exit 0
fi
[ $tap = 1 ] && sed 's/^/# /' "$dir/kernels.err" || cat "$dir/kernels.err" >&2
t_fetch=$(($(date +%s) - t0))

# --- boot: one VM per kernel, $jobs at a time -------------------------------
boot() {	# boot NAME VMLINUZ: console to $dir/NAME.log, seconds to NAME.time
	local name=$1 vmlinuz=$2 s append
	append="console=ttyS0 quiet panic=-1 lsm=lockdown,capability,bpf"
	[ -z "$cases" ] || append="$append og.cases=$cases"
	[ $systemd = 0 ] || append="$append rdinit=/usr/lib/systemd/systemd \
systemd.unit=og-selftest.service systemd.unified_cgroup_hierarchy=1 systemd.show_status=0"
	s=$(date +%s)
	timeout "$VM_TIMEOUT" "$QEMU" -accel tcg -cpu max -m 512 -smp 1 -nographic \
		-no-reboot -nic none -kernel "$vmlinuz" -initrd "$initrd" \
		-append "$append" < /dev/null > "$dir/$name.log" 2>&1 || true
	echo $(($(date +%s) - s)) > "$dir/$name.time"
}

running=0
while read -r name path desc; do
	[ "$path" != - ] || continue
	rm -f "$dir/$name$sfx.log" "$dir/$name$sfx.time"
	boot "$name$sfx" "$path" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
done < "$dir/kernels"
wait

# --- results ----------------------------------------------------------------
bad=0
summary=()
tapn=0
while read -r name path desc; do
	if [ "$path" = - ]; then
		desc=${desc#SKIP }
		summary+=("$(printf '%-6s skipped: %s' "$name" "$desc")")
		if [ $tap = 1 ]; then
			tapn=$((tapn + 1))
			echo "ok $tapn - kernel $name # SKIP $desc"
		fi
		continue
	fi
	name=$name$sfx
	log=$dir/$name.log
	# the guest's TAP, without the serial console's carriage returns
	tr -d '\r' < "$log" | sed -n '/OPTGUARD-SELFTEST-BEGIN/,/^OPTGUARD-SELFTEST-END/p' > "$dir/$name.tap"
	p=$(grep -cE '^ok [0-9]+ ' "$dir/$name.tap" || true)
	sk=$(grep -cE '^ok [0-9]+ .*# SKIP' "$dir/$name.tap" || true)
	f=$(grep -cE '^not ok [0-9]+ ' "$dir/$name.tap" || true)
	p=$((p - sk))
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$dir/$name.tap" | tail -1)
	note=""
	if ! grep -q '^OPTGUARD-SELFTEST-END' "$dir/$name.tap"; then
		note="did not finish (boot failure or timeout after ${VM_TIMEOUT}s; console in $log)"
	elif [ "${plan:-x}" != $((p + sk + f)) ]; then
		note="planned ${plan:-nothing}, ran $((p + sk + f))"
	elif [ "$plan" -eq 0 ]; then
		note="no test ran"
	fi
	[ $f -eq 0 ] && [ -z "$note" ] || bad=1
	if [ $verbose = 1 ]; then
		say "=== $name: console"
		tr -d '\r' < "$log" | sed 's/^/    /' | while IFS= read -r l; do say "$l"; done
	elif [ $f -gt 0 ] || [ -n "$note" ]; then
		say "=== $name ($desc): failures"
		# each failure with at most the 12 comment lines before it (the full
		# console, e.g. a verifier log, is in the log file)
		awk '/^#/ { b[n++ % 12] = $0; next }
			/^not ok/ {
				if (n > 12) print "# ... (" n - 12 " lines: see the log)"
				for (i = (n > 12 ? n - 12 : 0); i < n; i++) print b[i % 12]
				print; n = 0 }
			/^ok/ { n = 0 }' "$dir/$name.tap" | while IFS= read -r l; do say "    $l"; done
		[ -z "$note" ] || tr -d '\r' < "$log" | tail -30 | while IFS= read -r l; do say "    | $l"; done
	fi
	if [ $tap = 1 ]; then
		# the guest's tests, renumbered into one stream
		while IFS= read -r l; do
			case "$l" in
			"ok "[0-9]* | "not ok "[0-9]*)
				tapn=$((tapn + 1))
				st=${l%% [0-9]*}
				rest=${l#"$st" }
				rest=${rest#* }
				echo "$st $tapn [$name] ${rest#- }" ;;
			esac
		done < "$dir/$name.tap"
		if [ -n "$note" ]; then
			tapn=$((tapn + 1))
			echo "not ok $tapn - kernel $name: $note"
		fi
	fi
	summary+=("$(printf '%-6s %-48s pass %2d  fail %2d  skip %2d  %4ss%s' "$name" "$desc" \
		$p $f $sk "$(cat "$dir/$name.time" 2>/dev/null || echo ?)" "${note:+  ($note)}")")
done < "$dir/kernels"

say "kernel results (logs in $dir):"
for l in "${summary[@]}"; do say "  $l"; done
say "wall time: $(($(date +%s) - t0))s in all (${t_fetch}s initramfs and kernels, -j $jobs)"
[ $tap = 0 ] || echo "1..$tapn"
exit $bad
