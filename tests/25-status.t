#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# `optguard status` from another shell while the daemon runs: the policy and
# its sha256, the hooks (and why cgroup-only), per-rule counters that count
# the real calls; one daemon per pin_dir; a clear error for non-root; and
# nothing left behind (state file, pin) after the daemon stops.
. "$(dirname "$0")/lib.sh"
require_root

cg=$(mkcg app)
pin=$OG_PIN
og_policy "$T/p.ini" "$cg" <<INI

[rule:no-mark]
option = SO_MARK
action = deny

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
max = 64K
INI
# started with a relative path: status shows it absolute
cd "$T" || exit 1
og_must_start p.ini
client_in "$cg" SO_MARK 1 SO_MARK 2 SO_SNDBUF 1048576 \
	SO_SNDBUF 4096 > /dev/null

st=$("$OPTGUARD" status --pin-dir "$pin")
ok $? "status exits 0 while the daemon runs"
inst=$(sed -n 's/^instance //p' "/run/optguard/optguard-test-$$.lock")
like "$inst" "^[0-9a-f]{16}$" "the lock file holds the daemon's instance id (no pid)"
like "$st" "daemon: +instance $inst, answering on its control socket" \
	"status names the daemon's instance, asked on its control socket"
is "$(printf '%s\n' "$st" | sed -n 's/^policy: *//p')" "$T/p.ini" \
	"status names the policy file, absolute (run was given p.ini)"
is "$(printf '%s\n' "$st" | awk '/^sha256:/ {print $2}')" "$(sha256sum < "$T/p.ini" | cut -d' ' -f1)" \
	"status shows the policy's sha256, as sha256sum computes it"
like "$st" "mode: +enforce, default allow" "status shows mode and default"
like "$st" "hooks: +(lsm/socket_setsockopt, )?cgroup/setsockopt$" \
	"status shows the hooks (no force rule: no force program)"
if ! printf '%s\n' "$st" | grep -q "hooks: *lsm/"; then
	like "$st" "cgroup-only: .*32-bit" "cgroup-only: status says why and what is not checked"
fi
is "$(printf '%s\n' "$st" | awk '$1 == "no-mark" {print $2 "/" $3}')" "2/0" \
	"counters: no-mark decided 2 calls (log = none: no events)"
is "$(printf '%s\n' "$st" | awk '$1 == "sndbuf" {print $2}')" "2" "counters: sndbuf decided 2 calls"
is "$(printf '%s\n' "$st" | awk '$1 == "total" {print $2}')" "4" "counters: the total adds up"
is "$(printf '%s\n' "$st" | awk '$1 == "RULE"' | tr -s ' ')" \
	"RULE DECISIONS EVENTS SUPPRESSED DROPPED UNLOGGED" \
	"counters: the columns, UNLOGGED last (decisions = events + suppressed + dropped + unlogged)"
is "$(printf '%s\n' "$st" | awk '$1 == "no-mark" || $1 == "total" {print $6}' | paste -sd/)" "0/0" \
	"counters: nothing unlogged without a force rule"

out=$("$OPTGUARD" run --policy "$T/p.ini" 2>&1)
is "$?" "1" "a second daemon with the same pin_dir refuses to start"
like "$out" "another optguard daemon \(instance $inst\) runs with pin_dir $pin" \
	"... and says which daemon runs"
like "$("$OPTGUARD" status --pin-dir "$pin")" "daemon: +instance $inst," \
	"... and leaves the running daemon's lock: status still sees it run"

out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$(public_copy "$OPTGUARD")" status \
	--pin-dir "$pin" 2>&1)
is "$?" "1" "status as non-root exits 1"
like "$out" "status: needs root" "... with a clear message"

# --prometheus FILE: the counters for node_exporter's textfile collector
mkdir "$T/prom"
out=$("$OPTGUARD" status --pin-dir "$pin" --prometheus "$T/prom/optguard.prom")
ok $? "status --prometheus exits 0"
is "$out" "" "... and prints nothing on stdout"
is "$(ls -A "$T/prom")" "optguard.prom" "... and leaves no temporary file beside it"
is "$(stat -c %a "$T/prom/optguard.prom")" "644" "... readable by node_exporter's user (0644)"
prom=$(cat "$T/prom/optguard.prom")
# every line parses: HELP/TYPE, or a sample whose family was typed before it
out=$(python3 - "$T/prom/optguard.prom" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r"(%s)(?:\{(?:%s)(?:,%s)*\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)$"
                    % (name, label, label))
typed, errs = {}, []
if not text.endswith("\n"):
    errs.append("no newline at the end")
