#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# optguard.service under a real systemd (PID 1 of the guest): the unit as
# `make install` writes it, hardening included, must let the daemon load,
# attach and pin; Type=notify readiness; the dropped capabilities; reload
# with `systemctl reload`; stop leaves the policy enforced; start takes it
# over; a SIGKILL is restarted (Restart=on-failure) with no gap; `optguard
# unload` ends it.  TAP on the console between the markers run-vm.sh reads.
set -u
exec < /dev/null > /dev/console 2>&1
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
echo "OPTGUARD-SELFTEST-BEGIN kernel=$(uname -r) lsm=$(cat /sys/kernel/security/lsm 2>/dev/null) init=$(cat /proc/1/comm)"
mkdir -p /run
echo 0 > /run/selftest.n
. /selftests/lib.sh

app=$(mkcg app)
pol=/etc/optguard/policy.ini
ev=/var/log/optguard/events.jsonl
policy() {	# policy ERRNO: deny SO_MARK from the app cgroup with ERRNO
	cat > "$pol.tmp" <<INI
[enforcer]
cgroup = $app
log = json
log_rate = 0

[rule:deny-mark]
option = SO_MARK
action = deny
errno = $1
INI
	chmod 0644 "$pol.tmp"
	mv "$pol.tmp" "$pol"
}
main_pid() { systemctl show -p MainPID --value optguard.service; }
# until_is SECONDS EXPECTED CMD...: until CMD prints EXPECTED (at most SECONDS)
until_is() {
	local n=$(($1 * 10)) want=$2 got
	shift 2
	while :; do
		got=$("$@" 2>&1)
		[ "$got" = "$want" ] && { echo "$got"; return 0; }
		[ $n -gt 0 ] || { echo "$got"; return 1; }
		n=$((n - 1))
		sleep 0.1
	done
}
finish() {
	echo "1..$(cat /run/selftest.n)"
	echo "OPTGUARD-SELFTEST-END"
	sync
	poweroff -f
	exit 0
}
mark() { in_cg "$app" "$SOCKOPT" 1 36 5; }
eacces="set=-1 errno=13"
eperm="set=-1 errno=1"

mkdir -p /etc/optguard
policy EACCES
check "systemctl start optguard: ready (Type=notify)" timeout 300 systemctl start optguard.service
is "$(systemctl is-active optguard.service)" active "the unit is active"
systemctl status --no-pager optguard.service 2>&1 | sed 's/^/#   /'
if [ "$(systemctl is-active optguard.service)" != active ]; then
	diag "the unit did not start: the rest of this run would only wait for it"
	finish
fi
pid=$(main_pid)
like "$pid" '^[1-9][0-9]*$' "the unit has a main PID"
is "$(awk '/^CapEff/ {print $2}' /proc/"$pid"/status 2>/dev/null)" 0000000000000000 \
	"the running daemon has an empty effective capability set"
is "$(awk '/^CapBnd/ {print $2}' /proc/"$pid"/status 2>/dev/null)" 0000000000000000 \
	"... and an empty bounding set"
is "$(awk '/^NoNewPrivs/ {print $2}' /proc/"$pid"/status 2>/dev/null)" 1 "... and no_new_privs"
is "$(mark)" "$eacces" "the unit's policy is enforced: SO_MARK from the app cgroup, EACCES"
check "the decision is in the unit's LogsDirectory" wait_grep "$ev" '"rule":"deny-mark"'
like "$("$OPTGUARD" status 2>&1)" 'deny-mark' "optguard status (outside the unit) shows the rule"

policy EPERM
check "systemctl reload optguard" timeout 60 systemctl reload optguard.service
is "$(until_is 60 "$eperm" mark)" "$eperm" "after the reload, the new errno (EPERM)"
is "$(main_pid)" "$pid" "the reload kept the daemon"

check "systemctl stop optguard" timeout 120 systemctl stop optguard.service
is "$(systemctl is-active optguard.service)" inactive "the unit is inactive"
is "$(mark)" "$eperm" "stopped: the pinned policy is still enforced"

check "systemctl start optguard again: takes over the pinned policy" \
	timeout 300 systemctl start optguard.service
