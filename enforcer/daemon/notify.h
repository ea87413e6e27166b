/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * systemd notification (sd_notify(3) protocol, without libsystemd): one
 * datagram per state ("READY=1\nSTATUS=...", "RELOADING=1\nMONOTONIC_USEC=...",
 * "STOPPING=1") to the AF_UNIX socket named by
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
/*
 * A reload begins: RELOADING=1 and MONOTONIC_USEC= (CLOCK_MONOTONIC, as
 * systemd's Type=notify-reload wants it); the reload ends with
 * notify_ready(), whether the new policy went in force or the old stayed.
 */
int notify_reloading(void);
/* The daemon stops: STOPPING=1. */
int notify_stopping(void);

#endif
