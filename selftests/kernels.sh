#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetch the Debian kernels the VM selftests boot, through a private apt
# configuration, and print where their vmlinuz is.
#
#   selftests/kernels.sh [NAME...]     NAME: 5.10 6.1 6.12 6.18 7.x (default: all)
#
# Prints one line per NAME on stdout:
#   NAME PATH-TO-VMLINUZ PACKAGE VERSION      or
#   NAME - SKIP REASON
# (progress and apt's complaints go to stderr).  Exit 0 unless the setup itself
# is broken; a kernel that cannot be had is a SKIP line with the reason.
#
# The private apt state (sources list, lists, package cache, downloaded .debs,
# unpacked kernels) lives under $OPTGUARD_SELFTEST_CACHE (default
# /var/cache/optguard-selftests) and survives between runs; the system's apt
# state is not touched.  The archive URIs are read at run time from the
# machine's own apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/
# *.list and *.sources): the stanza serving the host's own release gives the
# Debian archive, the one serving "<release>-security" the security archive.
# No mirror is named in this file.
#
# Matrix: the newest linux-image-*-cloud-amd64 (else -amd64) of a series from
# its suites.  Newer Debian kernels ship vmlinuz in linux-binary-* packages
# (linux-image-* is then a small metapackage depending on it): both are handled.
set -eu

CACHE=${OPTGUARD_SELFTEST_CACHE:-/var/cache/optguard-selftests}
APTDIR=$CACHE/apt
KDIR=$CACHE/kernels
# Refresh the package lists when they are older than this many minutes.
LISTS_MAX_AGE=${OPTGUARD_SELFTEST_LISTS_MAX_AGE:-720}

log() { echo "kernels: $*" >&2; }

# name -> "suites|series-regex"
matrix_entry() {
	case "$1" in
	5.10) echo "bullseye bullseye-updates bullseye-security|5\\.10\\." ;;
	6.1) echo "bookworm bookworm-updates bookworm-security|6\\.1\\." ;;
	6.12) echo "trixie trixie-updates trixie-security|6\\.12\\." ;;
	6.18) echo "trixie-backports|6\\.18\\." ;;
	7.x) echo "trixie-backports|7\\." ;;
	*) return 1 ;;
	esac
}

# --- the machine's apt sources -----------------------------------------------

# Print "suite uri signed-by" for every deb source of the machine (one-line
# and deb822 formats).  signed-by is "-" when the source names none.
host_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '
		$1 != "deb" { next }
		{
			i = 2; sb = "-"
			if ($2 ~ /^\[/) {
				while (i <= NF) {
					if ($i ~ /signed-by=/) { sb = $i; sub(/.*signed-by=/, "", sb); sub(/\]$/, "", sb) }
					if ($i ~ /\]$/) { i++; break }
					i++
				}
			}
			print $(i + 1), $i, sb
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (u in uris) for (s in suites) print s, u, sb
			delete uris; delete suites; types = ""; sb = "-"; enabled = ""
		}
		BEGIN { sb = "-" }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[A-Za-z-]+:/ {
			key = tolower($1); sub(/:$/, "", key); $1 = ""; val = $0
			gsub(/^[ \t]+|[ \t]+$/, "", val)
			if (key == "types") types = val
			else if (key == "enabled") enabled = tolower(val)
			else if (key == "signed-by") sb = val
			else if (key == "uris") { n = split(val, a, /[ \t]+/); for (j = 1; j <= n; j++) uris[a[j]] = 1 }
			else if (key == "suites") { n = split(val, a, /[ \t]+/); for (j = 1; j <= n; j++) suites[a[j]] = 1 }
		}
		END { flush() }' "$f"
	done
}

