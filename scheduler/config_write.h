/*
 * config_write.h — write a config model as mon.cf or as mond.yaml
 * (`mond --convert`).  Reading the output back gives the same model
 * (config_dump() equal); comments and layout of the source are not kept.
 */
#ifndef MOND_CONFIG_WRITE_H
#define MOND_CONFIG_WRITE_H

#include <stdio.h>

#include "config.h"

/* Return 0, or -1 when writing to f failed (errno from stdio). */
int config_write_moncf(FILE *f, const struct config *cfg);
int config_write_yaml(FILE *f, const struct config *cfg);

#endif
