/*
 * moncf_read.h — mon.cf's lexical layer: the file (optionally through
 * m4), logical lines and shell-like words, every character keeping the
 * physical line and column it came from so errors point at it exactly.
 *
 * Logical lines follow mon(8): a line whose first non-blank character is
 * "#" is a comment (also in the middle of a continued line, as mon 1.3.6
 * reads it); a line ending in a backslash (plus optional trailing blanks)
 * continues on the next, whose leading blanks are dropped; the result is
 * trimmed at both ends.  An empty logical line ends a block.
 */
#ifndef MOND_MONCF_READ_H
#define MOND_MONCF_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* The whole input, owned. */
struct moncf_src {
    char *buf;
    size_t len;
    size_t off;                 /* next unread byte */
    int next_line;              /* physical line number of buf[off] */
    bool m4_sync;               /* honour m4 -s "#line N" sync lines */
    char **files;               /* file names met in sync lines, owned */
    size_t nfiles;
    const char *cur_file;       /* one of files, NULL = the main file */
    const char *main_file;      /* borrowed: the path given to m4 */
};

/* One logical line; ln[i], col[i] = where s[i] was written. */
struct moncf_line {
    char *s;
    size_t len, cap;
    int *ln, *col;
    int line;                   /* first physical line */
    const char *file;           /* m4 include()d file the line came from
                                 * (owned by the source), NULL = main */
};

/* Read path (at most MONCF_MAX_BYTES) into src; with use_m4 run
 * "m4 -s path" instead and read its output.  Returns 0, or -1 with the
 * reasons in errs (m4's own messages are turned into file:line
 * diagnostics). */
#define MONCF_MAX_BYTES (16u * 1024 * 1024)
int moncf_src_open(struct moncf_src *src, const char *path, bool use_m4,
                   struct diag_list *errs);
/* Use a copy of text as input (tests, fuzzing). */
void moncf_src_from_buffer(struct moncf_src *src, const char *text,
                           size_t len);
void moncf_src_fini(struct moncf_src *src);

void moncf_line_init(struct moncf_line *l);
void moncf_line_fini(struct moncf_line *l);

/* Next logical line into l (replacing its contents).  false at the end
 * of input. */
bool moncf_next_line(struct moncf_src *src, struct moncf_line *l);

/* Where byte off of l was written; past the end = just after the last
 * byte; an empty line = column 1 of its line. */
void moncf_pos(const struct moncf_line *l, size_t off, int *line, int *col);

/* A word of a logical line. */
struct moncf_word {
    size_t off, len;
};

/* Split l->s[from..] on blanks into at most max words; returns the count
 * (words past max are not stored but counted). */
size_t moncf_split(const struct moncf_line *l, size_t from,
                   struct moncf_word *w, size_t max);

/* Offset of the first non-blank byte at or after from. */
size_t moncf_skip_blank(const struct moncf_line *l, size_t from);

/* Shell-like words as mon's Text::ParseWords::quotewords('\s+', 0, ...):
 * '...' literal, "..." with backslash escapes, a backslash outside quotes
 * escapes the next character; quotes are removed.  On success returns 0
 * with *argv (NULL-terminated, owned by the caller), *argc, and for each
 * word its start offset in offs (if non-NULL, allocated) and whether any
 * part was quoted or escaped in quoted (if non-NULL, allocated).  On an
 * unterminated quote returns -1 with *erroff = the opening quote. */
int moncf_words(const struct moncf_line *l, size_t from, char ***argv,
                size_t *argc, size_t **offs, bool **quoted, size_t *erroff);

#endif
