#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The VM selftests (selftests/run-vm.sh) on one kernel, Debian bookworm's 6.1,
# as part of `make test`: the kernel-level cases in a guest with the BPF LSM
# enabled.  `make selftest` runs every kernel of the matrix.  Skips, saying
# why, when QEMU or the kernel cannot be had (e.g. no network for apt).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the kernel cache is under /var/cache)"
	exit 0
fi
exec "$top/selftests/run-vm.sh" --tap "${OPTGUARD_VM_KERNEL:-6.1}"
