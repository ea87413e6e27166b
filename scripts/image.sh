#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The OCI image (`make image`): optguard and exactly the shared libraries it is linked with,
# on an empty base (deploy/image/Containerfile: FROM scratch), built offline with podman.
#
#   scripts/image.sh BINARY NAME        as root; BINARY built with PREFIX=/usr (the Makefile
#                                       does that in its own output directory); tags
#                                       NAME:latest and NAME:<commit> (<commit>-dirty for a
#                                       tree with changes)
#
# The libraries are the ones `ldd BINARY` resolves on this machine, each taken from the
# Debian package that installed it (dpkg says which; a library no package owns is refused),
# with that package's copyright file and a list of the packages and versions in
# /usr/share/doc/optguard-image/packages.  Nothing is downloaded: the base is empty and the
# Containerfile runs nothing (podman build --pull=never --network=none).  The image's
# timestamp is the commit's, so the same tree gives the same image id (a rebuild of an
# unchanged tree is podman's cache: a second or two).
#
# The image's root:
#   /usr/sbin/optguard                  ENTRYPOINT; CMD is `run`
#   /usr/share/optguard/default.ini     the shipped policy (policy/default.ini)
#   /etc/optguard/                      where the DaemonSet mounts its ConfigMap (policy.ini)
#   /etc/passwd, /etc/group             root and nobody: a policy's uid = names resolve here,
#                                       not on the node (use numeric uids for node accounts)
#   /run/optguard, /var/log/optguard, /sys/fs/bpf, /tmp   mount points
set -euo pipefail

log() { echo "image: $*" >&2; }
die() { log "$*"; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BINARY NAME"
BIN=$1
NAME=$2
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || die "needs root (podman's image store is root's)"
[ -x "$BIN" ] || die "$BIN: no such binary"
command -v podman >/dev/null || die "podman is not installed (scripts/deps.sh image)"

STAGE=$(mktemp -d "${TMPDIR:-/var/tmp}/optguard-image.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
R=$STAGE/root
mkdir -p "$R"/usr/sbin "$R"/usr/share/optguard "$R"/usr/share/doc/optguard-image \
	"$R"/etc/optguard "$R"/run/optguard "$R"/var/log/optguard "$R"/sys/fs/bpf "$R"/proc \
	"$R"/dev "$R"/usr/lib "$R"/usr/lib64
install -d -m 1777 "$R"/tmp
# Debian's merged /usr: /lib and /lib64 are links into /usr, as the binary's loader path
# (/lib64/ld-linux-x86-64.so.2) and ldd's /lib/... paths expect
ln -s usr/lib "$R"/lib
ln -s usr/lib64 "$R"/lib64

install -m 0755 -s "$BIN" "$R"/usr/sbin/optguard
install -m 0644 "$TOP"/policy/default.ini "$R"/usr/share/optguard/default.ini
install -m 0644 "$TOP"/docs/optguard.8 "$TOP"/docs/optguard.ini.5 "$R"/usr/share/doc/optguard-image/
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' \
	> "$R"/etc/passwd
printf 'root:x:0:\nnogroup:x:65534:\n' > "$R"/etc/group

# owner PATH: the Debian package that installed PATH (dpkg's database names some libraries
# by their /lib path, some by /usr/lib: merged /usr)
owner() {
	local p=$1 real c
	real=$(readlink -f "$p")
	for c in "$p" "$real" "${real#/usr}" "/usr${p}"; do
		dpkg-query -S "$c" 2>/dev/null | head -1 | cut -d: -f1 && return 0
	done
	return 1
}

pkgs=()
libs=$(ldd "$BIN" | awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]+ \(/ {print $1}')
[ -n "$libs" ] || die "ldd $BIN found no library (a static binary needs no image of this kind)"
for l in $libs; do
	pkg=$(owner "$l") || die "$l: no Debian package owns it (refused: the image holds packaged libraries only)"
	# the file under the canonical directory (/usr/lib/...), with the name ldd asked for
	dir=$(readlink -f "$(dirname "$l")")
	mkdir -p "$R$dir"
	cp -L "$l" "$R$dir/$(basename "$l")"
	pkgs+=("$pkg")
done
for pkg in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
	dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' "$pkg" \
		>> "$R"/usr/share/doc/optguard-image/packages
	if [ -f "/usr/share/doc/${pkg%%:*}/copyright" ]; then
		mkdir -p "$R/usr/share/doc/${pkg%%:*}"
		cp "/usr/share/doc/${pkg%%:*}/copyright" "$R/usr/share/doc/${pkg%%:*}/"
	fi
done
log "libraries from: $(awk '{printf "%s%s %s", sep, $1, $2; sep=", "}' \
	"$R"/usr/share/doc/optguard-image/packages)"

# the binary must start in the root it is given, with nothing of this machine's (a missing
# library fails here, not in a cluster)
out=$(chroot "$R" /usr/sbin/optguard help 2>&1 >/dev/null) ||
	die "optguard does not run in the image's root: $out"

rev=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
ts=$(git -C "$TOP" log -1 --format=%ct 2>/dev/null || echo 0)
if [ -n "$(git -C "$TOP" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	rev=$rev-dirty
	ts=$(date +%s)		# not the commit's tree: not the commit's image either
fi
tags=(--tag "$NAME:latest" --tag "$NAME:$rev")
podman build --quiet --pull=never --network=none --timestamp "$ts" \
	--label org.opencontainers.image.revision="$rev" \
	--label org.opencontainers.image.title=optguard \
	--label org.opencontainers.image.licenses=GPL-2.0-only \
	"${tags[@]}" -f "$TOP"/deploy/image/Containerfile "$R" > "$STAGE/id"
size=$(podman image inspect --format '{{.Size}}' "$NAME:latest")
log "$NAME:latest, $NAME:$rev ($(cut -c1-12 "$STAGE/id")): $((size / 1024)) KiB"
