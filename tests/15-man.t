#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The man pages (docs/*.[1-8]) render without a warning: mandoc -T lint
# (style level: long lines, bad dates ...), groff -ww, and no alternating font
# macro gluing a closing punctuation argument to a word (".BR explain ) would
# get:" renders "explain)wouldget:", which neither formatter warns about).
# Needs no root.
. "$(dirname "$0")/lib.sh"

pages=$(ls "$TESTS_DIR"/../docs/*.[1-8])
[ -n "$pages" ] || skip_all "no man page in docs/"

for m in $pages; do
	n=$(basename "$m")
	if command -v mandoc > /dev/null; then
		out=$(mandoc -T lint -W style "$m" 2>&1)
		is "$out" "" "$n: mandoc -T lint -W style says nothing"
	else
		skip "mandoc is not installed (scripts/deps.sh test installs it)" "$n: mandoc -T lint"
	fi
	if command -v groff > /dev/null; then
		out=$(groff -ww -z -man "$m" 2>&1)
		is "$out" "" "$n: groff -ww -z says nothing"
	else
		skip "groff is not installed" "$n: groff -ww"
	fi
	# .BR a ) b c: the arguments are glued, so ")" and "b" run together
	out=$(awk '
	/^\.(BR|RB|IR|RI|BI|IB)[ \t]/ {
		line = substr($0, 5); n = 0
		while (length(line)) {
			sub(/^[ \t]+/, "", line)
			if (line == "")
				break
			if (substr(line, 1, 1) == "\"") {
				m = index(substr(line, 2), "\""); if (!m) m = length(line)
				a[++n] = substr(line, 2, m - 1); line = substr(line, m + 2)
			} else {
				m = match(line, /[ \t]/); if (!m) m = length(line) + 1
				a[++n] = substr(line, 1, m - 1); line = substr(line, m)
			}
		}
		for (i = 1; i < n; i++)
			if (a[i] ~ /[),;.]$/ && a[i + 1] ~ /^[A-Za-z]/)
				printf "line %d: \"%s\" and \"%s\" run together\n", FNR, a[i], a[i + 1]
	}' "$m")
	is "$out" "" "$n: no font macro runs a punctuation argument into a word"
done
done_testing
