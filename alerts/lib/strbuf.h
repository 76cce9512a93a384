/*
 * strbuf.h — a growable NUL-terminated byte string for building messages.
 *
 * Used by the alert programs' message builders.  Growth aborts with a
 * message on out-of-memory (as xalloc does for the scheduler): an alert
 * that cannot allocate a few KiB exits non-zero and is retried.  A buffer
 * never holds more than STRBUF_MAX bytes; appending past that aborts too,
 * because every input that reaches a strbuf is bounded well below it.
 */
#ifndef MOND_ALERT_STRBUF_H
#define MOND_ALERT_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#define STRBUF_MAX ((size_t)64 * 1024 * 1024)

struct strbuf {
    char *s;            /* owned; always NUL-terminated once used */
    size_t len, cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_add(struct strbuf *b, const void *p, size_t n);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addc(struct strbuf *b, char c);
void strbuf_addf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hand the string to the caller (never NULL: "" when empty); b is reset. */
char *strbuf_take(struct strbuf *b);
void strbuf_fini(struct strbuf *b);

/* Allocation helpers for alertlib users (abort on OOM). */
void *strbuf_xmalloc(size_t n);
char *strbuf_xstrdup(const char *s);
char *strbuf_xstrndup(const char *s, size_t n);

#endif
