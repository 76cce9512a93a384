/*
 * xalloc.h — allocation that aborts with a message on failure.
 *
 * As Redis's zmalloc: state and spool make a restart safe, and OOM paths
 * would go untested, so running out of memory is fatal.
 */
#ifndef MOND_XALLOC_H
#define MOND_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (holding *cap items of size sz) so it has room for need items. */
void xgrow(void **p, size_t *cap, size_t need, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
