#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages optguard needs to build (build) or to run its
# tests (test), to build and run its OCI image (image), or for the clean-room check
# (cleanroom: scripts/cleanroom.sh), when they are missing and we are root.  Quiet when all
# are there.  A fresh root's package lists may be empty or stale: when apt cannot install,
# the lists are updated and it tries again.
set -eu
build="clang llvm libbpf-dev libelf-dev zlib1g-dev libcap-dev libinih-dev bpftool make gcc"
# libclang-rt-dev: libFuzzer and clang's sanitizer runtimes (make fuzz); groff-base and
# mandoc: the man pages' checks (tests/15-man.t, 80-install.t; a fresh Debian has no groff)
test="$build socat iperf3 python3 gcc-multilib iproute2 perl qemu-system-x86 busybox-static cpio
	tcpdump libclang-rt-dev mandoc groff-base"
case "${1:-build}" in
build) want=$build ;;
test) want=$test ;;
# make image and tests/85-image.t: podman builds the image (its own buildah) and runs it
# with `podman kube play`; catatonit is what podman builds its local pod "pause" image
# from (no registry is asked for one); runc runs containers where crun refuses the cgroup
# layout (cgroup2 not at /sys/fs/cgroup: a hybrid host)
image) want="$build podman catatonit runc" ;;
# mmdebstrap builds the pristine root; git clones the checkout into it
cleanroom) want="mmdebstrap git tar util-linux" ;;
*) echo "usage: $0 build|test|image|cleanroom" >&2; exit 2 ;;
esac
missing=
for p in $want; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if ! apt-get install -y --no-install-recommends $missing >/dev/null 2>"$err"; then
	why=$(grep -m1 '^E:' "$err" || tail -1 "$err")
	echo "deps: apt-get install failed ($why): updating the package lists"
	apt-get update >/dev/null
	apt-get install -y --no-install-recommends $missing >/dev/null
fi
