#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# From the moment `optguard run` says "enforcing", no call escapes: ten
# starts of a 10k-rule policy (what start-up writes after that line, the idle
# generation, is biggest then), each with a C setsockopt hammer
# (bench/hammer.c) started at once and calling for 0.3 s, and ten reloads
# between two such policies under one hammer.  A call let through is a
# failure, with when it was made.
. "$(dirname "$0")/lib.sh"
require_root
HAMMER=${OUTPUT:-$TESTS_DIR/../.output}/bench/hammer
[ -x "$HAMMER" ] || { echo "1..0 # SKIP no $HAMMER (make test builds it)"; exit 0; }

cg=$(mkcg app)
pin=$OG_PIN
policy() {	# policy FILE ERRNO: deny SO_MARK with ERRNO, plus 9999 uid-scoped rules
	{
		printf '[enforcer]\ncgroup = %s\nlog = none\npin_dir = %s\n' "$cg" "$pin"
		printf '[rule:no-mark]\noption = SO_MARK\naction = deny\nerrno = %s\n' "$2"
		for ((i = 0; i < 9999; i++)); do
			printf '[scope:u%d]\nuid = %d\n[rule:r%d]\nscope = u%d\n' $i $((300000 + i)) $i $i
			printf 'option = SO_PRIORITY\naction = deny\n'
		done
	} > "$1"
}
policy "$T/a.ini" EPERM
policy "$T/b.ini" EACCES

for r in $(seq 1 10); do
	og_start "$T/a.ini" || { echo "Bail out! daemon did not start"; exit 1; }
	out=$("$HAMMER" -c "$cg" -t 0.3)
	og_stop
	like "$out" " allowed=0 " "start $r: no call escapes from \"enforcing\" on ($out)"
done

cp "$T/a.ini" "$T/live.ini"
og_start "$T/live.ini" || { echo "Bail out! daemon did not start"; exit 1; }
"$HAMMER" -c "$cg" -t 120 -s "$T/stop" > "$T/h" &
hp=$!
sleep 0.2
good=0
for r in $(seq 1 10); do
	if [ $((r % 2)) = 1 ]; then cp "$T/b.ini" "$T/live.ini"; else cp "$T/a.ini" "$T/live.ini"; fi
	og_reload && good=$((good + 1))
	sleep 0.05
done
touch "$T/stop"
wait "$hp"
is "$good" 10 "ten reloads answered"
like "$(cat "$T/h")" " allowed=0 .*errnos=1,13$" \
	"ten reloads under a hammer: no call escapes, both errnos seen ($(cat "$T/h"))"
og_stop
done_testing
