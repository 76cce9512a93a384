/*
 * log.h — the only writer of mond's log lines (after OpenSMTPD's log.c).
 *
 * In the foreground lines go to stderr ("mond: " prefix, no timestamp:
 * whoever captures stderr adds one); otherwise to syslog with the
 * configured facility.  Every function preserves errno.  log_warn()
 * appends ": strerror(errno)", log_warnx() does not; fatal()/fatalx()
 * log like them and exit(1).  log_debug() prints only after
 * log_set_debug(true).
 */
#ifndef MOND_LOG_H
#define MOND_LOG_H

#include <stdbool.h>

/* Start logging.  facility is a syslog facility name ("daemon", "local0"
 * ... "local7", "user", ...); NULL means "daemon".  Returns 0, or -1 with
 * errno EINVAL for an unknown facility name (logging then uses daemon).
 * May be called again (after a reload or when daemonizing). */
int log_init(bool foreground, const char *facility);
void log_set_debug(bool on);
bool log_debug_enabled(void);

/* Is name a syslog facility log_init() knows? */
bool log_facility_valid(const char *name);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
