#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the selftest initramfs (cpio newc, gzip):
#
#   selftests/mkinitramfs.sh [--systemd] OUT.cpio.gz
#
# It holds busybox (busybox-static), the built optguard with the shared
# libraries ldd names for it (and the dynamic loader), the setsockopt client
# and the compat/cmsg client (tests/clients/compat.c: int $0x80, io_uring,
# sendmsg control messages) built static 64-bit and 32-bit (gcc -m32
# -static: no 32-bit libraries to carry), selftests/lib.sh, selftests/cases/*.sh and selftests/init as /init.
# $OPTGUARD is the binary (default: optguard in the source tree).
#
# --systemd: for a guest whose PID 1 is the machine's own systemd
# (rdinit=/usr/lib/systemd/systemd): also systemd and systemctl with their
# libraries, the few targets a service's default dependencies name,
# optguard.service made from systemd/optguard.service.in as `make install`
# makes it (its binary in /bin), and selftests/systemd/ (the test, run by
# og-selftest.service).  Busybox's applets are links made here.
set -eu

with_systemd=0
if [ "${1:-}" = --systemd ]; then
	with_systemd=1
	shift
fi

top=$(cd "$(dirname "$0")/.." && pwd)
out=$1
OPTGUARD=${OPTGUARD:-$top/optguard}
CC=${CC:-cc}
work=$(mktemp -d /tmp/optguard-initramfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

[ -x "$OPTGUARD" ] || { echo "mkinitramfs: no optguard binary at $OPTGUARD (run make)" >&2; exit 1; }
bb=$(command -v busybox || true)
# static: ldd refuses it ("not a dynamic executable")
[ -n "$bb" ] && ! ldd "$bb" > /dev/null 2>&1 ||
	{ echo "mkinitramfs: need a static busybox (Debian: busybox-static)" >&2; exit 1; }

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib64,selftests/cases}
# the console PID 1 starts with is opened before any devtmpfs is mounted
mknod -m 600 "$root/dev/console" c 5 1
cp -L "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp -L "$OPTGUARD" "$root/bin/optguard"
# each library of $1 at the path ldd resolves it to; the loader too
libs_of() {
	ldd "$1" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done
}
libs_of "$OPTGUARD"
"$CC" -O2 -Wall -static "$top/tests/clients/sockopt.c" -o "$root/bin/sockopt"
"$CC" -m32 -O2 -Wall -static "$top/tests/clients/sockopt.c" -o "$root/bin/sockopt32"
# what root tries against optguard's own objects (cases/80-guard.sh)
"$CC" -O2 -Wall -static "$top/tests/clients/attack.c" -o "$root/bin/attack"
"$CC" -O2 -Wall -static "$top/tests/clients/compat.c" -o "$root/bin/compat"
"$CC" -m32 -O2 -Wall -static "$top/tests/clients/compat.c" -o "$root/bin/compat32"
cp "$top/selftests/init" "$root/init"
cp "$top/selftests/lib.sh" "$root/selftests/"
cp "$top"/selftests/cases/*.sh "$root/selftests/cases/"
chmod 0755 "$root/init" "$root"/selftests/cases/*.sh
if [ $with_systemd = 1 ]; then
	sd=/usr/lib/systemd/systemd
	[ -x $sd ] && [ -x /usr/bin/systemctl ] ||
		{ echo "mkinitramfs: --systemd needs $sd and systemctl (Debian: systemd)" >&2; exit 1; }
	mkdir -p "$root/usr/lib/systemd/system" "$root/usr/bin" "$root/etc/systemd/system" \
		"$root/var/log" "$root/var/tmp" "$root/selftests/systemd"
	cp -L $sd "$root$sd"
	cp -L /usr/bin/systemctl "$root/usr/bin/systemctl"
	libs_of $sd
	libs_of /usr/bin/systemctl
	# transient units (run.sh: a unit = scope for a unit started after optguard)
	if [ -x /usr/bin/systemd-run ]; then
		cp -L /usr/bin/systemd-run "$root/usr/bin/systemd-run"
		libs_of /usr/bin/systemd-run
	fi
	for u in sysinit.target basic.target local-fs.target shutdown.target \
		multi-user.target system.slice; do
		[ ! -f "/usr/lib/systemd/system/$u" ] || cp "/usr/lib/systemd/system/$u" \
			"$root/usr/lib/systemd/system/"
	done
	sed 's|@SBINDIR@|/bin|g' "$top/systemd/optguard.service.in" > \
		"$root/etc/systemd/system/optguard.service"
	cp "$top/selftests/systemd/og-selftest.service" "$root/etc/systemd/system/"
	cp "$top/selftests/systemd/run.sh" "$root/selftests/systemd/"
	chmod 0755 "$root/selftests/systemd/run.sh"
	: > "$root/etc/machine-id"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		> "$root/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
	for a in $("$bb" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
