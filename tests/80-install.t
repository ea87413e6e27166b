#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make install / make uninstall with DESTDIR and PREFIX: the files land where
# they should, the unit's ExecStart names the installed binary (without
# DESTDIR), the binary has the final DATADIR compiled in (not the DESTDIR
# one) and finds the installed default policy there, and uninstall removes
# everything install wrote.  Builds in its own output directory, so that the
# tree's build (and the binary under test) stays as it is.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$TESTS_DIR/.." && pwd)
command -v make > /dev/null || skip_all "no make"

root=$T/root
build=$T/build
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SRC" OUTPUT="$build" \
	BIN="$build/optguard" SANITIZE=0 "$@"; }

out=$(mk install DESTDIR="$root" PREFIX=/usr 2>&1)
ok $? "make install DESTDIR=... PREFIX=/usr exits 0" || sed 's/^/#   /' <<< "$out"
files="usr/sbin/optguard usr/share/optguard/default.ini usr/share/man/man8/optguard.8
usr/share/man/man5/optguard.ini.5 usr/lib/systemd/system/optguard.service
usr/share/bash-completion/completions/optguard"
for f in $files; do
	ok "$([ -f "$root/$f" ]; echo $?)" "installed /$f"
done
is "$(stat -c %a "$root/usr/sbin/optguard")" "755" "the binary is 0755"
is "$(stat -c %a "$root/usr/lib/systemd/system/optguard.service")" "644" "the unit is 0644"
is "$(find "$root" -type f | wc -l)" "$(echo $files | wc -w)" "install writes nothing else"
is "$(grep '^ExecStart=' "$root/usr/lib/systemd/system/optguard.service")" \
	"ExecStart=/usr/sbin/optguard run" "the unit's ExecStart names /usr/sbin/optguard"
ok "$(! grep -q '@[A-Z]*@\|'"$root" "$root/usr/lib/systemd/system/optguard.service"; echo $?)" \
	"the unit has no placeholder and no DESTDIR left"
ok "$(grep -aq '/usr/share/optguard' "$root/usr/sbin/optguard" &&
	! grep -aq "$root" "$root/usr/sbin/optguard"; echo $?)" \
	"the binary has /usr/share/optguard compiled in, not the DESTDIR path"
# the installed binary, with the installed tree mounted where it will live
if [ "$(id -u)" -eq 0 ] && command -v unshare > /dev/null; then
	out=$(unshare -m sh -c 'mount --make-rprivate / &&
		mount --bind "$1/usr/share" /usr/share &&
		{ [ ! -d /etc/optguard ] || mount -t tmpfs none /etc/optguard; } &&
		"$1/usr/sbin/optguard" explain --cgroup / SO_MARK' sh "$root" 2>&1)
	like "$out" "policy: +/usr/share/optguard/default.ini" \
		"the installed binary finds the installed default policy"
else
	skip "needs root and unshare" "the installed binary finds the installed default policy"
fi
if command -v groff > /dev/null; then
	out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$root/usr/share/man/man8/optguard.8" \
		"$root/usr/share/man/man5/optguard.ini.5" 2>&1)
	is "$out" "" "the man pages render without a groff warning"
else
	skip "no groff" "the man pages render without a groff warning"
fi
ok "$(bash -n "$root/usr/share/bash-completion/completions/optguard"; echo $?)" \
	"the bash completion parses"

out=$(mk uninstall DESTDIR="$root" PREFIX=/usr 2>&1)
ok $? "make uninstall exits 0"
is "$(find "$root" -type f)" "" "uninstall removes every file install wrote"
ok "$([ ! -e "$root/usr/share/optguard" ]; echo $?)" "... and the empty data directory"

# PREFIX defaults to /usr/local; prefix= (lower case) is honoured too
out=$(mk install DESTDIR="$root" prefix=/opt/og 2>&1) || sed "s/^/#   /" <<< "$out"
ok "$([ -x "$root/opt/og/sbin/optguard" ] &&
	grep -q '^ExecStart=/opt/og/sbin/optguard run$' \
	"$root/opt/og/lib/systemd/system/optguard.service"; echo $?)" \
	"prefix=/opt/og: binary and unit under /opt/og"
mk uninstall DESTDIR="$root" prefix=/opt/og > /dev/null 2>&1
is "$(find "$root" -type f)" "" "uninstall with prefix= removes them again"
done_testing
