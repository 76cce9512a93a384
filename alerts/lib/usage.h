/*
 * usage.h — how the shipped alerts answer bad usage: "PROG: message",
 * a pointer to --help, exit 2 (never retried: mond retries only 1).
 */
#ifndef MOND_ALERT_USAGE_H
#define MOND_ALERT_USAGE_H

#define ALERT_EXIT_USAGE 2

_Noreturn void alert_usage(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
