#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A policy of 100k rules written plainly (a scope per uid and a rule each, as
# bench/README.md P1 loads; ~10 MB, more than the 4 MiB an earlier version
# took) passes check and loads through `optguard run`, and its rules are
# enforced; a file above the limit (64 MiB, optguard.ini(5)) is refused
# with an error that names the file, its size and the limit.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
n=100000
{
	printf '[enforcer]\ncgroup = %s\npin_dir = %s\nlog = none\n' "$cg" "$OG_PIN"
	awk -v n=$n 'BEGIN { for (i = 0; i < n; i++)
		printf "[scope:u%d]\nuid = %d\n[rule:r%d]\nscope = u%d\noption = SO_PRIORITY\n" \
			"action = deny\nerrno = EACCES\n", i, 200000 + i, i, i }'
} > "$T/big.ini"
size=$(stat -c %s "$T/big.ini")
ok "$([ "$size" -gt $((4 << 20)) ]; echo $?)" "the 100k-rule policy is larger than 4 MiB ($size bytes)"

out=$(timeout 120 "$OPTGUARD" check "$T/big.ini" 2>&1)
is "$?" "0" "check takes the 100k-rule policy"
like "$out" ": ok: $n rules \\($n deny\\), $n scopes" "check counts its $n rules"

t0=$(date +%s%N)
og_start "$T/big.ini"
ok $? "optguard run loads the 100k-rule policy ($((($(date +%s%N) - t0) / 1000000)) ms to enforcing)"
if [ -n "$DAEMON_PID" ]; then
	# (a copy uid 200777 can read wherever the checkout lives: /root is 0700)
	client200777=$(public_copy "$TESTS_DIR/clients/sockopt.py")
	is "$(in_cg "$cg" setpriv --reuid=200777 --regid=200777 --clear-groups \
		/usr/bin/python3 "$client200777" SO_PRIORITY 3)" "set=-1 errno=EACCES" \
		"rule r777 denies SO_PRIORITY to uid 200777 (EACCES)"
	is "$(client_in "$cg" SO_PRIORITY 3)" "set=0 get=3" \
		"uid 0 has no rule: SO_PRIORITY goes through"
else
	skip "the daemon did not start" "rule r777 denies SO_PRIORITY"
	skip "the daemon did not start" "uid 0 goes through"
fi
og_stop

# above the limit: refused at once, the error names the file, its size and the limit
truncate -s $(((64 << 20) + 1)) "$T/huge.ini"
out=$(timeout 60 "$OPTGUARD" check "$T/huge.ini" 2>&1)
is "$?" "1" "check of a policy above 64 MiB: exit 1"
like "$out" "^$T/huge.ini: file too large: $(((64 << 20) + 1)) bytes, the limit is 64 MiB" \
	"the error names the file, its size and the limit"
done_testing
