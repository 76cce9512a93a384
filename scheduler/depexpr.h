/*
 * depexpr.h — mon's dependency expressions as a small safe language.
 *
 *   expr   := term { ("||" | "or") term }
 *   term   := factor { ("&&" | "and") factor }
 *   factor := ("!" | "not") factor | "(" expr ")" | REF
 *   REF    := GROUP ":" SERVICE      (GROUP may be "SELF")
 *
 * A list of references with no operator between them (Debian's
 * example.cf: `depend routers:ping serversbd2:ping`) is not an error:
 * depexpr_compile() returns an expression flagged "unevaluable" and a
 * warning position; mon's eval of such Perl fails, logs, and counts as
 * "dependencies OK" — depexpr_eval() returns DEPEXPR_ERROR and the caller
 * does what mon does.  Pure.
 */
#ifndef MOND_DEPEXPR_H
#define MOND_DEPEXPR_H

#include <stdbool.h>
#include <stddef.h>

struct depexpr;

/* A reference inside an expression, after SELF is replaced. */
struct depref {
    const char *group;
    const char *service;
};

/* Compile text.  self_group replaces "SELF".  Returns NULL on a syntax
 * error with *errcol (1-based) and *errmsg (static) set.  If the text is
 * a bare list of references, returns an expression with
 * depexpr_is_evaluable() false and *warncol set to the position of the
 * first missing operator (else *warncol = 0). */
struct depexpr *depexpr_compile(const char *text, const char *self_group,
                                int *errcol, const char **errmsg,
                                int *warncol);
void depexpr_free(struct depexpr *e);

bool depexpr_is_evaluable(const struct depexpr *e);

/* The references in order of appearance (for "hm" parent lists and for
 * checking that every referenced service exists). */
size_t depexpr_nrefs(const struct depexpr *e);
struct depref depexpr_ref(const struct depexpr *e, size_t i);

enum depexpr_result { DEPEXPR_FALSE = 0, DEPEXPR_TRUE = 1, DEPEXPR_ERROR = -1 };

/* Evaluate with up(ref, ctx) telling whether a referenced service counts
 * as up (opstatus ok, coldstart, warmstart or unknown, recursively as the
 * caller decides).  DEPEXPR_ERROR for an unevaluable expression. */
enum depexpr_result depexpr_eval(const struct depexpr *e,
                                 bool (*up)(const struct depref *ref, void *ctx),
                                 void *ctx);

#endif
