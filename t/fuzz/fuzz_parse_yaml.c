/*
 * fuzz_parse_yaml.c — the whole YAML front-end, parse_yaml_buffer()
 * (yamltree, then the mapping onto mon.cf's logical lines).
 *
 * Checks: the model is returned exactly when no error was reported;
 * every error points inside the input; a model that parsed reads back
 * the same after config_write_yaml() and config_write_moncf().
 */
#include "fuzz_config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_copy(data, size);
    struct diag_list errs;
    diag_list_init(&errs);

    struct config *cfg = parse_yaml_buffer("fuzz.yaml", text, size, &errs);
    fuzz_check_diags(&errs, "fuzz.yaml", text, size, false);
    FUZZ_CHECK((cfg == NULL) == (diag_count(&errs, DIAG_ERROR) > 0),
               "model %p with %zu errors", (void *)cfg,
               diag_count(&errs, DIAG_ERROR));
    if (cfg != NULL) {
        fuzz_check_diags(&cfg->warnings, "fuzz.yaml", text, size, false);
        fuzz_roundtrip(cfg, true);
        fuzz_roundtrip(cfg, false);
        config_free(cfg);
    }
    diag_list_fini(&errs);
    free(text);
    return 0;
}
