#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bad command lines and unusable policy files: each gives exit 2 (usage) or
# 1 (error), nothing on stdout, and one line that names the problem (check
# adds its "N errors" count; a getopt complaint is followed by the usage).
# tests/10-cli.t covers an unknown command, an unknown explain flag, a
# missing file and a directory for check; this file the rest.
. "$(dirname "$0")/lib.sh"
require_root

OG=("timeout" "10" "$OPTGUARD")

# run_og ARGS...: run optguard, $rc, stdout in $T/out, stderr in $T/err
run_og() {
	"${OG[@]}" "$@" > "$T/out" 2> "$T/err"
	rc=$?
}

# bad NAME STATUS ERE LINES ARGS...: exit STATUS, nothing on stdout, LINES lines on stderr,
# (- : the usage, any length) the first matching ERE
bad() {
	local name=$1 status=$2 ere=$3 lines=$4
	shift 4
	run_og "$@"
	is "$rc" "$status" "$name: exit $status"
	is "$(cat "$T/out")" "" "$name: nothing on stdout"
	[ "$lines" = - ] || is "$(wc -l < "$T/err")" "$lines" "$name: $lines line(s) on stderr"
	like "$(head -1 "$T/err")" "$ere" "$name: the error says what is wrong"
}

cat > "$T/ok.ini" <<INI
[rule:no-mark]
option = SO_MARK
action = deny
INI
mkdir -p "$T/dir.ini"
cp "$T/ok.ini" "$T/secret.ini"
chmod 0600 "$T/secret.ini"
chmod 0755 "$T"		# nobody may look in, not read secret.ini

bad "no command" 2 "^usage: optguard COMMAND" -
bad "a flag for a command" 2 "unknown command '--bogus'" 1 --bogus
bad "check without a file" 2 "^usage: optguard check FILE$" 1 check
bad "check with two files" 2 "^usage: optguard check FILE$" 1 check "$T/ok.ini" "$T/ok.ini"
bad "check with a flag" 2 "^usage: optguard check FILE$" 1 check --verbose
bad "check a directory" 1 "^$T/dir.ini: Is a directory$" 2 check "$T/dir.ini"
like "$(tail -1 "$T/err")" "^$T/dir.ini: 1 error$" "check a directory: the count"
bad "check a file that cannot be read" 1 "^/proc/self/mem: read error: Input/output error$" 2 \
	check /proc/self/mem
if command -v setpriv > /dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$(public_copy "$OPTGUARD")" check \
		"$T/secret.ini" \
		> "$T/out" 2> "$T/err"
	is "$?" "1" "check an unreadable file (as nobody): exit 1"
	is "$(head -1 "$T/err")" "$T/secret.ini: Permission denied" \
		"check an unreadable file (as nobody): says permission denied"
	is "$(wc -l < "$T/err")" "2" "check an unreadable file (as nobody): the error and the count"
else
	skip "no setpriv" "check an unreadable file (as nobody)"
fi
bad "options with an argument" 2 "^usage: optguard options$" 1 options extra
bad "explain without an option" 2 "^usage: optguard explain " 1 explain
bad "explain with an unknown flag" 2 "unrecognized option '--bogus'" 2 explain --bogus SO_MARK
bad "explain an unknown option" 2 "explain: unknown option 'SO_NOPE'" 1 \
	explain --policy "$T/ok.ini" SO_NOPE
bad "explain with an unknown user" 2 "explain: unknown user 'no-such-user-og'" 1 \
	explain --policy "$T/ok.ini" --uid no-such-user-og SO_MARK
bad "explain with a missing policy" 1 "^$T/nosuch.ini: No such file or directory$" 1 \
	explain --policy "$T/nosuch.ini" SO_MARK
bad "explain with a directory as policy" 1 "^$T/dir.ini: Is a directory$" 1 \
	explain --policy "$T/dir.ini" SO_MARK
bad "explain with a relative --cgroup" 1 "--cgroup needs an absolute directory" 1 \
	explain --policy "$T/ok.ini" --cgroup relative/dir SO_MARK
bad "run with an unknown flag" 2 "unrecognized option '--bogus'" 2 run --bogus
bad "run with an extra argument" 2 "unexpected argument 'extra'" 2 run extra
bad "run with a missing policy" 1 "$T/nosuch.ini: No such file or directory$" 1 \
	run --policy "$T/nosuch.ini"
chmod 0755 "$T/dir.ini"
bad "run with a directory as policy" 1 "$T/dir.ini: Is a directory$" 1 \
	run --policy "$T/dir.ini"
done_testing
