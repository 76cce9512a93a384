/*
 * config_write.h — write a config model as mon.cf or as mond.yaml
 * (`mond --convert`).  Reading the output back gives the same model
 * (config_dump() equal); comments and layout of the source are not kept.
 */
#ifndef MOND_CONFIG_WRITE_H
#define MOND_CONFIG_WRITE_H

#include <stdio.h>

#include "config.h"

/* Return 0, or -1 when writing to f failed (errno from stdio), or when
 * the model cannot be said in that format: errno EILSEQ for YAML when a
 * string is not UTF-8 (mon.cf takes any bytes), EINVAL for mon.cf when a
 * host, view member or excluded host holds a blank (mon.cf cannot quote
 * host lists).  Nothing is written then. */
int config_write_moncf(FILE *f, const struct config *cfg);
int config_write_yaml(FILE *f, const struct config *cfg);

#endif
