#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The command line: `check` of a good policy, of one with many errors (each
# FILE:LINE: message, exact lines), of a missing file and a directory;
# `explain` (winning rule, verdict, default, outside the policy's cgroup);
# `options`; bad command lines (exit 2); `run` refusing a non-root caller, a
# group-writable or foreign-owned policy file and a bad policy; and SIGHUP
# reload of a running daemon, where an invalid file keeps the policy in force.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
inner=$(mkcg app/inner)
other=$(mkcg other)		# a sibling of the policy's cgroup
OG=("timeout" "10" "$OPTGUARD")	# no command here may hang the test

og_policy "$T/good.ini" "$cg" <<INI

[scope:inner]
cgroup = $inner

[scope:nobody]
uid = nobody

[rule:no-mark]
option = SO_MARK
action = deny

[rule:inner-mark]
scope = inner
option = SO_MARK
action = allow

[rule:nobody-prio]
scope = nobody
option = SO_PRIORITY
action = deny
errno = EACCES

[rule:sndbuf]
option = SO_SNDBUF*
action = clamp
min = 8K
max = 64K
INI

# line numbers matter: the test names them
cat > "$T/bad.ini" <<INI
[enforcer]
mode = enforce
cgroup = $cg
colour = blue

[rule:a]
option = SO_NOSUCH
action = deny

[rule:b]
option = TCP_CONGESTION
action = clamp
max = 5

[rule:c]
option = SO_MARK
action = deny
errno = EWHAT

[bogus]
x = 1

[rule:d]
option = SO_PRIORITY
action = clamp
max = lots

[rule:e]
option = SO_MARK
action = allow

[rule:f]
scope = missing
option = SO_RCVLOWAT
action = deny
INI

# --- check ----------------------------------------------------------------------
out=$("${OG[@]}" check "$T/good.ini" 2> "$T/err")
is "$?" "0" "check good policy: exit 0"
is "$(printf '%s\n' "$out" | grep -vc ': note: ')" "1" \
	"check good policy: one summary line on stdout (besides the notes on what bypasses rules)"
like "$(printf '%s\n' "$out" | head -1)" \
	"^$T/good.ini: ok: 4 rules \\(2 deny\\), 2 scopes, mode enforce, default allow, cgroup $cg\$" \
	"check good policy: the summary counts rules and scopes"
is "$(cat "$T/err")" "" "check good policy: nothing on stderr"

out=$("${OG[@]}" check "$T/bad.ini" 2> "$T/err")
is "$?" "1" "check bad policy: exit 1"
is "$out" "" "check bad policy: nothing on stdout"
err=$(cat "$T/err")
like "$err" "^$T/bad.ini:4: unknown key 'colour'" "check bad policy: line 4, unknown key"
like "$err" "^$T/bad.ini:7: unknown option 'SO_NOSUCH'" "check bad policy: line 7, unknown option"
like "$err" "^$T/bad.ini:12: action clamp does not fit TCP_CONGESTION" \
	"check bad policy: line 12, clamp on a string option"
like "$err" "^$T/bad.ini:18: unknown errno 'EWHAT'" "check bad policy: line 18, unknown errno"
like "$err" "^$T/bad.ini:20: unknown section \\[bogus\\]" "check bad policy: line 20, unknown section"
like "$err" "^$T/bad.ini:26: invalid value 'lots'" "check bad policy: line 26, bad value"
like "$err" "^$T/bad.ini:28: rules 'e' and 'c' \\(line 15\\) both decide SO_MARK" \
	"check bad policy: line 28, a second rule for SO_MARK in the same scope"
like "$err" "^$T/bad.ini:33: unknown scope 'missing'" "check bad policy: line 33, unknown scope"
is "$(grep -c "^$T/bad.ini:[0-9]*: " "$T/err")" "8" "check bad policy: all 8 errors reported"

"${OG[@]}" check "$T/nosuch.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "check missing file: exit 1"
is "$(head -1 "$T/err")" "$T/nosuch.ini: No such file or directory" \
	"check missing file: the error names the file and why"
is "$(grep -Evc ': [0-9]+ errors?$' "$T/err")" "1" \
	"check missing file: one error line (besides the count)"
