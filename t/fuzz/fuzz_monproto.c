/*
 * fuzz_monproto.c — mon's client line protocol: monproto_parse(),
 * monproto_split(), the hex escaping, monproto_first_word() and the
 * reply parser monproto_parse_vars().
 *
 * The input's first line (up to a NUL or newline, at most
 * MONPROTO_LINE_MAX bytes) is the client's line.  Checks: a parsed
 * command has a known verb with a name and arguments inside the line;
 * split fields lie inside the buffer, at most max of them; escaping
 * gives only printable bytes other than quotes, and unescaping it gives
 * the line back when the line has no backslash; the reply parser keeps
 * to its maximum and names every pair.
 */
#include "fuzz.h"
#include "monproto.h"

#define VARS_MAX 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MONPROTO_LINE_MAX + 1)
        return 0;
    char *line = fuzz_cstr(data, size);
    line[strcspn(line, "\n")] = '\0';
    size_t len = strlen(line);

    struct monproto_cmd cmd;
    if (monproto_parse(line, &cmd) == 0) {
        FUZZ_CHECK((int)cmd.verb >= 0 && cmd.verb < MONPROTO_NVERBS,
                   "verb %d", (int)cmd.verb);
        const char *name = monproto_verb_name(cmd.verb);
        FUZZ_CHECK(name != NULL && strncasecmp(line, name, strlen(name)) == 0,
                   "verb name %s for \"%s\"", name ? name : "(null)", line);
        FUZZ_CHECK(cmd.args >= line && cmd.args <= line + len,
                   "args outside the line");
    }

    /* split: max from the first byte (0 = no limit, then one field per
     * two bytes at most, plus one). */
    size_t max = size > 0 ? data[0] % 6 : 0;
    size_t cap = max != 0 ? max : len / 2 + 2;
    char **fields = calloc(cap, sizeof(*fields));
    char *copy = strdup(line);
    FUZZ_CHECK(fields != NULL && copy != NULL, "alloc");
    size_t nf = monproto_split(copy, fields, max);
    FUZZ_CHECK(nf <= cap, "%zu fields, max %zu", nf, max);
    for (size_t i = 0; i < nf; i++)
        FUZZ_CHECK(fields[i] >= copy && fields[i] <= copy + len,
                   "field %zu outside the buffer", i);
    free(fields);
    free(copy);

    for (int q = 0; q < 2; q++) {
        char *esc = monproto_esc(line, q == 1);
        for (const unsigned char *p = (const unsigned char *)esc; *p; p++)
            FUZZ_CHECK(*p > 32 && *p <= 126 && *p != '"' && *p != '\'',
                       "escaped byte 0x%02x", *p);
        if (strchr(line, '\\') == NULL) {
            char *back = monproto_unesc(esc);
            FUZZ_CHECK(strcmp(back, line) == 0, "\"%s\" -> \"%s\" -> \"%s\"",
                       line, esc, back);
            free(back);
        }
        free(esc);
    }
    char *un = monproto_unesc(line);
    FUZZ_CHECK(strlen(un) <= len, "unescaping grew the text");
    free(un);

    char *w = monproto_first_word(line);
    FUZZ_CHECK(w != NULL, "first_word NULL");
    free(w);

    struct monproto_var vars[VARS_MAX];
    size_t nv = monproto_parse_vars(line, vars, VARS_MAX);
    FUZZ_CHECK(nv <= VARS_MAX, "%zu vars", nv);
    for (size_t i = 0; i < nv; i++)
        FUZZ_CHECK(vars[i].name != NULL && vars[i].value != NULL, "var %zu",
                   i);
    if (nv > 0)
        (void)monproto_var_get(vars, nv, vars[0].name);
    monproto_vars_free(vars, nv);
    free(line);
    return 0;
}
