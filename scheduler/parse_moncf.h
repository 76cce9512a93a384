/*
 * parse_moncf.h — the mon.cf front-end: mon 1.3's configuration grammar
 * (see `man mon`, CONFIGURATION FILE) into a struct config.
 *
 * Pure but for reading the file (and running m4 when asked): no logging,
 * no globals.  Every error found is collected (up to the list's cap) in
 * compiler form, file:line:col with 1-based, exact positions; warnings go
 * to cfg->warnings.
 */
#ifndef MOND_PARSE_MONCF_H
#define MOND_PARSE_MONCF_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"

/* Parse the file at path (through "m4 -s" when use_m4).  Returns a new
 * model, or NULL when there was any error (all appended to errs).
 * Caller frees with config_free(). */
struct config *parse_moncf(const char *path, bool use_m4,
                           struct diag_list *errs);

/* The same on text in memory; name is used in messages and as
 * cfg->path. */
struct config *parse_moncf_buffer(const char *name, const char *text,
                                  size_t len, struct diag_list *errs);

/* Incremental use, for the YAML front-end: logical lines are fed one by
 * one (an empty line ends a block, as in mon.cf); each line's ln/col say
 * where its characters were written, and keypath (may be NULL) is put
 * before every error message the line causes.  finish() frees the parser
 * and returns the model, or NULL when any error was reported since new(). */
struct moncf_parser;
struct moncf_line;
struct moncf_parser *moncf_parser_new(const char *name,
                                      struct diag_list *errs);
void moncf_parser_feed(struct moncf_parser *p, struct moncf_line *l,
                       const char *keypath);
struct config *moncf_parser_finish(struct moncf_parser *p);

#endif
