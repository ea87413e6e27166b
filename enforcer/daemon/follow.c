// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's part of the bindings (bindings.c: which cgroups each scope's
 * selectors name now): the keys follow the cgroups, and the programs follow
 * the enforcer's cgroup.  Hooks of run.c, listed in daemon_int.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"
#include "encode.h"
#include "log.h"

int d_encode_bound(struct daemon *d, const struct og_policy *p, struct og_encoding *enc)
{
	struct og_bind_expand x;
	struct og_bind_table bt;
	int ret;

	ret = d->bind_on ? binder_table(&d->bind, &bt) : bindings_static(p, &bt);
	if (ret)
		return ret;
	ret = bind_expand(p, &bt, &x);
	bindings_free(&bt);
	if (ret)
		return ret;
	ret = policy_encode_bound(p, &x.b, enc);
	bind_expand_free(&x);
	return ret;
}

static void emit_line(void *ctx, const char *line)
{
	struct daemon *d = ctx;

	sink_write(&d->sink, line);
}

void d_bind_report(struct daemon *d)
{
	binder_report(&d->bind, d->sink.kind == OG_LOG_JSON ? OG_LOG_JSON : OG_LOG_TEXT,
		      emit_line, d);
}

/*
 * The keys of the cgroups made or removed, written at once (bindings.c runs
 * it in its thread, under binder_lock()): 0 or -errno.
 */
static int rebind_keys(void *ctx)
{
	struct daemon *d = ctx;
	long long t0 = d_clock_ns(CLOCK_MONOTONIC);
	struct og_encoding enc;
	int ret;

	ret = d_encode_bound(d, d->pol, &enc);
	if (ret)
		return ret;
	ret = og_bpf_rebind(&d->bpf, &enc);
	encoding_free(&enc);
	log_debug("bindings: keys written in %lld us", (d_clock_ns(CLOCK_MONOTONIC) - t0) / 1000);
	return ret;
}

void d_bind_hold(struct daemon *d)
{
	if (d->bind_on && !d->bind_held) {
		binder_lock(&d->bind);
		d->bind_held = true;
	}
}

void d_bind_release(struct daemon *d)
{
	if (d->bind_held) {
		binder_unlock(&d->bind);
		d->bind_held = false;
	}
}

/*
 * The cgroups the selectors name, or the enforcer's cgroup, changed: the
 * keys follow, and the programs follow the enforcer's cgroup.  Cgroups made
 * or removed go key by key into both generations (og_bpf_rebind(): no task
 * was in a new cgroup's id before, none is in a removed one); anything else
 * (a rename, a rescan) is a whole install into the idle generation and a
 * flip, like a reload.  The binder's wake-up fd in the loop (loop.h).
 */
static void follow_bindings(void *ctx, int fd)
{
	struct daemon *d = ctx;
	bool held = d->bind_held;
	unsigned int f;
	int ret;

	(void)fd;
	d_bind_hold(d);
	f = binder_take(&d->bind);
	if (!f)
		goto out;
	if ((f & OG_BIND_CHANGED) && !(f & OG_BIND_KEYS_DONE)) {
		if (d_install(d, d->pol) == 0)
			og_bpf_mirror(&d->bpf);
		else
			log_warnx("bindings: cannot install the keys of the cgroups bound now");
	}
	if (f & OG_BIND_ENF_GONE && !d->bind.enf_id) {
		snprintf(d->st.integrity, sizeof(d->st.integrity), "the enforcer's cgroup %s was "
			 "removed: nothing is attached, nothing is enforced until it is made again",
			 d->pol->cgroup);
		log_warnx("warning: %s", d->st.integrity);
		snprintf(d->hooks, sizeof(d->hooks), "%s%snone on the cgroup (it is gone)",
			 d->bpf.grp[OG_G_LSM].active ? "lsm/socket_setsockopt" : "",
			 d->bpf.grp[OG_G_LSM].active ? ", " : "");
	}
	if (f & OG_BIND_ENF_NEW && d->bind.enf_id) {
		ret = og_bpf_reattach(&d->bpf, d->pol->cgroup);
		if (!ret)
			ret = pins_repin(&d->bpf, d->pin_sub);
		og_bpf_hooks(&d->bpf, d->hooks, sizeof(d->hooks));
		if (ret) {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "the enforcer's cgroup %s "
				 "was made again, but attaching to it failed: %s", d->pol->cgroup,
				 strerror(-ret));
			log_warnx("warning: %s", d->st.integrity);
		} else {
			snprintf(d->st.integrity, sizeof(d->st.integrity), "ok");
			log_info("the enforcer's cgroup %s was made again (id %llu): the programs are "
				 "attached to it", d->pol->cgroup, (unsigned long long)d->bind.enf_id);
			d_verify(d, true);
		}
	}
	d_bind_report(d);
	sink_flush(&d->sink);
	d_write_state(d);
out:
	if (!held)
		d_bind_release(d);
}

void d_bind_begin(struct daemon *d)
{
	/* watches first, then the scan: what is made from here on is seen */
	if (binder_start(&d->bind, d->pol) == 0)
		d->bind.fast = rebind_keys, d->bind.ctx = d;
	if (d->bind.fd < 0)
		log_warnx("warning: the scopes' cgroups are not followed: they stay bound to the "
			  "cgroups there now");
	else
		d->bind_on = true;
}

void d_bind_thread(struct daemon *d)
{
	if (!d->bind_on)
		return;
	/* held until the loop first waits: the rest of the start writes the maps too */
	d_bind_hold(d);
	/*
	 * Only a policy whose scopes name cgroups gets the thread: a second
	 * thread makes every malloc() take its lock (a 10k-rule reload, P6,
	 * some 5% slower); the main loop follows the enforcer's cgroup alone.
	 * The thread drops its capabilities itself.
	 */
	if (!d->bind.nsel)
		log_debug("bindings: no scope names a cgroup: the main loop follows the "
			  "policy's cgroup");
	else if (binder_thread_start(&d->bind, rebind_keys, d))
		log_warnx("warning: bindings: no thread of their own: the main loop follows "
			  "the cgroups");
	else
		log_debug("bindings: a thread of their own, %s", d->bind.how);
	/* a cgroup made or removed wakes the loop like an event */
	if (loop_add(&d->loop, binder_wake_fd(&d->bind), follow_bindings, d, "bindings"))
		log_warnx("warning: bindings: cannot wait for cgroup changes");
}

void d_bind_end(struct daemon *d)
{
	if (d->bind_on)
		binder_free(&d->bind);
}
