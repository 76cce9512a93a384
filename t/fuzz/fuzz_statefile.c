/*
 * fuzz_statefile.c — mond's state file, statefile_parse().
 *
 * The input is the file's text (up to its first NUL).  Checks: a file is
 * accepted with no error or refused with exactly one, positioned inside
 * the text; an accepted file formats to text that parses again to the
 * same text (nothing is lost or invented between save and load).
 */
#include "fuzz.h"
#include "statefile.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_cstr(data, size);
    size_t len = strlen(text);
    struct diag_list errs;
    struct statefile sf;

    diag_list_init(&errs);
    statefile_init(&sf);
    if (statefile_parse("state", text, &sf, &errs) != 0) {
        FUZZ_CHECK(errs.n == 1, "refused with %zu errors", errs.n);
        fuzz_check_diags(&errs, "state", text, len, true);
    } else {
        FUZZ_CHECK(errs.n == 0, "accepted with %zu errors", errs.n);
        char *out = statefile_format(&sf);
        struct statefile back;
        statefile_init(&back);
        FUZZ_CHECK(statefile_parse("state", out, &back, &errs) == 0,
                   "formatted state refused:\n%s", out);
        char *out2 = statefile_format(&back);
        FUZZ_CHECK(strcmp(out, out2) == 0, "round trip:\n%s\n---\n%s", out,
                   out2);
        free(out2);
        free(out);
        statefile_fini(&back);
    }
    statefile_fini(&sf);
    diag_list_fini(&errs);
    free(text);
    return 0;
}
