/*
 * yamltree.c — libyaml events to a positioned node tree (see yamltree.h).
 *
 * Anchors are kept in a small table while one document is read; an alias
 * points at the anchored node.  Merge keys are expanded when a mapping
 * ends, so consumers never see "<<".  Only the first document of a
 * stream is used; a second one is an error, since a config is one model.
 */
#include "yamltree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "xalloc.h"

#define YAMLTREE_MAX_DEPTH 64
#define YAMLTREE_MAX_NODES 1000000

struct anchor {
    char *name;
    struct ynode *node;
};

struct builder {
    const char *name;
    struct ytree *t;
    struct diag_list *errs;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    struct ynode *stack[YAMLTREE_MAX_DEPTH];
    struct ynode *pending_key[YAMLTREE_MAX_DEPTH];
    int depth;
    size_t nnodes;
    int failed;
};

static struct ynode *
node_new(struct builder *b, enum ynode_kind kind, yaml_mark_t mark)
{
    struct ynode *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->line = (int)mark.line + 1;
    n->col = (int)mark.column + 1;
    n->next_alloc = b->t->all;
    b->t->all = n;
    b->nnodes++;
    return n;
}

static void
anchor_add(struct builder *b, const unsigned char *name, struct ynode *n)
{
    if (name == NULL)
        return;
    /* A re-used anchor name refers to the newest definition (YAML 1.2). */
    xgrow((void **)&b->anchors, &b->capanchors, b->nanchors + 1,
          sizeof(*b->anchors));
    b->anchors[b->nanchors].name = xstrdup((const char *)name);
    b->anchors[b->nanchors].node = n;
    b->nanchors++;
}

static struct ynode *
anchor_find(struct builder *b, const unsigned char *name)
{
    for (size_t i = b->nanchors; i > 0; i--)
        if (strcmp(b->anchors[i - 1].name, (const char *)name) == 0)
            return b->anchors[i - 1].node;
    return NULL;
}

static void
seq_push(struct ynode *seq, struct ynode *item)
{
    xgrow((void **)&seq->items, &seq->capitems, seq->nitems + 1,
          sizeof(*seq->items));
    seq->items[seq->nitems++] = item;
}

static void
map_push(struct ynode *map, struct ynode *key, struct ynode *value)
{
    xgrow((void **)&map->pairs, &map->cappairs, map->npairs + 1,
          sizeof(*map->pairs));
    map->pairs[map->npairs].key = key;
    map->pairs[map->npairs].value = value;
    map->npairs++;
}

static bool
map_has(const struct ynode *map, const char *key, size_t upto)
{
    for (size_t i = 0; i < upto; i++)
        if (strcmp(map->pairs[i].key->scalar, key) == 0)
            return true;
    return false;
}

/* Expand "<<" entries of a finished mapping: own keys first, then keys of
 * the merged mappings that the mapping does not define itself. */
static void
merge_keys(struct builder *b, struct ynode *map)
{
    size_t n = map->npairs;
    struct ypair *own = map->pairs;
    struct ynode **merges = NULL;
    size_t nmerges = 0, capmerges = 0;
    map->pairs = NULL;
    map->npairs = map->cappairs = 0;
    for (size_t i = 0; i < n; i++) {
        if (own[i].key->plain && strcmp(own[i].key->scalar, "<<") == 0) {
            struct ynode *v = own[i].value;
            struct ynode **src = &v;
            size_t ns = 1;
            if (v->kind == YNODE_SEQUENCE) {
                src = v->items;
                ns = v->nitems;
            }
            for (size_t j = 0; j < ns; j++) {
                if (src[j]->kind != YNODE_MAPPING) {
                    diag_add(b->errs, DIAG_ERROR, b->name, src[j]->line,
                             src[j]->col,
                             "a merge key (<<) takes a mapping or a list of "
                             "mappings");
                    b->failed = 1;
                    continue;
                }
                xgrow((void **)&merges, &capmerges, nmerges + 1, sizeof(*merges));
                merges[nmerges++] = src[j];
            }
            continue;
        }
        map_push(map, own[i].key, own[i].value);
    }
    for (size_t m = 0; m < nmerges; m++)
        for (size_t i = 0; i < merges[m]->npairs; i++)
            /* Own keys win; among merged maps the first one listed wins. */
            if (!map_has(map, merges[m]->pairs[i].key->scalar, map->npairs))
                map_push(map, merges[m]->pairs[i].key,
                         merges[m]->pairs[i].value);
    free(merges);
    free(own);
}

/* Attach a finished node to its parent (or make it the root). */
static void
attach(struct builder *b, struct ynode *n)
{
    if (b->depth == 0) {
        b->t->root = n;
        return;
    }
    struct ynode *parent = b->stack[b->depth - 1];
    if (parent->kind == YNODE_SEQUENCE) {
        seq_push(parent, n);
        return;
    }
    struct ynode **key = &b->pending_key[b->depth - 1];
    if (*key == NULL) {
        if (n->kind != YNODE_SCALAR) {
            diag_add(b->errs, DIAG_ERROR, b->name, n->line, n->col,
                     "a mapping key must be a plain value, not a %s",
                     n->kind == YNODE_MAPPING ? "mapping" : "list");
            b->failed = 1;
            /* Keep the structure consistent: use a placeholder key. */
            n = node_new(b, YNODE_SCALAR, (yaml_mark_t){0});
            n->scalar = xstrdup("?");
        }
        if (map_has(parent, n->scalar, parent->npairs)) {
            diag_add(b->errs, DIAG_ERROR, b->name, n->line, n->col,
                     "duplicate key \"%s\"", n->scalar);
            b->failed = 1;
        }
        *key = n;
        return;
    }
    map_push(parent, *key, n);
    *key = NULL;
}

