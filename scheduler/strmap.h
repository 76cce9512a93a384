/*
 * strmap.h — a small string-keyed hash map (open addressing, linear
 * probing, FNV-1a), for look-ups that many services share: a program
 * name resolved once for every service that runs it.  Keys are copied;
 * values are the caller's.
 */
#ifndef MOND_STRMAP_H
#define MOND_STRMAP_H

#include <stddef.h>

struct strmap_ent {
    char *key;                  /* NULL: free slot */
    void *val;
};

struct strmap {
    struct strmap_ent *v;
    size_t cap, n;
};

#define STRMAP_INIT { NULL, 0, 0 }

/* The entry for key; added with val NULL if absent.  The pointer is good
 * until the next strmap_get (the table may grow). */
struct strmap_ent *strmap_get(struct strmap *m, const char *key);
/* The entry for key, or NULL. */
struct strmap_ent *strmap_find(const struct strmap *m, const char *key);
/* Free the keys, each value with free_val (if not NULL), the table. */
void strmap_fini(struct strmap *m, void (*free_val)(void *));

#endif
