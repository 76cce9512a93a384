/*
 * fuzz_yamltree.c — the YAML tree builder, yamltree_load_string()
 * (libyaml events, anchors and aliases, merge keys).
 *
 * Checks: 0 with a tree and no error, or -1 with at least one error
 * pointing inside the input; every node has a kind, a 1-based position
 * inside the input, a scalar text when it is a scalar, scalar keys;
 * ynode_get() finds every key of a mapping.  The walk is bounded (an
 * alias shares its node, so the tree is a DAG and could be wide).
 */
#include "fuzz.h"
#include "yamltree.h"

#define WALK_BUDGET 200000
#define WALK_DEPTH 400

struct walk {
    size_t size, breaks;
    long budget;
};

static void
walk(struct walk *w, const struct ynode *n, int depth)
{
    if (depth > WALK_DEPTH || --w->budget < 0)
        return;
    FUZZ_CHECK(n != NULL, "NULL node");
    FUZZ_CHECK(n->line >= 1 && (size_t)n->line <= w->breaks + 2,
               "node line %d (%zu line breaks)", n->line, w->breaks);
    FUZZ_CHECK(n->col >= 1 && (size_t)n->col <= w->size + 1,
               "node column %d (%zu bytes)", n->col, w->size);
    switch (n->kind) {
    case YNODE_SCALAR:
        FUZZ_CHECK(n->scalar != NULL, "scalar without text at %d:%d",
                   n->line, n->col);
        (void)ynode_is_null(n);
        break;
    case YNODE_SEQUENCE:
        FUZZ_CHECK(n->nitems <= n->capitems, "nitems > capitems");
        for (size_t i = 0; i < n->nitems; i++)
            walk(w, n->items[i], depth + 1);
        break;
    case YNODE_MAPPING:
        FUZZ_CHECK(n->npairs <= n->cappairs, "npairs > cappairs");
        for (size_t i = 0; i < n->npairs && w->budget > 0; i++) {
            const struct ypair *p = &n->pairs[i];
            FUZZ_CHECK(p->key != NULL && p->key->kind == YNODE_SCALAR &&
                       p->key->scalar != NULL, "key %zu not a scalar at "
                       "%d:%d", i, n->line, n->col);
            FUZZ_CHECK(p->value != NULL, "key %s without value",
                       p->key->scalar);
            FUZZ_CHECK(ynode_get(n, p->key->scalar) != NULL,
                       "ynode_get misses key \"%s\"", p->key->scalar);
            walk(w, p->key, depth + 1);
            walk(w, p->value, depth + 1);
        }
        break;
    default:
        FUZZ_CHECK(false, "node kind %d", (int)n->kind);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *text = fuzz_copy(data, size);
    struct diag_list errs;
    struct ytree t;
    diag_list_init(&errs);

    int rc = yamltree_load_string("fuzz.yaml", text, size, &t, &errs);
    fuzz_check_diags(&errs, "fuzz.yaml", text, size, false);
    if (rc < 0) {
        FUZZ_CHECK(diag_count(&errs, DIAG_ERROR) > 0, "-1 without error");
        FUZZ_CHECK(t.root == NULL && t.all == NULL, "tree left after -1");
    } else {
        FUZZ_CHECK(rc == 0, "rc %d", rc);
        FUZZ_CHECK(diag_count(&errs, DIAG_ERROR) == 0, "0 with %zu errors",
                   diag_count(&errs, DIAG_ERROR));
        struct walk w = { .size = size, .budget = WALK_BUDGET };
        for (size_t i = 0; i < size; i++)
            if (text[i] == '\n' || text[i] == '\r' ||
                (unsigned char)text[i] == 0x85 ||
                (unsigned char)text[i] == 0xe2)
                w.breaks++;
        if (t.root != NULL)
            walk(&w, t.root, 0);
        yamltree_free(&t);
    }
    diag_list_fini(&errs);
    free(text);
    return 0;
}
