/*
 * fuzz_config.h — the round trip both config front-end targets check:
 * a model that parsed is written as mon.cf and as YAML
 * (config_write.h), each read back, and must give the same model
 * (config_dump() equal), as config_write.h promises.
 * MOND_FUZZ_SKIP=yaml-roundtrip or moncf-roundtrip leaves one out.
 */
#ifndef MOND_FUZZ_CONFIG_H
#define MOND_FUZZ_CONFIG_H

#include "config.h"
#include <errno.h>

#include "config_write.h"
#include "fuzz.h"
#include "parse_moncf.h"
#include "parse_yaml.h"

/* Print a and b from their first differing line, then abort. */
static inline void
fuzz_dump_differs(const char *what, const char *a, const char *b,
                  const char *written)
{
    size_t i = 0, line_start = 0;
    while (a[i] != '\0' && a[i] == b[i]) {
        if (a[i] == '\n')
            line_start = i + 1;
        i++;
    }
    fprintf(stderr, "%s: models differ:\n  was: %.200s\n  now: %.200s\n"
            "written as:\n%.2000s\n", what, a + line_start, b + line_start,
            written);
    abort();
}

static inline void
fuzz_roundtrip(const struct config *cfg, bool as_yaml)
{
    if (fuzz_skipped(as_yaml ? "yaml-roundtrip" : "moncf-roundtrip"))
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    FUZZ_CHECK(f != NULL, "open_memstream");
    int rc = as_yaml ? config_write_yaml(f, cfg) : config_write_moncf(f, cfg);
    if (rc < 0 && (errno == EILSEQ || errno == EINVAL)) {
        /* Refused: the model cannot be said in that format (and says
         * so); nothing to read back. */
        fclose(f);
        free(buf);
        return;
    }
    FUZZ_CHECK(rc == 0, "config_write failed");
    FUZZ_CHECK(fclose(f) == 0, "fclose");

    const char *what = as_yaml ? "model -> YAML -> model"
                               : "model -> mon.cf -> model";
    struct diag_list errs;
    diag_list_init(&errs);
    struct config *back = as_yaml
        ? parse_yaml_buffer("roundtrip.yaml", buf, len, &errs)
        : parse_moncf_buffer("roundtrip.cf", buf, len, &errs);
    if (back == NULL) {
        char *e = errs.n > 0 ? diag_format(&errs.items[0]) : NULL;
        fprintf(stderr, "%s: written text does not parse: %s\n%.2000s\n",
                what, e != NULL ? e : "(no error)", buf);
        abort();
    }
    char *da = config_dump(cfg), *db = config_dump(back);
    if (strcmp(da, db) != 0)
        fuzz_dump_differs(what, da, db, buf);
    free(da);
    free(db);
    config_free(back);
    diag_list_fini(&errs);
    free(buf);
}

#endif
