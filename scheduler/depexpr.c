/*
 * depexpr.c — mon's dependency expressions, compiled to a small postfix
 * program and evaluated without Perl (see depexpr.h for the grammar).
 *
 * A compiled expression owns its reference strings and a postfix code
 * array (REF i, NOT, AND, OR).  Evaluation runs the code on a bool stack
 * whose depth is bounded by the code length, so no input can recurse.
 * Compilation is a recursive-descent parser whose nesting depth is capped
 * (DEPEXPR_MAX_DEPTH) and whose input length is capped (DEPEXPR_MAX_LEN):
 * a config file cannot make it run out of stack.
 */
#include "depexpr.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define DEPEXPR_MAX_LEN   8192   /* longest expression text accepted */
#define DEPEXPR_MAX_DEPTH 64     /* nested "(" and "!" */

enum depop { OP_REF, OP_NOT, OP_AND, OP_OR };

struct depcode {
    enum depop op;
    size_t ref;                 /* OP_REF: index into refs */
};

struct depexpr {
    bool evaluable;
    struct depref *refs;        /* group/service strings owned */
    size_t nrefs, refcap;
    struct depcode *code;
    size_t ncode, codecap;
};

enum tok {
    TOK_END, TOK_REF, TOK_AND, TOK_OR, TOK_NOT, TOK_LPAREN, TOK_RPAREN,
    TOK_ERROR,
};

struct parser {
    const char *text;
    const char *self_group;
    size_t pos;                 /* of the next unread character */
    enum tok tok;               /* current token */
    size_t tok_pos;             /* 0-based start of the current token */
    size_t g0, g1, s0, s1;      /* TOK_REF: group [g0,g1), service [s0,s1) */
    const char *errmsg;         /* set once; first error wins */
    size_t errpos;
    int depth;
    struct depexpr *e;
};

static bool
is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static void
fail(struct parser *p, size_t pos, const char *msg)
{
    if (p->errmsg == NULL) {
        p->errmsg = msg;
        p->errpos = pos;
    }
    p->tok = TOK_ERROR;
}

/* Read the next token into p->tok (and the name bounds for TOK_REF). */
static void
next(struct parser *p)
{
    const char *t = p->text;

    while (t[p->pos] == ' ' || t[p->pos] == '\t' || t[p->pos] == '\n' ||
           t[p->pos] == '\r')
        p->pos++;
    p->tok_pos = p->pos;
    char c = t[p->pos];
    if (c == '\0') {
        p->tok = TOK_END;
        return;
    }
    if (c == '(' || c == ')' || c == '!') {
        p->tok = c == '(' ? TOK_LPAREN : c == ')' ? TOK_RPAREN : TOK_NOT;
        p->pos++;
        return;
    }
    if (c == '&' || c == '|') {
        if (t[p->pos + 1] != c) {
            fail(p, p->pos, c == '&' ? "expected \"&&\"" : "expected \"||\"");
            return;
        }
        p->tok = c == '&' ? TOK_AND : TOK_OR;
        p->pos += 2;
        return;
    }
    if (!is_name_char(c)) {
        fail(p, p->pos, "unexpected character: expected group:service, "
             "\"!\", \"not\", \"(\", \")\", \"&&\", \"||\", \"and\" or \"or\"");
        return;
    }
    size_t w0 = p->pos;
    while (is_name_char(t[p->pos]))
        p->pos++;
    size_t w1 = p->pos;
    if (t[p->pos] != ':') {
        /* A word operator, unless it is a group name (followed by ':'). */
        size_t n = w1 - w0;
        if (n == 3 && strncmp(t + w0, "and", 3) == 0)
            p->tok = TOK_AND;
        else if (n == 2 && strncmp(t + w0, "or", 2) == 0)
            p->tok = TOK_OR;
        else if (n == 3 && strncmp(t + w0, "not", 3) == 0)
            p->tok = TOK_NOT;
        else
            fail(p, w1, "expected \":\" and a service name after the group "
                 "name (group:service)");
        return;
    }
    p->pos++;                   /* ':' */
    size_t s0 = p->pos;
    while (is_name_char(t[p->pos]))
        p->pos++;
    if (p->pos == s0) {
        fail(p, s0, "expected a service name after \":\"");
        return;
    }
    p->tok = TOK_REF;
    p->g0 = w0;
    p->g1 = w1;
    p->s0 = s0;
    p->s1 = p->pos;
}

static void
emit(struct parser *p, enum depop op, size_t ref)
{
    struct depexpr *e = p->e;

    xgrow((void **)&e->code, &e->codecap, e->ncode + 1, sizeof(*e->code));
    e->code[e->ncode].op = op;
    e->code[e->ncode].ref = ref;
    e->ncode++;
}

static size_t
add_ref(struct depexpr *e, const char *text, size_t g0, size_t g1,
        size_t s0, size_t s1, const char *self_group)
{
    xgrow((void **)&e->refs, &e->refcap, e->nrefs + 1, sizeof(*e->refs));
    struct depref *r = &e->refs[e->nrefs];
    if (g1 - g0 == 4 && strncmp(text + g0, "SELF", 4) == 0 &&
        self_group != NULL)
        r->group = xstrdup(self_group);
    else
        r->group = xstrndup(text + g0, g1 - g0);
    r->service = xstrndup(text + s0, s1 - s0);
    return e->nrefs++;
}

static void parse_or(struct parser *p);

