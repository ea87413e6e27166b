#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bad input to the policy parser.  Every file of tests/bad-policies/ is
# refused by `optguard check` with exit 1 and exactly the lines of its
# .expect file on stderr (FILE, @CG@ and @CG2@ stand for the file, a child
# cgroup made here and the cgroup2 mount), then the "N errors" summary.
# Every file of tests/good-policies/ (CRLF, a BOM, comments only, an empty
# file, tabs, inline comments ...) is accepted with exit 0.  Then a running
# daemon is sent SIGHUP for a handful of the bad files: each time it logs the
# errors, stays up, and the policy in force still denies.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg bad)
mkdir -p "$cg/a"
OG=("timeout" "20" "$OPTGUARD")

# inst SRC DST: SRC with the cgroup placeholders filled in (binary-safe copy otherwise)
inst() {
	if grep -aq '@CG' "$1"; then
		sed "s#@CG@#$cg#g; s#@CG2@#$CG2#g" "$1" > "$2"
	else
		cp "$1" "$2"
	fi
}

# expected FILE EXPECT: the stderr `check FILE` must print
expected() {
	local n
	n=$(grep -vc '^FILE:[0-9]*: warning: ' "$2")
	sed "s#@CG@#$cg#g; s#@CG2@#$CG2#g; s#^FILE:#$1:#" "$2"
	[ "$n" -eq 1 ] && echo "$1: 1 error" || echo "$1: $n errors"
}

nbad=0
for f in "$TESTS_DIR"/bad-policies/*.ini; do
	name=$(basename "$f" .ini)
	nbad=$((nbad + 1))
	if [ ! -f "${f%.ini}.expect" ]; then
		ok 1 "$name: has an .expect file"
		continue
	fi
	inst "$f" "$T/$name.ini"
	"${OG[@]}" check "$T/$name.ini" > "$T/out" 2> "$T/err"
	is "$?" "1" "bad $name: exit 1"
	is "$(cat "$T/err")" "$(expected "$T/$name.ini" "${f%.ini}.expect")" \
		"bad $name: the expected FILE:LINE: messages and the count"
	is "$(cat "$T/out")" "" "bad $name: nothing on stdout"
done
ok "$([ "$nbad" -ge 40 ]; echo $?)" "at least 40 bad policies ($nbad)"

ngood=0
for f in "$TESTS_DIR"/good-policies/*.ini; do
	name=$(basename "$f" .ini)
	ngood=$((ngood + 1))
	inst "$f" "$T/$name.ini"
	"${OG[@]}" check "$T/$name.ini" > "$T/out" 2> "$T/err"
	is "$?" "0" "good $name: exit 0"
	like "$(cat "$T/out")" "^$T/$name.ini: ok: " "good $name: the one-line summary"
	# these name no [enforcer] cgroup: check warns that they cover the whole host, and only that
	if grep -q '^[[:space:]]*cgroup[[:space:]]*[=:]' "$T/$name.ini"; then
		is "$(cat "$T/err")" "" "good $name: nothing on stderr"
	else
		is "$(cat "$T/err")" "$T/$name.ini: warning: no cgroup in [enforcer]: the policy applies to every process on the host ($CG2, the cgroup2 mount)" \
			"good $name: nothing on stderr but the warning that it covers the host"
	fi
done
ok "$([ "$ngood" -ge 6 ]; echo $?)" "at least 6 odd but valid policies ($ngood)"

# what the odd files say is read as meant: no '\r' or BOM left in a key or value
for name in crlf utf8-bom bom-crlf; do
	out=$("${OG[@]}" explain --policy "$T/$name.ini" SO_MARK 5 2>&1)
	like "$out" "verdict: +deny with EACCES" "good $name: errno = EACCES read without the CR/BOM"
	like "$out" "mode audit" "good $name: mode = audit read without the CR/BOM"
done
like "$("${OG[@]}" explain --policy "$T/tabs.ini" IP_TOS AF41 2>&1)" "verdict: +allow" \
	"good tabs: except = CS0,<tab>AF41 keeps AF41"
like "$("${OG[@]}" explain --policy "$T/inline-comments.ini" SO_RCVBUF 8M 2>&1)" \
	"verdict: +clamp: 8M -> 4194304" "good inline-comments: max = 4M ; comment is 4M"

# A daemon in force; a reload to each bad file keeps it.
og_policy "$T/p.ini" "$cg" <<INI

[rule:no-mark]
option = SO_MARK
action = deny
INI
cp "$T/p.ini" "$T/good.ini"
if ! og_start "$T/p.ini"; then
	skip "the daemon did not start" "reload to bad policies"
	done_testing
fi
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"daemon: SO_MARK denied before the reloads"
n=0
for name in 01-unknown-section 11-duplicate-rule-name 33-int-overflow 46-conflicting-rules \
	    62-missing-cgroup-dir 71-binary-garbage 72-long-line 73-nul-byte 75-semicolon-in-key; do
	n=$((n + 1))
	inst "$TESTS_DIR/bad-policies/$name.ini" "$T/p.ini"
	og_reload
	wait_grep "$T/daemon.err" "reload: $T/p.ini is not valid: the policy in force stays" "$n"
	ok $? "reload $name: the daemon refuses it"
	first=$(head -1 "$TESTS_DIR/bad-policies/$name.expect" | sed "s#@CG@#$cg#g; s#^FILE:##")
	ok "$(grep -qF -- "$T/p.ini:$first" "$T/daemon.err"; echo $?)" \
		"reload $name: the daemon logs the error ($first)"
	ok "$(kill -0 "$DAEMON_PID" 2>/dev/null; echo $?)" "reload $name: the daemon is still running"
	is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
		"reload $name: SO_MARK is still denied"
done
# and a good file is still taken afterwards: the daemon's reload path works
sed 's/action = deny/action = allow/' "$T/good.ini" > "$T/p.ini"
og_reload
wait_grep "$T/daemon.err" "reloaded $T/p.ini"
ok $? "reload good policy after the bad ones: reloaded"
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" \
	"reload good policy: SO_MARK now allowed"
og_stop
done_testing
