/*
 * yamltree.h — a YAML document as a tree of nodes with positions.
 *
 * libyaml's event parser builds the tree; aliases are resolved to the
 * anchored node (shared, not copied) and merge keys (`<<: *defaults`,
 * `<<: [*a, *b]`) are expanded so a mapping lists its merged keys after
 * its own (own keys win).  Lines and columns are 1-based.  The tree owns
 * every node; yamltree_free() releases it.
 */
#ifndef MOND_YAMLTREE_H
#define MOND_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

enum ynode_kind { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING };

struct ynode;

struct ypair {
    struct ynode *key;          /* always a scalar */
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    int line, col;
    char *scalar;               /* YNODE_SCALAR: the text */
    bool plain;                 /* scalar was unquoted (null/bool detection) */
    bool verbatim;              /* its text is the file's bytes from col on
                                 * (one line, no escapes or folding) */
    struct ynode **items;       /* YNODE_SEQUENCE */
    size_t nitems, capitems;
    struct ypair *pairs;        /* YNODE_MAPPING */
    size_t npairs, cappairs;
    struct ynode *next_alloc;   /* every node, for freeing */
};

struct ytree {
    struct ynode *root;         /* NULL for an empty document */
    struct ynode *all;          /* allocation list */
};

/* Parse file at path.  Returns 0, or -1 with errors in errs
 * (path:line:col: what libyaml or the tree builder found). */
int yamltree_load(const char *path, struct ytree *t, struct diag_list *errs);
/* Same from memory; name is used in messages. */
int yamltree_load_string(const char *name, const char *text, size_t len,
                         struct ytree *t, struct diag_list *errs);
void yamltree_free(struct ytree *t);

/* Value for key in a mapping, or NULL. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* A plain scalar YAML reads as null: "", "~", "null", "Null", "NULL". */
bool ynode_is_null(const struct ynode *n);

#endif
