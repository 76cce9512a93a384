/*
 * fuzz_moncf.c — the mon.cf front-end, parse_moncf_buffer().
 *
 * Checks: the model is returned exactly when no error was reported;
 * every error and warning points inside the input (a line of it, a
 * column at most one past that line's end); a model that parsed reads
 * back the same after config_write_moncf() and config_write_yaml().
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

    struct config *cfg = parse_moncf_buffer("fuzz.cf", text, size, &errs);
    fuzz_check_diags(&errs, "fuzz.cf", text, size, true);
    FUZZ_CHECK((cfg == NULL) == (diag_count(&errs, DIAG_ERROR) > 0),
               "model %p with %zu errors", (void *)cfg,
               diag_count(&errs, DIAG_ERROR));
    if (cfg != NULL) {
        fuzz_check_diags(&cfg->warnings, "fuzz.cf", text, size, true);
        fuzz_roundtrip(cfg, false);
        fuzz_roundtrip(cfg, true);
        config_free(cfg);
    }
    diag_list_fini(&errs);
    free(text);
    return 0;
}
