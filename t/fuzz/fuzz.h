/*
 * fuzz.h — what the t/fuzz/fuzz_*.c targets share: the libFuzzer entry
 * point's prototype, a check that aborts with a message (libFuzzer and
 * the ctest replay both report an abort as a failure), and small input
 * helpers.  Only t/fuzz includes this.
 */
#ifndef MOND_FUZZ_H
#define MOND_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this are skipped: parsers are linear or so, and long
 * inputs only slow the fuzzer down (mon.cf files are a few KB). */
#define FUZZ_INPUT_MAX ((size_t)64 * 1024)

/* An invariant: on failure say which and where, then abort. */
#define FUZZ_CHECK(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__,  \
                    __LINE__, #cond);                                   \
            fprintf(stderr, __VA_ARGS__);                               \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

/* Is check name listed in $MOND_FUZZ_SKIP (comma-separated)?  Lets a
 * fuzzing run get past a known, reported failure to find others; the
 * ctest replay never sets it. */
static inline bool
fuzz_skipped(const char *name)
{
    const char *v = getenv("MOND_FUZZ_SKIP");
    size_t n = strlen(name);
    while (v != NULL && *v != '\0') {
        size_t len = strcspn(v, ",");
        if (len == n && strncmp(v, name, n) == 0)
            return true;
        v += len;
        if (*v == ',')
            v++;
    }
    return false;
}

/* A heap copy of exactly size bytes (no NUL after them, so a parser
 * reading past its length trips ASan).  Caller frees. */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
    char *s = malloc(size > 0 ? size : 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    return s;
}

/* A NUL-terminated heap copy (the string ends at the first NUL byte of
 * data, if any).  Caller frees. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Length in bytes of 1-based line ln of text ('\n' ends a line), or
 * (size_t)-1 when text has fewer lines.  A text ending in '\n' has an
 * empty last line after it (where "unexpected end of file" points). */
static inline size_t
fuzz_line_len(const char *text, size_t size, int ln)
{
    const char *p = text, *end = text + size;
    for (int i = 1; i < ln; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            return (size_t)-1;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return (size_t)((nl != NULL ? nl : end) - p);
}

/* Every diagnostic names file (or no file), has a message, and a
 * position that is unknown (0) or inside text: a line of text and a
 * column at most one past that line's end (strict) or, for front-ends
 * that count lines their own way (YAML: "\r" and U+2028 break lines
 * too), at most one past the end of the text.  libyaml puts the end of
 * a stream that lacks a final newline on the line after the last, so
 * the loose form allows one more line. */
static inline void
fuzz_check_diags(const struct diag_list *dl, const char *file,
                 const char *text, size_t size, bool strict)
{
    size_t breaks = 0;
    for (size_t i = 0; i < size; i++)
        if (text[i] == '\n' || text[i] == '\r' ||
            (unsigned char)text[i] == 0x85 || (unsigned char)text[i] == 0xe2)
            breaks++;
    for (size_t i = 0; i < dl->n; i++) {
        const struct diag *d = &dl->items[i];
        FUZZ_CHECK(d->msg != NULL && d->msg[0] != '\0', "diag %zu", i);
        FUZZ_CHECK(d->file == NULL || strcmp(d->file, file) == 0,
                   "diag file %s, expected %s", d->file, file);
        FUZZ_CHECK(d->line >= 0 && d->col >= 0, "%d:%d: %s", d->line,
                   d->col, d->msg);
        if (d->line == 0)
            continue;
        if (strict) {
            size_t len = fuzz_line_len(text, size, d->line);
            FUZZ_CHECK(len != (size_t)-1, "line %d past the end: %s",
                       d->line, d->msg);
            FUZZ_CHECK((size_t)d->col <= len + 1,
                       "%d:%d past the end of the line (%zu bytes): %s",
                       d->line, d->col, len, d->msg);
        } else {
            FUZZ_CHECK((size_t)d->line <= breaks + 2, "line %d past the "
                       "end (%zu line breaks): %s", d->line, breaks, d->msg);
            FUZZ_CHECK((size_t)d->col <= size + 1, "column %d past the "
                       "end (%zu bytes): %s", d->col, size, d->msg);
        }
        char *s = diag_format(d);
        FUZZ_CHECK(s != NULL && strstr(s, d->msg) != NULL, "diag_format");
        free(s);
    }
}

/* FNV-1a of the input: a deterministic source of "random" choices. */
static inline uint64_t
fuzz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < size; i++) {
        h ^= data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

#endif