static int
push(struct builder *b, struct ynode *n)
{
    if (b->depth >= YAMLTREE_MAX_DEPTH) {
        diag_add(b->errs, DIAG_ERROR, b->name, n->line, n->col,
                 "nesting deeper than %d levels", YAMLTREE_MAX_DEPTH);
        return -1;
    }
    b->stack[b->depth] = n;
    b->pending_key[b->depth] = NULL;
    b->depth++;
    return 0;
}

static int
build(struct builder *b, yaml_parser_t *p)
{
    int docs = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            diag_add(b->errs, DIAG_ERROR, b->name, (int)p->problem_mark.line + 1,
                     (int)p->problem_mark.column + 1, "%s%s%s",
                     p->problem ? p->problem : "YAML syntax error",
                     p->context ? " " : "", p->context ? p->context : "");
            return -1;
        }
        yaml_event_type_t type = ev.type;
        struct ynode *n = NULL;
        int rc = 0;
        switch (type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                diag_add(b->errs, DIAG_ERROR, b->name,
                         (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "a second YAML document; a config is one document");
                rc = -1;
            }
            break;
        case YAML_SCALAR_EVENT:
            n = node_new(b, YNODE_SCALAR, ev.start_mark);
            n->scalar = xstrndup((const char *)ev.data.scalar.value,
                                 ev.data.scalar.length);
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            /* Quoted on one line with no escapes: the text starts one
             * column after the quote, so positions inside it are exact. */
            if (ev.start_mark.line == ev.end_mark.line) {
                size_t span = ev.end_mark.column - ev.start_mark.column;
                if (n->plain && span == ev.data.scalar.length)
                    n->verbatim = true;
                else if (!n->plain &&
                         (ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                          ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) &&
                         span == ev.data.scalar.length + 2) {
                    n->verbatim = true;
                    n->col++;
                }
            }
            anchor_add(b, ev.data.scalar.anchor, n);
            attach(b, n);
            break;
        case YAML_ALIAS_EVENT:
            n = anchor_find(b, ev.data.alias.anchor);
            if (n == NULL) {
                diag_add(b->errs, DIAG_ERROR, b->name,
                         (int)ev.start_mark.line + 1,
                         (int)ev.start_mark.column + 1,
                         "unknown anchor \"*%s\"", ev.data.alias.anchor);
                rc = -1;
            } else
                attach(b, n);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            n = node_new(b, type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQUENCE
                                                              : YNODE_MAPPING,
                         ev.start_mark);
            anchor_add(b, type == YAML_SEQUENCE_START_EVENT
                              ? ev.data.sequence_start.anchor
                              : ev.data.mapping_start.anchor, n);
            rc = push(b, n);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            n = b->stack[--b->depth];
            if (n->kind == YNODE_MAPPING)
                merge_keys(b, n);
            attach(b, n);
            break;
        case YAML_STREAM_END_EVENT:
            yaml_event_delete(&ev);
            return b->failed ? -1 : 0;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc != 0)
            return -1;
        if (b->nnodes > YAMLTREE_MAX_NODES) {
            diag_add(b->errs, DIAG_ERROR, b->name, 0, 0,
                     "more than %d YAML nodes", YAMLTREE_MAX_NODES);
            return -1;
        }
    }
}

static int
load(const char *name, yaml_parser_t *p, struct ytree *t, struct diag_list *errs)
{
    struct builder b = {.name = name, .t = t, .errs = errs};
    int rc = build(&b, p);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (rc != 0) {
        yamltree_free(t);
        return -1;
    }
    return 0;
}

int
yamltree_load_string(const char *name, const char *text, size_t len,
                     struct ytree *t, struct diag_list *errs)
{
    yaml_parser_t p;
    memset(t, 0, sizeof(*t));
    if (!yaml_parser_initialize(&p))
        abort();
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = load(name, &p, t, errs);
    yaml_parser_delete(&p);
    return rc;
}

int
yamltree_load(const char *path, struct ytree *t, struct diag_list *errs)
{
    memset(t, 0, sizeof(*t));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot open: %s",
                 strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        abort();
    yaml_parser_set_input_file(&p, f);
    int rc = load(path, &p, t, errs);
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}

void
yamltree_free(struct ytree *t)
{
    struct ynode *n = t->all;
    while (n != NULL) {
        struct ynode *next = n->next_alloc;
        free(n->scalar);
        free(n->items);
        free(n->pairs);
        free(n);
        n = next;
    }
    memset(t, 0, sizeof(*t));
}

struct ynode *
ynode_get(const struct ynode *map, const char *key)
{
    if (map == NULL || map->kind != YNODE_MAPPING)
        return NULL;
    for (size_t i = 0; i < map->npairs; i++)
        if (strcmp(map->pairs[i].key->scalar, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

bool
ynode_is_null(const struct ynode *n)
{
    if (n == NULL)
        return true;
    if (n->kind != YNODE_SCALAR || !n->plain)
        return false;
    return n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
           strcmp(n->scalar, "null") == 0 || strcmp(n->scalar, "Null") == 0 ||
           strcmp(n->scalar, "NULL") == 0;
}
