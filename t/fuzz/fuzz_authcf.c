/*
 * fuzz_authcf.c — auth.cf, auth_parse().
 *
 * The input is the file's text (up to its first NUL).  Trap host names
 * go to a stub resolver (no DNS while fuzzing).  Checks: a file is
 * accepted or refused with at least one error, never both; every error
 * has a position inside the text (strict: auth.cf lines end at '\n');
 * an accepted table answers auth_may() and auth_trap_check() without
 * crashing, and "all" rules hold for a user who is not logged in.
 */
#include "auth.h"
#include "fuzz.h"

/* No name lookups while fuzzing: "fuzz-ok" resolves, nothing else. */
static int
fuzz_resolve(const char *host, char (*addrs)[AUTH_ADDR_LEN], size_t max,
             char *err, size_t errlen)
{
    if (strcmp(host, "fuzz-ok") == 0 && max > 0) {
        snprintf(addrs[0], AUTH_ADDR_LEN, "127.0.0.1");
        return 1;
    }
    snprintf(err, errlen, "not resolved while fuzzing");
    return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_cstr(data, size);
    size_t len = strlen(text);
    struct diag_list errs;

    diag_list_init(&errs);
    struct auth *a = auth_parse_with("auth.cf", text, fuzz_resolve, &errs);
    if (a == NULL) {
        FUZZ_CHECK(errs.n > 0, "refused without an error");
    } else {
        FUZZ_CHECK(errs.n == 0, "accepted with %zu errors", errs.n);
        (void)auth_may(a, NULL, "list");
        (void)auth_may(a, "alice", "disable");
        FUZZ_CHECK(auth_trap_check(a, "127.0.0.1", "u", "p") <=
                   AUTH_TRAP_PASSWORD, "trap result");
        auth_free(a);
    }
    fuzz_check_diags(&errs, "auth.cf", text, len, true);
    diag_list_fini(&errs);
    free(text);
    return 0;
}