is "$(cat "$T/out")" "" "check missing file: nothing on stdout"
# the README's example policy (the block after "<!-- readme-policy -->") is one check accepts
awk '/<!-- readme-policy -->/ { on = 1; next } on && /^```ini$/ { copy = 1; next }
	copy && /^```$/ { exit } copy { print }' "$TESTS_DIR/../README.md" > "$T/readme.ini"
ok "$([ -s "$T/readme.ini" ]; echo $?)" "README: has a policy example ($(wc -l < "$T/readme.ini") lines)"
out=$("${OG[@]}" check "$T/readme.ini" 2> "$T/err")
is "$?" "0" "README's policy: check accepts it (stderr: $(tr '\n' ' ' < "$T/err"))"
like "$out" ": ok: 4 rules \\(1 deny\\)" "README's policy: 4 rules"
for a in audit deny clamp force; do
	like "$(grep -c "^action = $a\$" "$T/readme.ini")" "^[1-9]" "README's policy: has an $a rule"
done
# ... and, without [enforcer] cgroup, check says it covers the whole host (a warning)
like "$(cat "$T/err")" "^$T/readme.ini: warning: no cgroup in \\[enforcer\\]: the policy applies to every process on the host \\($CG2," \
	"check without [enforcer] cgroup: a warning that the policy covers the whole host"

mkdir "$T/dir.ini"
"${OG[@]}" check "$T/dir.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "check directory: exit 1"
like "$(head -1 "$T/err")" "^$T/dir.ini: [^ ]" "check directory: the error names the file"
is "$(grep -Evc ': [0-9]+ errors?$' "$T/err")" "1" "check directory: one error line (besides the count)"

# --- explain --------------------------------------------------------------------
out=$("${OG[@]}" explain --policy "$T/good.ini" SO_SNDBUF 1048576)
is "$?" "0" "explain clamp: exit 0"
like "$out" "^wins: +rule sndbuf \\($T/good.ini:[0-9]+\\)" "explain clamp: names the winning rule"
like "$out" "^verdict: +clamp: 1048576 -> 65536$" "explain clamp: verdict 1048576 -> 65536"
out=$("${OG[@]}" explain --policy "$T/good.ini" SO_SNDBUF 1K)
like "$out" "^verdict: +clamp: 1K -> 8192$" "explain clamp: a value below min is raised (1K -> 8192)"
out=$("${OG[@]}" explain --policy "$T/good.ini" SO_MARK 5)
like "$out" "^wins: +rule no-mark " "explain deny: the '*' rule wins in the policy's cgroup"
like "$out" "^verdict: +deny with EPERM" "explain deny: verdict deny with EPERM"
out=$("${OG[@]}" explain --policy "$T/good.ini" --cgroup "$inner/leaf" SO_MARK 5)
like "$out" "^wins: +rule inner-mark " "explain nested: the deeper scope's rule wins"
like "$out" "^candidate: rule no-mark " "explain nested: the '*' rule is shown as a candidate"
like "$out" "^verdict: +allow" "explain nested: verdict allow"
out=$("${OG[@]}" explain --policy "$T/good.ini" --uid nobody SO_PRIORITY 3)
like "$out" "^wins: +rule nobody-prio .*matches by uid" "explain --uid: the uid scope's rule wins"
like "$out" "^verdict: +deny with EACCES" "explain --uid: verdict deny with EACCES"
out=$("${OG[@]}" explain --policy "$T/good.ini" --uid 0 SO_PRIORITY 3)
like "$out" "^verdict: +allow \\(no rule matches: default = allow\\)" \
	"explain: no rule matches uid 0: the default decides"
out=$("${OG[@]}" explain --policy "$T/good.ini" SO_KEEPALIVE 1)
like "$out" "^verdict: +allow \\(no rule matches: default = allow\\)" \
	"explain: an option without a rule gets the default"
out=$("${OG[@]}" explain --policy "$T/good.ini" --cgroup "$other" SO_MARK 5)
is "$?" "0" "explain outside: exit 0"
like "$out" "^verdict: +not checked: $other is outside the policy's cgroup $cg" \
	"explain outside: says the cgroup is outside the policy's"

# --- options --------------------------------------------------------------------
out=$("${OG[@]}" options)
is "$?" "0" "options: exit 0"
like "$out" "^SO_MARK +SOL_SOCKET +36 " "options: SO_MARK, SOL_SOCKET, 36"
like "$out" "^TCP_CONGESTION +IPPROTO_TCP +13 +string " "options: TCP_CONGESTION, IPPROTO_TCP, 13, string"
like "$out" "^IP_TOS +IPPROTO_IP +1 " "options: IP_TOS, IPPROTO_IP, 1"
n=$(printf '%s\n' "$out" | grep -cE '^[A-Z][A-Z0-9_]+ +(SOL_SOCKET|IPPROTO_[A-Z0-9]+) +[0-9]+ ')
ok "$([ "$n" -ge 40 ]; echo $?)" "options: at least 40 options listed ($n)"

# --- bad command lines ----------------------------------------------------------
"${OG[@]}" frobnicate > "$T/out" 2> "$T/err"
is "$?" "2" "unknown command: exit 2"
is "$(wc -l < "$T/err")" "1" "unknown command: one line on stderr"
like "$(cat "$T/err")" "unknown command 'frobnicate'" "unknown command: the error names it"
"${OG[@]}" explain --bogus SO_MARK > "$T/out" 2> "$T/err"
is "$?" "2" "unknown flag: exit 2"
like "$(head -1 "$T/err")" "unrecognized option '--bogus'" "unknown flag: the first line names it"
is "$(cat "$T/out")" "" "unknown flag: nothing on stdout"

# --- run refuses ----------------------------------------------------------------
if command -v setpriv > /dev/null; then
	# a copy uid 65534 can reach wherever the checkout is: it must hear "must be run as
	# root", not the shell's "Permission denied" (exit 126) for a binary in /root
	setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$(public_copy "$OPTGUARD")" \
		run --policy "$T/good.ini" > "$T/out" 2> "$T/err"
	is "$?" "1" "run as non-root (uid 65534): exit 1"
	like "$(cat "$T/err")" "must be run as root" "run as non-root: says it must be run as root"
else
	skip "no setpriv" "run as non-root: exit 1"
	skip "no setpriv" "run as non-root: message"
fi
cp "$T/good.ini" "$T/gw.ini"
chmod 664 "$T/gw.ini"
"${OG[@]}" run --policy "$T/gw.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "run with a group-writable policy file: refused, exit 1"
like "$(cat "$T/err")" "$T/gw.ini: writable by group or others \\(mode 0664\\): refusing it \\(--insecure-policy takes it\\)" \
	"run with a group-writable policy file: says why, and names --insecure-policy"
cp "$T/good.ini" "$T/foreign.ini"
chown 65534 "$T/foreign.ini"
"${OG[@]}" run --policy "$T/foreign.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "run with a policy file not owned by root: refused, exit 1"
like "$(cat "$T/err")" "$T/foreign.ini: owned by uid 65534, not root: refusing it \\(--insecure-policy takes it\\)" \
	"run with a policy file not owned by root: says why, and names --insecure-policy"
"${OG[@]}" run --policy "$T/bad.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "run --policy BAD: exit 1"
like "$(cat "$T/err")" "^$T/bad.ini:7: unknown option 'SO_NOSUCH'" "run --policy BAD: prints FILE:LINE errors"
# refused after taking the lock (lsm = require where BPF LSM does not load: the host)
sed 's/^log = none$/log = none\nlsm = require/' "$T/good.ini" > "$T/require.ini"
"${OG[@]}" run --policy "$T/require.ini" > "$T/out" 2> "$T/err"
if [ $? -eq 1 ] && grep -q "lsm = require, but" "$T/err"; then
	ok "$([ ! -e /run/optguard/optguard-test-$$.lock ]; echo $?)" \
		"run refused after it took the lock (lsm = require): no lock file left"
else
	skip "BPF LSM loads here: lsm = require does not refuse" "a refused run leaves no lock file"
	"$OPTGUARD" unload --pin-dir "$OG_PIN" > /dev/null 2>&1
fi
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" \
	"after the refused runs nothing is enforced"

# --- reload (SIGHUP, optguard reload) -------------------------------------------
pol="$T/reload.ini"
og_policy "$pol" "$cg" <<INI

[rule:mark]
option = SO_MARK
action = deny
INI
og_must_start "$pol"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"reload: before, the deny rule is in force"

# run with a policy without [enforcer] cgroup warns that it covers the whole host (this one
# is then refused: the pin_dir's daemon runs, so it never attaches to the cgroup2 root)
printf '[enforcer]\npin_dir = %s\nlog = none\n' "$OG_PIN" > "$T/host.ini"
"${OG[@]}" run --policy "$T/host.ini" > "$T/out" 2> "$T/err"
is "$?" "1" "run without [enforcer] cgroup, a daemon already runs: refused"
like "$(cat "$T/err")" "^$T/host.ini: warning: no cgroup in \\[enforcer\\]: the policy applies to every process on the host" \
	"run without [enforcer] cgroup: warns that the policy covers the whole host"
ok "$([ -e /run/optguard/optguard-test-$$.lock ] && kill -0 "$DAEMON_PID"; echo $?)" \
	"the refused second run leaves the running daemon's lock"

# an invalid file (line 7: bad action): the policy in force stays
og_policy "$pol" "$cg" <<INI

[rule:mark]
option = SO_MARK
action = permit
INI
og_reload
wait_grep "$T/daemon.err" "the policy in force stays"
like "$(cat "$T/daemon.err")" "^$pol:8: .*permit" "reload invalid: the daemon's stderr has the FILE:LINE error"
like "$(cat "$T/daemon.err")" "reload: $pol is not valid: the policy in force stays" \
	"reload invalid: says the policy in force stays"
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"reload invalid: SO_MARK is still denied"
kill -0 "$DAEMON_PID" 2>/dev/null
ok $? "reload invalid: the daemon keeps running"

# a valid file, the rule changed from deny to allow
sed -i 's/^action = permit$/action = allow/' "$pol"
og_reload
wait_grep "$T/daemon.err" "reloaded $pol"
like "$(cat "$T/daemon.err")" "reloaded $pol \\(1 rules?, mode enforce\\)" \
	"reload valid: the daemon says it reloaded"
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" \
	"reload valid: the deny became allow, SO_MARK goes through"

# and back to deny
sed -i 's/^action = allow$/action = deny/' "$pol"
og_reload
wait_grep "$T/daemon.err" "reloaded $pol" 2
is "$(client_in "$cg" SO_MARK 5)" "set=-1 errno=EPERM" \
	"reload valid again: SO_MARK is denied again"

# a reload writes only what changed into the idle generation: keys added, removed, changed,
# over both generations in turn
printf '\n[rule:prio]\noption = SO_PRIORITY\naction = deny\nerrno = EACCES\n' >> "$pol"
og_reload
wait_grep "$T/daemon.err" "reloaded $pol" 3
is "$(client_in "$cg" SO_MARK 5)/$(client_in "$cg" SO_PRIORITY 3)" \
	"set=-1 errno=EPERM/set=-1 errno=EACCES" "reload adding a rule: both rules in force"
sed -i '/^\[rule:mark\]$/,/^action = deny$/d' "$pol"
og_reload
wait_grep "$T/daemon.err" "reloaded $pol" 4
is "$(client_in "$cg" SO_MARK 5)/$(client_in "$cg" SO_PRIORITY 3)" \
	"set=0 get=5/set=-1 errno=EACCES" "reload removing a rule: its key is gone, the other stays"
sed -i 's/^errno = EACCES$/errno = EPERM/' "$pol"
og_reload
wait_grep "$T/daemon.err" "reloaded $pol" 5
is "$(client_in "$cg" SO_MARK 5)/$(client_in "$cg" SO_PRIORITY 3)" \
	"set=0 get=5/set=-1 errno=EPERM" "reload changing a rule's errno: the new one in force"

# optguard reload: --policy names the daemon's own file (any path to it) or is refused; a
# refusal by the daemon comes back to the caller with the daemon's FILE:LINE reasons
cp "$pol" "$T/other.ini"
sed -i 's/^errno = EPERM$/errno = EACCES/' "$T/other.ini"
out=$("${OG[@]}" reload --pin-dir "$OG_PIN" --policy "$T/other.ini" 2>&1)
is "$?" "1" "reload --policy OTHER (not the daemon's file): refused, exit 1"
like "$out" "reload: $T/other.ini is not the policy file the daemon runs \\($pol\\)" \
	"reload --policy OTHER: says it is not the daemon's file, and names the daemon's"
is "$(client_in "$cg" SO_PRIORITY 3)" "set=-1 errno=EPERM" \
	"reload --policy OTHER: the daemon was not asked, its policy stays"
ln -s "$pol" "$T/link.ini"
out=$("${OG[@]}" reload --pin-dir "$OG_PIN" --policy "$T/link.ini" 2>&1)
is "$?" "0" "reload --policy LINK (a symlink to the daemon's file): exit 0"
like "$out" "^reloaded: $pol sha256 [0-9a-f]{64} in force \\([0-9]+ rules, mode (enforce|audit)\\)$" \
	"reload --policy LINK: in force, the daemon names the file and its sha256"
printf '\n[rule:bad]\noption = SO_RCVLOWAT\naction = permit\n' >> "$pol"
badline=$(grep -n '^action = permit$' "$pol" | cut -d: -f1)
out=$("${OG[@]}" reload --pin-dir "$OG_PIN" 2> "$T/err")
is "$?" "1" "reload of an invalid file (no --policy): exit 1"
like "$(cat "$T/err")" "^$pol:$badline: .*permit" \
	"reload refused by the daemon: the caller gets its FILE:LINE reason"
like "$(cat "$T/err")" "reload: the daemon kept the policy in force" \
	"reload refused by the daemon: the caller is told the policy in force stays"
is "$(client_in "$cg" SO_PRIORITY 3)" "set=-1 errno=EPERM" \
	"reload refused: the policy in force stays"

og_stop
is "$(client_in "$cg" SO_MARK 5)" "set=0 get=5" \
	"after the daemon stops, nothing stays attached"
done_testing
