#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# optguard.service under a real systemd: a guest (Debian bookworm's 6.1,
# BPF LSM on) whose PID 1 is this machine's systemd runs
# selftests/systemd/run.sh: the unit as `make install` writes it, hardening
# included, started, reloaded, stopped, taken over, SIGKILLed and restarted
# with systemctl (selftests/run-vm.sh --systemd).  Skips, saying why, when
# QEMU, systemd or the kernel cannot be had.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the kernel cache is under /var/cache)"
	exit 0
fi
exec "$top/selftests/run-vm.sh" --systemd --tap "${OPTGUARD_VM_KERNEL:-6.1}"
