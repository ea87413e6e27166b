/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's control socket: how `optguard reload`, `status` and `unload`
 * reach the daemon of a pin_dir, in place of a signal to a pid read from a
 * file (a pid means nothing across PID namespaces: in a container the
 * daemon is pid 1).  An AF_UNIX stream socket, OG_RUN_DIR/NAME.sock (state.h),
 * mode 0600, made by the daemon holding the pin_dir's lock.
 *
 * One request per connection: a line "reload", "status", "stop" or
 * "unload"; the answer is every byte the daemon writes until it closes:
 *   "ok\n" and the text (reload: the policy in force and its sha256;
 *   status: the state file's key=value lines, live), or
 *   "refused\n" and why (a reload's FILE:LINE errors), or
 *   "error\n" and why (a request it does not know, a peer that is not root).
 *
 * Every peer is checked with SO_PEERCRED: uid 0 only.  Capabilities are not
 * asked for: nothing a request does goes beyond what uid 0 can do already by
 * a signal (SIGHUP reloads, SIGTERM stops and leaves the policy enforced),
 * and the peer's pid, needed to read its capabilities, is 0 when it lives in
 * another PID namespace.
 */
#ifndef OPTGUARD_CONTROL_H
#define OPTGUARD_CONTROL_H

#include <stddef.h>
#include <sys/types.h>

/* The daemon's side. */
struct og_control {
	int fd;			/* listening; -1 when none */
	char path[512];
};

/*
 * Listen on @path (an earlier daemon's socket file there is replaced: the
 * caller holds the pin_dir's lock).  0 or -errno (logged).
 */
int control_listen(struct og_control *c, const char *path);
/*
 * Accept one connection and read its request line (1 s at most) into @req:
 * the connection's fd (the answer goes there, then close it), or -1 when
 * there is nothing to do (no connection, a peer refused: answered already).
 */
int control_accept(struct og_control *c, char *req, size_t len);
/* Write @status ("ok", "refused", "error") and @text, then close @fd. */
void control_answer(int fd, const char *status, const char *text);
/* Close the socket and remove its file. */
void control_close(struct og_control *c);

/* The CLI's side. */
/*
 * Send @req to the daemon listening on @path and read the whole answer
 * (waiting up to @timeout_ms) into *@answer (malloc'd, NUL-terminated).
 * 0; -ECONNREFUSED or -ENOENT when no daemon listens; -ETIMEDOUT; -errno.
 */
int control_call(const char *path, const char *req, int timeout_ms, char **answer);

#endif
