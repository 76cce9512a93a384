/*
 * diag.h — diagnostics a person must read: "file:line:col: error: ...".
 *
 * Pure modules fill a diag_list instead of logging; the caller decides
 * whether to print, log or refuse.  Lines and columns are 1-based; 0 means
 * "not known" and is left out of the formatted text.
 */
#ifndef MOND_DIAG_H
#define MOND_DIAG_H

#include <stdarg.h>
#include <stddef.h>

enum diag_severity { DIAG_ERROR = 0, DIAG_WARNING };

struct diag {
    enum diag_severity severity;
    char *file;                 /* owned; may be NULL */
    int line, col;
    char *msg;                  /* owned */
};

struct diag_list {
    struct diag *items;
    size_t n, cap;
    size_t max;                 /* stop collecting after this many (0 = 100) */
    size_t dropped;             /* how many were not kept past max */
};

void diag_list_init(struct diag_list *l);
void diag_list_fini(struct diag_list *l);
void diag_add(struct diag_list *l, enum diag_severity sev, const char *file,
              int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void diag_vadd(struct diag_list *l, enum diag_severity sev, const char *file,
               int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
size_t diag_count(const struct diag_list *l, enum diag_severity sev);

/* "file:line:col: error: msg" (parts that are unknown left out).
 * Caller frees. */
char *diag_format(const struct diag *d);

#endif