is "$(mark)" "$eperm" "after the take-over, still enforced"
pid=$(main_pid)
systemctl kill -s KILL optguard.service
is "$(mark)" "$eperm" "SIGKILLed: still enforced"
# Restart=on-failure, RestartSec=2s: a new main process, and active again
restarted() {
	local np
	np=$(main_pid)
	[ -n "$np" ] && [ "$np" != 0 ] && [ "$np" != "$pid" ] &&
		[ "$(systemctl is-active optguard.service)" = active ] && echo restarted
}
is "$(until_is 120 restarted restarted)" restarted \
	"SIGKILLed: systemd restarts the unit, as a new process"
is "$(mark)" "$eperm" "after the restart, still enforced"

check "systemctl stop, then optguard unload" sh -c \
	"timeout 120 systemctl stop optguard.service && '$OPTGUARD' unload > /dev/null"
is "$(mark)" "set=0 get=5" "unloaded: nothing enforced"
is "$(ls /sys/fs/bpf/optguard 2>/dev/null | wc -l)" 0 "unloaded: no pins left"

# --- unit = NAME: a unit's cgroup wherever its slice puts it, across restarts ---
# (enforcer/daemon/bindings.c).  The policy covers the whole host (the units'
# cgroups are in system.slice); each probe waits 0.5 s before its call, past
# the window between the cgroup's mkdir and its keys (optguard(8), BINDINGS).
cat > "$pol" <<INI
[enforcer]
log = json
log_rate = 0

[scope:units]
unit = og-bind.service, og-transient.service

[rule:units-mark]
scope = units
option = SO_MARK
action = deny
errno = EACCES
INI
chmod 0644 "$pol"
mkdir -p /run/systemd/system
cat > /run/systemd/system/og-bind.service <<UNIT
[Service]
ExecStart=/bin/sh -c 'sleep 0.5; $SOCKOPT 1 36 5 > /run/og-bind.out 2>&1; exec sleep 1000'
UNIT
systemctl daemon-reload
check "systemctl start optguard with a unit = scope" timeout 300 systemctl start optguard.service
rm -f /run/og-bind.out
check "systemctl start og-bind.service (after optguard)" timeout 60 systemctl start og-bind.service
is "$(until_is 20 "$eacces" cat /run/og-bind.out)" "$eacces" \
	"unit = og-bind.service: the unit's call is refused (EACCES)"
cg1=$(stat -c %i "$CG2/system.slice/og-bind.service" 2>/dev/null)
rm -f /run/og-bind.out
check "systemctl restart og-bind.service" timeout 60 systemctl restart og-bind.service
cg2=$(stat -c %i "$CG2/system.slice/og-bind.service" 2>/dev/null)
like "$cg1 $cg2" '^[0-9]+ [0-9]+$' "the unit's cgroup ids before and after ($cg1, $cg2)"
is "$([ "$cg1" != "$cg2" ] && echo new)" new "the restart made a new cgroup (a new id)"
is "$(until_is 20 "$eacces" cat /run/og-bind.out)" "$eacces" \
	"after systemctl restart: the unit's rules still apply"
like "$("$OPTGUARD" status 2>&1)" "units +bound +$CG2/system.slice/og-bind.service \(id $cg2," \
	"optguard status: the unit bound to its new cgroup"
if command -v systemd-run > /dev/null; then
	# (no --wait nor --pipe: those need D-Bus, which this guest has not)
	rm -f /run/og-transient.out
	timeout 60 systemd-run --quiet --unit=og-transient \
		/bin/sh -c "sleep 0.5; $SOCKOPT 1 36 5 > /run/og-transient.out 2>&1" 2>&1 |
		sed 's/^/# systemd-run: /'
	is "$(until_is 20 "$eacces" cat /run/og-transient.out)" "$eacces" \
		"a transient systemd-run --unit=og-transient started after optguard gets its rules"
	check "the binding of the transient unit is an event" \
		wait_grep "$ev" '"event":"bind","scope":"units","cgroup":"/system.slice/og-transient.service"'
else
	skip "no systemd-run on this machine" "a transient systemd-run --unit started after optguard"
fi
systemctl stop og-bind.service
check "systemctl stop, then optguard unload (the unit = part)" sh -c \
	"timeout 120 systemctl stop optguard.service && '$OPTGUARD' unload > /dev/null"
finish
