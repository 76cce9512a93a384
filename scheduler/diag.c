/* diag.c — collected diagnostics in compiler form (see diag.h). */
#include "diag.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void
diag_list_init(struct diag_list *l)
{
    memset(l, 0, sizeof(*l));
}

void
diag_list_fini(struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].file);
        free(l->items[i].msg);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void
diag_vadd(struct diag_list *l, enum diag_severity sev, const char *file,
          int line, int col, const char *fmt, va_list ap)
{
    size_t max = l->max ? l->max : 100;
    if (l->n >= max) {
        l->dropped++;
        return;
    }
    xgrow((void **)&l->items, &l->cap, l->n + 1, sizeof(*l->items));
    struct diag *d = &l->items[l->n++];
    d->severity = sev;
    d->file = file ? xstrdup(file) : NULL;
    d->line = line;
    d->col = col;
    d->msg = xvasprintf(fmt, ap);
}

void
diag_add(struct diag_list *l, enum diag_severity sev, const char *file,
         int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vadd(l, sev, file, line, col, fmt, ap);
    va_end(ap);
}

size_t
diag_count(const struct diag_list *l, enum diag_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->items[i].severity == sev)
            n++;
    return n;
}

char *
diag_format(const struct diag *d)
{
    const char *sev = d->severity == DIAG_ERROR ? "error" : "warning";
    if (d->file && d->line > 0 && d->col > 0)
        return xasprintf("%s:%d:%d: %s: %s", d->file, d->line, d->col, sev, d->msg);
    if (d->file && d->line > 0)
        return xasprintf("%s:%d: %s: %s", d->file, d->line, sev, d->msg);
    if (d->file)
        return xasprintf("%s: %s: %s", d->file, sev, d->msg);
    return xasprintf("%s: %s", sev, d->msg);
}
