#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Build the selftest initramfs (cpio newc, gzip):
#
#   selftests/mkinitramfs.sh OUT.cpio.gz
#
# It holds busybox (busybox-static), the built optguard with the shared
# libraries ldd names for it (and the dynamic loader), the setsockopt client
# built static 64-bit and 32-bit (gcc -m32 -static: no 32-bit libraries to
# carry), selftests/lib.sh, selftests/cases/*.sh and selftests/init as /init.
# $OPTGUARD is the binary (default: optguard in the source tree).
set -eu

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
# each library at the path ldd resolves it to; the loader too
ldd "$OPTGUARD" | awk '/=> \// {print $3} /^\t\// {print $1}' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
"$CC" -O2 -Wall -static "$top/tests/clients/sockopt.c" -o "$root/bin/sockopt"
"$CC" -m32 -O2 -Wall -static "$top/tests/clients/sockopt.c" -o "$root/bin/sockopt32"
cp "$top/selftests/init" "$root/init"
cp "$top/selftests/lib.sh" "$root/selftests/"
cp "$top"/selftests/cases/*.sh "$root/selftests/cases/"
chmod 0755 "$root/init" "$root"/selftests/cases/*.sh
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
