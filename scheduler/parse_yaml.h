/*
 * parse_yaml.h — the YAML front-end (mond.yaml): the same model as
 * mon.cf, from a YAML document.  See parse_yaml.c for the schema.
 */
#ifndef MOND_PARSE_YAML_H
#define MOND_PARSE_YAML_H

#include <stddef.h>

#include "config.h"
#include "diag.h"

/* Parse path.  Returns a new model, or NULL with every error appended to
 * errs as "file:line:col: error: key.path: message".  Caller frees with
 * config_free(). */
struct config *parse_yaml(const char *path, struct diag_list *errs);

/* The same on text in memory (need not be NUL-terminated); name is used
 * in messages and as cfg->path. */
struct config *parse_yaml_buffer(const char *name, const char *text,
                                 size_t len, struct diag_list *errs);

#endif
