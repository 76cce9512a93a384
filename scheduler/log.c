/*
 * log.c — log lines to stderr (foreground) or syslog (daemon).
 *
 * Holds the only logging state of the process: where lines go and
 * whether debug lines are wanted.  A line is formatted once into a
 * bounded buffer (LOG_LINE_MAX; a longer one is cut, which is better than
 * an allocation on the error path) and written with one call, so lines
 * from one process never interleave.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048

static bool log_foreground = true;
static bool log_debugging;
static bool log_opened;

static const struct {
    const char *name;
    int facility;
} log_facilities[] = {
    { "auth", LOG_AUTH },     { "authpriv", LOG_AUTHPRIV },
    { "cron", LOG_CRON },     { "daemon", LOG_DAEMON },
    { "ftp", LOG_FTP },       { "kern", LOG_KERN },
    { "lpr", LOG_LPR },       { "mail", LOG_MAIL },
    { "news", LOG_NEWS },     { "syslog", LOG_SYSLOG },
    { "user", LOG_USER },     { "uucp", LOG_UUCP },
    { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
    { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
    { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
    { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static int
log_facility_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof log_facilities / sizeof log_facilities[0];
         i++)
        if (strcmp(log_facilities[i].name, name) == 0)
            return log_facilities[i].facility;
    return -1;
}

bool
log_facility_valid(const char *name)
{
    return name != NULL && log_facility_lookup(name) >= 0;
}

int
log_init(bool foreground, const char *facility)
{
    int fac = LOG_DAEMON, rc = 0;

    if (facility != NULL) {
        fac = log_facility_lookup(facility);
        if (fac < 0) {
            fac = LOG_DAEMON;
            rc = -1;
        }
    }
    if (log_opened) {
        closelog();
        log_opened = false;
    }
    log_foreground = foreground;
    if (!foreground) {
        openlog("mond", LOG_PID | LOG_NDELAY, fac);
        log_opened = true;
    }
    if (rc == -1)
        errno = EINVAL;
    return rc;
}

void
log_set_debug(bool on)
{
    log_debugging = on;
}

bool
log_debug_enabled(void)
{
    return log_debugging;
}

static void
log_vemit(int pri, const char *errstr, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int n;

    n = vsnprintf(line, sizeof line, fmt, ap);
    if (n < 0)
        return;
    if (errstr != NULL && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, ": %s", errstr);
    if (log_foreground) {
        /* One write per line; a short write on stderr is not retried:
         * there is nowhere to report it. */
        char out[LOG_LINE_MAX + 16];
        int m = snprintf(out, sizeof out, "mond: %s\n", line);
        if (m > 0) {
            size_t len = (size_t)m < sizeof out ? (size_t)m : sizeof out - 1;
            ssize_t w = write(STDERR_FILENO, out, len);
            (void)w;
        }
    } else {
        syslog(pri, "%s", line);
    }
}

void
log_info(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    log_vemit(LOG_INFO, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_warn(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    log_vemit(LOG_WARNING, strerror(saved), fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    log_vemit(LOG_WARNING, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
log_debug(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    if (!log_debugging)
        return;
    va_start(ap, fmt);
    log_vemit(LOG_DEBUG, NULL, fmt, ap);
    va_end(ap);
    errno = saved;
}

void
fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;

    va_start(ap, fmt);
    log_vemit(LOG_CRIT, strerror(saved), fmt, ap);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vemit(LOG_CRIT, NULL, fmt, ap);
    va_end(ap);
    exit(1);
}
