/*
 * fuzz_spool.c — the alert spool file format, spool_decode() and
 * spool_encode().
 *
 * Checks: a failure has a message and a line inside the file (0 = the
 * whole file); a record that decodes has a program, encodes to text that
 * decodes to the same record, and encoding that again gives the same
 * text (the written form is a fixed point).
 */
#include <inttypes.h>

#include "fuzz.h"
#include "spool.h"

static bool
str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check_same(const struct spool_record *a, const struct spool_record *b)
{
    FUZZ_CHECK(str_eq(a->group, b->group), "group");
    FUZZ_CHECK(str_eq(a->service, b->service), "service");
    FUZZ_CHECK(str_eq(a->program, b->program), "program");
    FUZZ_CHECK(str_eq(a->type, b->type), "type");
    FUZZ_CHECK(str_eq(a->stdin_text, b->stdin_text), "stdin");
    FUZZ_CHECK(a->attempts == b->attempts, "attempts %u %u", a->attempts,
               b->attempts);
    FUZZ_CHECK(a->next_attempt_wall_ms == b->next_attempt_wall_ms,
               "next %" PRId64 " %" PRId64, a->next_attempt_wall_ms,
               b->next_attempt_wall_ms);
    FUZZ_CHECK(a->first_spooled_wall_ms == b->first_spooled_wall_ms,
               "first %" PRId64 " %" PRId64, a->first_spooled_wall_ms,
               b->first_spooled_wall_ms);
    FUZZ_CHECK(a->argc == b->argc, "argc %zu %zu", a->argc, b->argc);
    for (size_t i = 0; i < a->argc; i++)
        FUZZ_CHECK(str_eq(a->argv[i], b->argv[i]), "argv[%zu]", i);
    FUZZ_CHECK(a->envc == b->envc, "envc %zu %zu", a->envc, b->envc);
    for (size_t i = 0; i < a->envc; i++)
        FUZZ_CHECK(str_eq(a->env[i], b->env[i]), "env[%zu]", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_copy(data, size);
    struct spool_record rec;
    char err[256];
    int line = -1;

    err[0] = '\0';
    if (spool_decode(text, size, &rec, &line, err, sizeof(err)) < 0) {
        FUZZ_CHECK(err[0] != '\0', "failure without a message");
        size_t lines = 0;
        for (size_t i = 0; i < size; i++)
            lines += text[i] == '\n';
        FUZZ_CHECK(line >= 0 && (size_t)line <= lines + 1,
                   "line %d of %zu: %s", line, lines, err);
        free(text);
        return 0;
    }
    FUZZ_CHECK(rec.program != NULL && rec.program[0] != '\0', "program");
    for (size_t i = 0; i < rec.envc; i++)
        FUZZ_CHECK(strchr(rec.env[i], '=') != NULL, "env without '='");

    char *enc = spool_encode(&rec);
    struct spool_record back;
    err[0] = '\0';
    FUZZ_CHECK(spool_decode(enc, strlen(enc), &back, &line, err,
                            sizeof(err)) == 0,
               "encoded record does not decode: line %d: %s\n%s", line, err,
               enc);
    check_same(&rec, &back);
    char *enc2 = spool_encode(&back);
    FUZZ_CHECK(strcmp(enc, enc2) == 0, "encoding not stable:\n%s\n%s", enc,
               enc2);
    free(enc2);
    free(enc);
    spool_record_fini(&back);
    spool_record_fini(&rec);
    free(text);
    return 0;
}
