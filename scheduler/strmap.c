/*
 * strmap.c — see strmap.h.
 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot of key, or the free slot where it goes (cap > n). */
static size_t
slot(const struct strmap *m, const char *key)
{
    size_t i = (size_t)(hash(key) & (m->cap - 1));

    while (m->v[i].key != NULL && strcmp(m->v[i].key, key) != 0)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static void
grow(struct strmap *m)
{
    struct strmap g = { NULL, m->cap != 0 ? m->cap * 2 : 16, m->n };

    g.v = xcalloc(g.cap, sizeof *g.v);
    for (size_t k = 0; k < m->cap; k++)
        if (m->v[k].key != NULL)
            g.v[slot(&g, m->v[k].key)] = m->v[k];
    free(m->v);
    *m = g;
}

struct strmap_ent *
strmap_find(const struct strmap *m, const char *key)
{
    size_t i;

    if (m->cap == 0)
        return NULL;
    i = slot(m, key);
    return m->v[i].key != NULL ? &m->v[i] : NULL;
}

struct strmap_ent *
strmap_get(struct strmap *m, const char *key)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    i = slot(m, key);
    if (m->v[i].key == NULL) {
        m->v[i].key = xstrdup(key);
        m->v[i].val = NULL;
        m->n++;
    }
    return &m->v[i];
}

void
strmap_fini(struct strmap *m, void (*free_val)(void *))
{
    for (size_t k = 0; k < m->cap; k++) {
        if (m->v[k].key == NULL)
            continue;
        free(m->v[k].key);
        if (free_val != NULL)
            free_val(m->v[k].val);
    }
    free(m->v);
    m->v = NULL;
    m->cap = m->n = 0;
}