static void
parse_factor(struct parser *p)
{
    if (p->tok == TOK_ERROR)
        return;
    if (p->depth >= DEPEXPR_MAX_DEPTH) {
        fail(p, p->tok_pos, "expression nested too deeply");
        return;
    }
    switch (p->tok) {
    case TOK_NOT:
        p->depth++;
        next(p);
        parse_factor(p);
        p->depth--;
        emit(p, OP_NOT, 0);
        return;
    case TOK_LPAREN: {
        p->depth++;
        next(p);
        parse_or(p);
        p->depth--;
        if (p->tok == TOK_ERROR)
            return;
        if (p->tok != TOK_RPAREN) {
            fail(p, p->tok_pos, p->tok == TOK_REF
                 ? "expected an operator (\"&&\", \"||\", \"and\", \"or\") "
                   "or \")\""
                 : "expected \")\"");
            return;
        }
        next(p);
        return;
    }
    case TOK_REF: {
        size_t i = add_ref(p->e, p->text, p->g0, p->g1, p->s0, p->s1,
                           p->self_group);
        emit(p, OP_REF, i);
        next(p);
        return;
    }
    case TOK_END:
        fail(p, p->tok_pos, "expected group:service, \"!\", \"not\" or \"(\" "
             "but the expression ended");
        return;
    default:
        fail(p, p->tok_pos, "expected group:service, \"!\", \"not\" or \"(\"");
        return;
    }
}

static void
parse_and(struct parser *p)
{
    parse_factor(p);
    while (p->tok == TOK_AND) {
        next(p);
        parse_factor(p);
        emit(p, OP_AND, 0);
    }
}

static void
parse_or(struct parser *p)
{
    parse_and(p);
    while (p->tok == TOK_OR) {
        next(p);
        parse_and(p);
        emit(p, OP_OR, 0);
    }
}

/* Is text nothing but blank-separated group:service references (at least
 * two)?  Then *refs gets them and *warncol the second one's column. */
static bool
bare_list(const char *text, const char *self_group, struct depexpr *e,
          int *warncol)
{
    struct parser p = { .text = text, .self_group = self_group, .e = e };
    size_t n = 0;

    for (next(&p); p.tok == TOK_REF; next(&p)) {
        if (n == 1)
            *warncol = (int)p.tok_pos + 1;
        add_ref(e, text, p.g0, p.g1, p.s0, p.s1, self_group);
        n++;
    }
    return p.tok == TOK_END && n >= 2;
}

struct depexpr *
depexpr_compile(const char *text, const char *self_group, int *errcol,
                const char **errmsg, int *warncol)
{
    *errcol = 0;
    *errmsg = NULL;
    *warncol = 0;
    if (strlen(text) > DEPEXPR_MAX_LEN) {
        *errcol = DEPEXPR_MAX_LEN + 1;
        *errmsg = "expression too long (over 8192 characters)";
        return NULL;
    }

    struct depexpr *e = xcalloc(1, sizeof(*e));
    e->evaluable = true;
    struct parser p = { .text = text, .self_group = self_group, .e = e };
    next(&p);
    parse_or(&p);
    if (p.tok != TOK_END && p.tok != TOK_ERROR)
        fail(&p, p.tok_pos, p.tok == TOK_RPAREN
             ? "unbalanced \")\": expected an operator or the end"
             : "expected an operator (\"&&\", \"||\", \"and\", \"or\") "
               "or the end of the expression");
    if (p.errmsg == NULL)
        return e;

    /* mon substitutes references and hands the text to Perl's eval; a
     * bare list "a:b c:d" fails there and mon counts the dependencies as
     * OK.  Keep such a list (its references still serve "hm"). */
    depexpr_free(e);
    e = xcalloc(1, sizeof(*e));
    int wc = 0;
    if (bare_list(text, self_group, e, &wc)) {
        e->evaluable = false;
        *warncol = wc;
        return e;
    }
    depexpr_free(e);
    *errcol = (int)p.errpos + 1;
    *errmsg = p.errmsg;
    return NULL;
}

void
depexpr_free(struct depexpr *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->nrefs; i++) {
        free((char *)e->refs[i].group);
        free((char *)e->refs[i].service);
    }
    free(e->refs);
    free(e->code);
    free(e);
}

bool
depexpr_is_evaluable(const struct depexpr *e)
{
    return e->evaluable;
}

size_t
depexpr_nrefs(const struct depexpr *e)
{
    return e->nrefs;
}

struct depref
depexpr_ref(const struct depexpr *e, size_t i)
{
    return e->refs[i];
}

enum depexpr_result
depexpr_eval(const struct depexpr *e,
             bool (*up)(const struct depref *ref, void *ctx), void *ctx)
{
    if (!e->evaluable || e->ncode == 0)
        return DEPEXPR_ERROR;

    /* The stack never holds more values than there are REF ops. */
    bool *stack = xcalloc(e->nrefs ? e->nrefs : 1, sizeof(*stack));
    size_t sp = 0;
    for (size_t i = 0; i < e->ncode; i++) {
        switch (e->code[i].op) {
        case OP_REF:
            stack[sp++] = up(&e->refs[e->code[i].ref], ctx);
            break;
        case OP_NOT:
            stack[sp - 1] = !stack[sp - 1];
            break;
        case OP_AND:
            sp--;
            stack[sp - 1] = stack[sp - 1] && stack[sp];
            break;
        case OP_OR:
            sp--;
            stack[sp - 1] = stack[sp - 1] || stack[sp];
            break;
        }
    }
    bool v = stack[0];
    free(stack);
    return v ? DEPEXPR_TRUE : DEPEXPR_FALSE;
}
