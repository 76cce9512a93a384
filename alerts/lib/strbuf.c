/* strbuf.c — growable strings for message building (see strbuf.h). */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void
strbuf_oom(size_t n)
{
    fprintf(stderr, "alert: out of memory (or over %zu bytes) allocating "
            "%zu bytes\n", STRBUF_MAX, n);
    abort();
}

void *
strbuf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        strbuf_oom(n);
    return p;
}

char *
strbuf_xstrndup(const char *s, size_t n)
{
    char *p = strbuf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
strbuf_xstrdup(const char *s)
{
    return strbuf_xstrndup(s, strlen(s));
}

static void
strbuf_reserve(struct strbuf *b, size_t extra)
{
    if (extra > STRBUF_MAX || b->len + extra + 1 > STRBUF_MAX)
        strbuf_oom(b->len + extra + 1);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->s, cap);
    if (p == NULL)
        strbuf_oom(cap);
    b->s = p;
    b->cap = cap;
}

void
strbuf_add(struct strbuf *b, const void *p, size_t n)
{
    strbuf_reserve(b, n);
    if (n > 0)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void
strbuf_adds(struct strbuf *b, const char *s)
{
    strbuf_add(b, s, strlen(s));
}

void
strbuf_addc(struct strbuf *b, char c)
{
    strbuf_add(b, &c, 1);
}

void
strbuf_vaddf(struct strbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        strbuf_oom(0);
    strbuf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vaddf(b, fmt, ap);
    va_end(ap);
}

char *
strbuf_take(struct strbuf *b)
{
    char *s = b->s ? b->s : strbuf_xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void
strbuf_fini(struct strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}
