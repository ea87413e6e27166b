/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * systemd readiness (sd_notify(3) protocol, without libsystemd): one
 * datagram "READY=1\nSTATUS=..." to the AF_UNIX socket named by
 * $NOTIFY_SOCKET (a path, or an abstract name written with a leading '@').
 * A no-op when NOTIFY_SOCKET is unset, i.e. when not run by systemd as a
 * Type=notify service.
 */
#ifndef OPTGUARD_NOTIFY_H
#define OPTGUARD_NOTIFY_H

/*
 * Send READY=1 and, if @status is not NULL, STATUS=@status (its newlines
 * replaced by spaces).  0, or -errno (logged) when the message could not be
 * sent; the daemon goes on either way.
 */
int notify_ready(const char *status);

#endif
