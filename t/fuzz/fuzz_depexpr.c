/*
 * fuzz_depexpr.c — mon's dependency expressions, depexpr_compile() and
 * depexpr_eval().
 *
 * The input, up to its first NUL byte, is the expression (self group
 * "selfgrp").  Checks: a syntax error has a message and a column inside
 * the text; a compiled expression is evaluable exactly when warncol is
 * 0 (else warncol is inside the text), every reference has a group and
 * a service and "SELF" is replaced; evaluation gives TRUE or FALSE for
 * an evaluable expression and ERROR otherwise, the same twice, and
 * asks up() only about the expression's own references.
 */
#include "depexpr.h"
#include "fuzz.h"

struct ctx {
    const struct depexpr *e;
    uint64_t seed;
    size_t calls;
};

static bool
up(const struct depref *ref, void *arg)
{
    struct ctx *c = arg;
    bool known = false;
    c->calls++;
    for (size_t i = 0; i < depexpr_nrefs(c->e) && !known; i++) {
        struct depref r = depexpr_ref(c->e, i);
        known = strcmp(r.group, ref->group) == 0 &&
                strcmp(r.service, ref->service) == 0;
    }
    FUZZ_CHECK(known, "up() asked about %s:%s, not in the expression",
               ref->group, ref->service);
    uint64_t h = c->seed;
    for (const char *s = ref->group; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    for (const char *s = ref->service; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h >> 17) & 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *text = fuzz_cstr(data, size);
    size_t len = strlen(text);
    int col = -1, warncol = -1;
    const char *msg = "unset";
    struct depexpr *e = depexpr_compile(text, "selfgrp", &col, &msg,
                                        &warncol);
    if (e == NULL) {
        FUZZ_CHECK(msg != NULL && msg[0] != '\0', "no message");
        FUZZ_CHECK(col >= 1 && (size_t)col <= len + 1,
                   "error column %d, text of %zu bytes: %s", col, len, msg);
        free(text);
        return 0;
    }
    bool ev = depexpr_is_evaluable(e);
    FUZZ_CHECK(ev == (warncol == 0), "evaluable %d, warncol %d", ev,
               warncol);
    FUZZ_CHECK(warncol >= 0 && (size_t)warncol <= len + 1, "warncol %d",
               warncol);
    size_t n = depexpr_nrefs(e);
    FUZZ_CHECK(n <= len, "%zu references in %zu bytes", n, len);
    for (size_t i = 0; i < n; i++) {
        struct depref r = depexpr_ref(e, i);
        FUZZ_CHECK(r.group != NULL && r.service != NULL, "ref %zu", i);
        FUZZ_CHECK(strcmp(r.group, "SELF") != 0, "SELF not replaced");
    }
    for (uint64_t seed = 0; seed < 3; seed++) {
        struct ctx c = { .e = e, .seed = seed * 0x9e3779b97f4a7c15ULL };
        enum depexpr_result r1 = depexpr_eval(e, up, &c);
        enum depexpr_result r2 = depexpr_eval(e, up, &c);
        FUZZ_CHECK(r1 == r2, "eval %d then %d", r1, r2);
        if (ev)
            FUZZ_CHECK(r1 == DEPEXPR_TRUE || r1 == DEPEXPR_FALSE,
                       "evaluable gave %d", r1);
        else
            FUZZ_CHECK(r1 == DEPEXPR_ERROR, "unevaluable gave %d", r1);
    }
    depexpr_free(e);
    free(text);
    return 0;
}