for n, line in enumerate(text.split("\n")[:-1], 1):
    m = re.match(r"# (HELP|TYPE) (%s) (.+)$" % name, line)
    if m:
        if m.group(1) == "TYPE":
            if m.group(2) in typed or m.group(3) not in ("counter", "gauge"):
                errs.append("line %d: TYPE again or unknown: %s" % (n, line))
            typed[m.group(2)] = m.group(3)
        continue
    m = sample.match(line)
    if not m:
        errs.append("line %d does not parse: %r" % (n, line))
    elif m.group(1) not in typed:
        errs.append("line %d: no TYPE before %s" % (n, m.group(1)))
    elif typed[m.group(1)] == "counter" and not m.group(1).endswith("_total"):
        errs.append("line %d: a counter not named *_total" % n)
try:
    from prometheus_client.parser import text_string_to_metric_families
    fams = list(text_string_to_metric_families(text))
    print("# prometheus_client parsed %d families" % len(fams))
except ImportError:
    pass
except Exception as e:
    errs.append("prometheus_client: %s" % e)
print("\n".join(errs) if errs else "ok")
PY
)
is "$(printf '%s\n' "$out" | grep -v '^#')" "ok" "every line of the textfile parses (exposition format)"
like "$prom" 'optguard_rule_decisions_total\{rule="no-mark"\} 2' \
	"textfile: no-mark decided 2 calls"
like "$prom" 'optguard_rule_decisions_total\{rule="sndbuf"\} 2' "textfile: sndbuf decided 2 calls"
like "$prom" 'optguard_rule_events_total\{rule="no-mark"\} 0' \
	"textfile: no events (log = none)"
like "$prom" "# TYPE optguard_rule_decisions_total counter" "textfile: the counters are typed"
like "$prom" 'optguard_rule_forces_unlogged_total\{rule="no-mark"\} 0' \
	"textfile: forces counted and not logged, per rule (none: no force rule)"
like "$prom" "optguard_info\{mode=\"enforce\",default=\"allow\",hooks=\"[^\"]+\",policy=\"$T/p.ini\",policy_sha256=\"$(sha256sum < "$T/p.ini" | cut -d' ' -f1)\"\} 1" \
	"textfile: optguard_info names mode, hooks, policy and its sha256"
like "$prom" "optguard_daemon_running 1" "textfile: the daemon runs"
is "$("$OPTGUARD" status --pin-dir "$pin" --prometheus - | grep -c '^optguard_rule_decisions_total')" \
	"3" "--prometheus - writes to stdout, one sample per rule and (default)"
out=$("$OPTGUARD" status --pin-dir "$pin" --prometheus "$T/nodir/x.prom" 2>&1)
is "$?" "1" "--prometheus into a missing directory exits 1"
like "$out" "status: cannot create a temporary file for $T/nodir/x.prom" "... and says why"

# counters are per rule name and go on counting across reloads: reorder the rules and add
# one in front (positions change), then count one more call
decisions() { "$OPTGUARD" status --pin-dir "$pin" | awk -v r="$1" '$1 == r {print $2}'; }
og_policy "$T/p.ini" "$cg" <<INI

[rule:prio]
option = SO_PRIORITY
action = deny

[rule:sndbuf]
option = SO_SNDBUF
action = clamp
max = 64K

[rule:no-mark]
option = SO_MARK
action = deny
INI
out=$("$OPTGUARD" reload --pin-dir "$pin" 2>&1)
like "$out" "^reloaded: .* sha256 [0-9a-f]{64} in force" "reload with the rules reordered"
client_in "$cg" SO_MARK 3 > /dev/null
is "$(decisions no-mark)/$(decisions sndbuf)/$(decisions prio)" "3/2/0" \
	"after a reload that moved them, each rule's counters go on (no-mark 2+1, sndbuf 2, new prio 0)"
# a rule removed and a new one added: the new one starts at 0, not with the removed one's counts
sed -i 's/^\[rule:no-mark\]$/[rule:mark-deny]/' "$T/p.ini"
"$OPTGUARD" reload --pin-dir "$pin" > /dev/null 2>&1
is "$(decisions mark-deny)/$(decisions no-mark)" "0/" \
	"a renamed rule is a new rule: it starts at 0, the old name is gone from status"
# once more: the new name may take the id no-mark counted 3 under; it still starts at 0
sed -i 's/^\[rule:mark-deny\]$/[rule:mark2]/' "$T/p.ini"
"$OPTGUARD" reload --pin-dir "$pin" > /dev/null 2>&1
is "$(decisions mark2)/$(decisions sndbuf)" "0/2" \
	"a new rule that takes the id of one removed earlier starts at 0"

og_stop
out=$("$OPTGUARD" status --pin-dir "$pin" 2>&1)
is "$?" "1" "status after the daemon stopped exits 1"
like "$out" "no optguard daemon runs with pin_dir $pin" "... saying no daemon runs"
ok "$([ ! -e "$pin" ] && [ ! -e /run/optguard/optguard-test-$$.state ]; echo $?)" \
	"the daemon removed its pin and state file"
ok "$([ ! -e /run/optguard/optguard-test-$$.lock ]; echo $?)" \
	"stop and unload leave no lock file (/run/optguard/optguard-test-$$.lock)"
done_testing