# Sets ARCHIVE_URI, SECURITY_URI, KEYRING from the machine's sources.
derive_uris() {
	local rel suite uri sb
	rel=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$rel" ] || { log "no VERSION_CODENAME in /etc/os-release"; return 1; }
	ARCHIVE_URI=""
	SECURITY_URI=""
	KEYRING=""
	while read -r suite uri sb; do
		case "$suite" in
		"$rel")
			[ -n "$ARCHIVE_URI" ] || ARCHIVE_URI=${uri%/}
			[ "$sb" = - ] || [ -n "$KEYRING" ] || KEYRING=$sb ;;
		"$rel-security" | "$rel/updates")
			[ -n "$SECURITY_URI" ] || SECURITY_URI=${uri%/} ;;
		esac
	done < <(host_sources)
	[ -n "$ARCHIVE_URI" ] || { log "no apt source of this machine serves '$rel'"; return 1; }
	# A keyring given inline (a key block) cannot be reused: fall back to the
	# keyring package's file.
	case "$KEYRING" in
	/*) ;;
	*) KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg ;;
	esac
	[ -r "$KEYRING" ] || { log "keyring $KEYRING not readable"; return 1; }
}

# --- the private apt configuration -------------------------------------------

# apt_opts NAME: the options that confine apt to $APTDIR/NAME
apt_opts() {
	local d=$APTDIR/$1
	APT_OPTS=(-c "$APTDIR/apt.conf"
		-o "Dir::Etc::SourceList=$d/sources.list"
		-o "Dir::Etc::SourceParts=/dev/null"
		-o "Dir::State::Lists=$d/lists"
		-o "Dir::State::status=$APTDIR/status"
		-o "Dir::Cache=$d/cache"
		-o "Dir::Cache::pkgcache=$d/cache/pkgcache.bin"
		-o "Dir::Cache::srcpkgcache=$d/cache/srcpkgcache.bin"
		-o "Dir::Cache::Archives=$APTDIR/archives"
		-o "Dir::Etc::Preferences=/dev/null"
		-o "Dir::Etc::PreferencesParts=/dev/null"
		-o "APT::Architecture=amd64"
		-o "APT::Architectures=amd64"
		-o "Acquire::Languages=none")
}

setup_apt() {	# setup_apt NAME SUITES...
	local name=$1 d s
	shift
	d=$APTDIR/$name
	mkdir -p "$d/lists/partial" "$d/cache" "$APTDIR/archives/partial"
	# apt downloads as _apt: let it write there (else it warns and runs
	# unsandboxed)
	if id _apt >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
		chown _apt "$APTDIR/archives" "$APTDIR/archives/partial"
	fi
	[ -e "$APTDIR/status" ] || : > "$APTDIR/status"
	# Hooks of the system's configuration (e.g. a PackageKit or AppStream
	# refresh after an update) are about the system's apt state: not ours.
	cat > "$APTDIR/apt.conf" <<-'EOF'
	#clear APT::Update::Post-Invoke;
	#clear APT::Update::Post-Invoke-Success;
	#clear APT::Update::Pre-Invoke;
	#clear DPkg::Post-Invoke;
	#clear DPkg::Pre-Invoke;
	EOF
	: > "$d/sources.list.new"
	for s in "$@"; do
		case "$s" in
		*-security)
			[ -n "$SECURITY_URI" ] || continue
			echo "deb [signed-by=$KEYRING] $SECURITY_URI $s main" ;;
		*) echo "deb [signed-by=$KEYRING] $ARCHIVE_URI $s main" ;;
		esac
	done >> "$d/sources.list.new"
	if cmp -s "$d/sources.list.new" "$d/sources.list" 2>/dev/null &&
		[ -n "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mmin -"$LISTS_MAX_AGE" 2>/dev/null)" ]; then
		rm -f "$d/sources.list.new"
		return 0
	fi
	mv "$d/sources.list.new" "$d/sources.list"
	apt_opts "$name"
	log "apt-get update ($*)"
	# apt-get update exits 0 when only some sources fail (e.g. a suite gone
	# from the archive, or a signature it cannot verify): print its warnings,
	# the caller sees a missing suite as no candidate kernel.
	apt-get "${APT_OPTS[@]}" -q update 2> "$d/update.err" >/dev/null || true
	sed 's/^/kernels:   apt: /' "$d/update.err" >&2
}

# update_error NAME: apt's first complaint of the last update (a failed
# fetch, an unverifiable signature), its URIs elided
update_error() {
	grep -hE 'Failed to fetch|NO_PUBKEY|EXPKEYSIG|not signed|signature|Could not resolve' 		"$APTDIR/$1/update.err" 2>/dev/null | head -1 |
		sed -e 's|[a-z]*://[^ ]*|<uri>|g' -e 's/[[:space:]]*$//' || true
}

# newest_kernel NAME REGEX: print "package version" of the newest flavour image
newest_kernel() {
	local name=$1 re=$2 flavour pkg
	apt_opts "$name"
	for flavour in cloud-amd64 amd64; do
		pkg=$(apt-cache "${APT_OPTS[@]}" pkgnames linux-image- 2>/dev/null |
			grep -E "^linux-image-${re}[0-9A-Za-z.+~-]*-${flavour}\$" |
			{ if [ "$flavour" = amd64 ]; then grep -vE -- '-(rt|cloud)-amd64$'; else cat; fi; } |
			sort -V | tail -1 || true)
		[ -n "$pkg" ] || continue
		echo "$pkg $(apt-cache "${APT_OPTS[@]}" show --no-all-versions "$pkg" 2>/dev/null |
			awk '/^Version:/ {print $2; exit}')"
		return 0
	done
	return 1
}

# The package that holds boot/vmlinuz: the image itself, or the linux-binary-*
# it depends on.
vmlinuz_package() {
	local name=$1 pkg=$2 dep
	apt_opts "$name"
	dep=$(apt-cache "${APT_OPTS[@]}" depends "$pkg" 2>/dev/null |
		awk '$1 ~ /Depends:/ && $2 ~ /^linux-binary-/ {print $2; exit}')
	echo "${dep:-$pkg}"
}

fetch() {	# fetch NAME: print the result line for NAME
	local name=$1 ent suites re pv pkg ver bpkg deb out vmlinuz f
	ent=$(matrix_entry "$name") || { echo "$name - SKIP unknown kernel name"; return 0; }
	suites=${ent%|*}
	re=${ent#*|}
	# shellcheck disable=SC2086
	setup_apt "$(echo "$suites" | cut -d' ' -f1)" $suites
	if ! pv=$(newest_kernel "$(echo "$suites" | cut -d' ' -f1)" "$re"); then
		f=$(update_error "$(echo "$suites" | cut -d' ' -f1)")
		echo "$name - SKIP no linux-image-${re//\\/}*-amd64 in $suites${f:+ (apt-get update: $f)}"
		return 0
	fi
	pkg=${pv% *}
	ver=${pv#* }
	out=$KDIR/$pkg-$ver
	vmlinuz=$out/vmlinuz
	if [ ! -s "$vmlinuz" ]; then
		bpkg=$(vmlinuz_package "$(echo "$suites" | cut -d' ' -f1)" "$pkg")
		apt_opts "$(echo "$suites" | cut -d' ' -f1)"
		log "downloading $bpkg (for $pkg $ver)"
		rm -rf "$out" "$out.tmp"
		mkdir -p "$out.tmp"
		if ! (cd "$APTDIR/archives" && apt-get "${APT_OPTS[@]}" -qq download "$bpkg" >&2); then
			echo "$name - SKIP apt-get download $bpkg failed"
			return 0
		fi
		deb=$(ls -t "$APTDIR/archives/${bpkg}"_*.deb | head -1)
		dpkg -x "$deb" "$out.tmp/root"
		rm -f "$deb"
		# Keep the kernel and its config only: everything the tests need is
		# built in (checked for CONFIG_BPF_LSM, CGROUP_BPF, SECURITYFS,
		# DEVTMPFS, IA32_EMULATION, SERIAL_8250_CONSOLE, RD_GZIP).  The image
		# is boot/vmlinuz-* in older packages, usr/lib/modules/*/vmlinuz in
		# the linux-binary-* ones.
		f=$(ls "$out.tmp"/root/boot/vmlinuz-* "$out.tmp"/root/usr/lib/modules/*/vmlinuz 2>/dev/null | head -1 || true)
		[ -n "$f" ] || { rm -rf "$out.tmp"; echo "$name - SKIP no vmlinuz in $bpkg"; return 0; }
		mv "$f" "$out.tmp/vmlinuz"
		f=$(ls "$out.tmp"/root/boot/config-* "$out.tmp"/root/usr/lib/modules/*/config 2>/dev/null | head -1 || true)
		[ -z "$f" ] || mv "$f" "$out.tmp/config"
		rm -rf "$out.tmp/root"
		mv "$out.tmp" "$out"
		# older kernels of the series are not booted any more
		for f in "$KDIR/linux-image-${re//\\/}"*; do
			[ "$f" = "$out" ] || [ ! -d "$f" ] || { log "removing $(basename "$f")"; rm -rf "$f"; }
		done
	fi
	echo "$name $vmlinuz $pkg $ver"
}

mkdir -p "$APTDIR" "$KDIR"
derive_uris
log "URIs from the machine's apt sources: archive ${ARCHIVE_URI:+found}, security $([ -n "$SECURITY_URI" ] && echo found || echo none)"
[ $# -gt 0 ] || set -- 5.10 6.1 6.12 6.18 7.x
for n in "$@"; do
	fetch "$n"
done
