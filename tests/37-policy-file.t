#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The policy file and the log file cannot be swapped under the daemon: the policy is checked
# (owner, mode) on the descriptor it is read from, so a symlink an unprivileged user flips in
# a sticky directory during 100 reloads never gets their file loaded; `status` hashes the
# bytes in force, not the file as it is now; a log_file whose directory is a symlink planted
# by an unprivileged user is refused.
. "$(dirname "$0")/lib.sh"
require_root
command -v setpriv > /dev/null || skip_all "no setpriv (util-linux)"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

cg=$(mkcg app)
sticky=$T/sticky
mkdir "$sticky" && chmod 1777 "$sticky"
chmod 0755 "$T"
write_policy() {	# write_policy FILE MODE
	og_policy "$1" "$cg" <<INI
mode = $2

[rule:no-mark]
option = SO_MARK
action = deny
errno = EACCES
INI
}
write_policy "$T/root.ini" enforce
chmod 0644 "$T/root.ini"
# the attacker's own file, in audit mode: loading it would end enforcement
nobody sh -c "umask 022; cat > '$sticky/evil.ini'" < "$T/root.ini"
nobody sed -i 's/^mode = enforce/mode = audit/' "$sticky/evil.ini"
nobody ln -s "$T/root.ini" "$sticky/policy.ini"
is "$(stat -c %U "$sticky/policy.ini")" "nobody" "(the policy path is a symlink nobody owns)"
og_must_start "$sticky/policy.ini"
mark() { client_in "$cg" SO_MARK 5; }
is "$(mark)" "set=-1 errno=EACCES" "enforced"

# the attacker flips the link between root's file and theirs as fast as it can
nobody sh -c "while [ ! -e '$T/stop' ]; do ln -sfn evil.ini '$sticky/l.tmp' && mv -T '$sticky/l.tmp' '$sticky/policy.ini'; ln -sfn '$T/root.ini' '$sticky/l.tmp' && mv -T '$sticky/l.tmp' '$sticky/policy.ini'; done" &
flipper=$!
audit=0
badhash=0
want=$(sha256sum < "$T/root.ini" | cut -d' ' -f1)
for i in $(seq 1 100); do
	og_reload
	st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>/dev/null)
	printf '%s' "$st" | grep -q "^mode: *audit" && audit=$((audit + 1))
	printf '%s' "$st" | grep -q "^sha256: *$want" || badhash=$((badhash + 1))
done
touch "$T/stop"
wait "$flipper"
is "$audit" "0" "100 reloads while the link flips: the unprivileged user's file is never in force"
is "$(mark)" "set=-1 errno=EACCES" "still enforced after the flips"
is "$badhash" "0" "... and status always gave the sha256 of root's file, the one in force"
refused=$(grep -c "owned by uid 65534" "$T/daemon.err")
diag "reloads refused because the link pointed at nobody's file: $refused of 100"

# status: the hash of what was parsed, not of the file now
ln -sfn "$T/root.ini" "$sticky/policy.ini"
og_reload
want=$(sha256sum < "$T/root.ini" | cut -d' ' -f1)
echo "# an edit not reloaded" >> "$T/root.ini"
st=$("$OPTGUARD" status --pin-dir "$OG_PIN" 2>/dev/null)
like "$st" "sha256: *$want" "status: the sha256 of the bytes in force, not of the file edited since"
og_stop

# the log file's directory as a symlink an unprivileged user planted
mkdir "$T/elsewhere"
nobody ln -s "$T/elsewhere" "$sticky/logdir"
write_policy "$T/log.ini" enforce
sed -i "s|^log = none|log = json\nlog_file = $sticky/logdir/events.jsonl|" "$T/log.ini"
out=$(timeout 30 "$OPTGUARD" run --policy "$T/log.ini" 2>&1)
is "$?" "1" "a log_file below a symlink nobody planted: run refuses to start"
like "$out" "'logdir' is a symlink root did not plant" "... and names the symlink ($out)"
[ ! -e "$T/elsewhere/events.jsonl" ]
ok $? "... and writes nothing where the symlink points"
"$OPTGUARD" unload --pin-dir "$OG_PIN" > /dev/null 2>&1
done_testing
