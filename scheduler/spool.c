/*
 * spool.c — the durable alert spool (see spool.h for layout and format).
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

struct spool {
    char *dir;                  /* STATEDIR/spool */
    char *corrupt_dir;          /* STATEDIR/spool/corrupt */
    unsigned seq;               /* id sequence within this process */
};

void
spool_record_init(struct spool_record *r)
{
    memset(r, 0, sizeof(*r));
}

void
spool_record_fini(struct spool_record *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->group);
    free(r->service);
    free(r->program);
    for (size_t i = 0; i < r->argc; i++)
        free(r->argv[i]);
    free(r->argv);
    for (size_t i = 0; i < r->envc; i++)
        free(r->env[i]);
    free(r->env);
    free(r->stdin_text);
    free(r->type);
    spool_record_init(r);
}

void
spool_records_free(struct spool_record *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        spool_record_fini(&recs[i]);
    free(recs);
}

int64_t
spool_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms)
{
    if (attempt == 0 || base_ms <= 0)
        return 0;
    int64_t d = base_ms;
    for (unsigned i = 1; i < attempt; i++) {
        if (d >= cap_ms || d > INT64_MAX / 2)
            return cap_ms;
        d *= 2;
    }
    return d < cap_ms ? d : cap_ms;
}

bool
spool_id_valid(const char *id)
{
    if (id == NULL || *id == '\0' || strlen(id) > 64 || *id == '-')
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

/* ---- encoding ---------------------------------------------------------- */

static void
put_escaped(FILE *f, const char *key, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    fputs(key, f);
    fputc(' ', f);
    for (const unsigned char *p = (const unsigned char *)(v ? v : "");
         *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '%') {
            fputc('%', f);
            fputc(hex[*p >> 4], f);
            fputc(hex[*p & 15], f);
        } else {
            fputc(*p, f);
        }
    }
    fputc('\n', f);
}

char *
spool_encode(const struct spool_record *rec)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) {
        fprintf(stderr, "mond: out of memory encoding a spool record\n");
        abort();
    }
    fprintf(f, "mond-spool %d\n", SPOOL_FORMAT_VERSION);
    put_escaped(f, "group", rec->group);
    put_escaped(f, "service", rec->service);
    put_escaped(f, "program", rec->program);
    put_escaped(f, "type", rec->type);
    fprintf(f, "attempts %u\n", rec->attempts);
    fprintf(f, "next_attempt_wall_ms %" PRId64 "\n", rec->next_attempt_wall_ms);
    fprintf(f, "first_spooled_wall_ms %" PRId64 "\n",
            rec->first_spooled_wall_ms);
    for (size_t i = 0; i < rec->argc; i++)
        put_escaped(f, "arg", rec->argv[i]);
    for (size_t i = 0; i < rec->envc; i++)
        put_escaped(f, "env", rec->env[i]);
    put_escaped(f, "stdin", rec->stdin_text);
    fputs("end\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "mond: out of memory encoding a spool record\n");
        abort();
    }
    return buf;
}

/* ---- decoding ---------------------------------------------------------- */

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Unescape n bytes of v; NULL when an escape is malformed or gives NUL. */
static char *
unescape(const char *v, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != '%') {
            out[o++] = v[i];
            continue;
        }
        if (i + 2 >= n) {
            free(out);
            return NULL;
        }
        int a = hexval(v[i + 1]), b = hexval(v[i + 2]);
        if (a < 0 || b < 0 || (a == 0 && b == 0)) {
            free(out);
            return NULL;
        }
        out[o++] = (char)(a * 16 + b);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

static bool
parse_int64(const char *v, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    char tmp[24];
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0' || x < lo || x > hi ||
        !((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-'))
        return false;
    *out = (int64_t)x;
    return true;
}

enum { K_GROUP, K_SERVICE, K_PROGRAM, K_TYPE, K_ATTEMPTS, K_NEXT, K_FIRST,
       K_STDIN, K_NKEYS };

static const char *const key_names[K_NKEYS] = {
    "group", "service", "program", "type", "attempts",
    "next_attempt_wall_ms", "first_spooled_wall_ms", "stdin",
};

int
spool_decode(const char *text, size_t len, struct spool_record *rec,
             int *line, char *err, size_t errlen)
{
    bool seen[K_NKEYS] = { false };
    bool ended = false;
    int ln = 0;
    const char *p = text, *end = text + len;
    size_t argcap = 0, envcap = 0;

    spool_record_init(rec);
    *line = 0;
    if (len > SPOOL_FILE_MAX) {
        snprintf(err, errlen, "file larger than %zu bytes", SPOOL_FILE_MAX);
        return -1;
    }
    if (memchr(text, '\0', len) != NULL) {
        snprintf(err, errlen, "file contains a NUL byte");
        goto fail_noline;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        ln++;
        if (nl == NULL) {
            snprintf(err, errlen, "last line has no newline (file cut short)");
            goto fail;
        }
        size_t n = (size_t)(nl - p);
        const char *sp = memchr(p, ' ', n);
        size_t klen = sp ? (size_t)(sp - p) : n;
        const char *v = sp ? sp + 1 : nl;
        size_t vlen = (size_t)(nl - v);

        if (ended) {
            snprintf(err, errlen, "text after \"end\"");
            goto fail;
        }
        if (ln == 1) {
            int64_t ver;
            if (klen != 10 || memcmp(p, "mond-spool", 10) != 0 ||
                !parse_int64(v, vlen, 0, 1000000, &ver)) {
                snprintf(err, errlen, "expected \"mond-spool %d\"",
                         SPOOL_FORMAT_VERSION);
                goto fail;
            }
            if (ver != SPOOL_FORMAT_VERSION) {
                snprintf(err, errlen, "unsupported spool format version "
                         "%" PRId64 " (this mond reads %d)", ver,
                         SPOOL_FORMAT_VERSION);
                goto fail;
            }
            p = nl + 1;
            continue;
        }
        if (klen == 3 && memcmp(p, "end", 3) == 0 && sp == NULL) {
            ended = true;
            p = nl + 1;
            continue;
        }
        if (sp == NULL) {
            snprintf(err, errlen, "expected \"key value\"");
            goto fail;
        }
        bool is_arg = klen == 3 && memcmp(p, "arg", 3) == 0;
        bool is_env = klen == 3 && memcmp(p, "env", 3) == 0;
        if (is_arg || is_env) {
            size_t *cnt = is_arg ? &rec->argc : &rec->envc;
            if (*cnt >= SPOOL_LIST_MAX) {
                snprintf(err, errlen, "more than %d %s lines",
                         SPOOL_LIST_MAX, is_arg ? "arg" : "env");
                goto fail;
            }
            char *s = unescape(v, vlen);
            if (s == NULL) {
                snprintf(err, errlen, "bad %%XX escape in %s", p[0] == 'a'
                         ? "arg" : "env");
                goto fail;
            }
            if (is_env && strchr(s, '=') == NULL) {
                free(s);
                snprintf(err, errlen, "env value without '='");
                goto fail;
            }
            char ***arr = is_arg ? &rec->argv : &rec->env;
            size_t *cap = is_arg ? &argcap : &envcap;
            xgrow((void **)arr, cap, *cnt + 1, sizeof(char *));
            (*arr)[(*cnt)++] = s;
            p = nl + 1;
            continue;
        }
        int k;
        for (k = 0; k < K_NKEYS; k++)
            if (strlen(key_names[k]) == klen &&
                memcmp(key_names[k], p, klen) == 0)
                break;
        if (k == K_NKEYS) {
            snprintf(err, errlen, "unknown key \"%.*s\"",
                     (int)(klen > 40 ? 40 : klen), p);
            goto fail;
        }
        if (seen[k]) {
            snprintf(err, errlen, "duplicate key \"%s\"", key_names[k]);
            goto fail;
        }
        seen[k] = true;
        int64_t x;
        char *s = NULL;
        switch (k) {
        case K_ATTEMPTS:
            if (!parse_int64(v, vlen, 0, 1000000000, &x)) {
                snprintf(err, errlen, "attempts: expected a count");
                goto fail;
            }
            rec->attempts = (unsigned)x;
            break;
        case K_NEXT:
        case K_FIRST:
            if (!parse_int64(v, vlen, 0, INT64_MAX, &x)) {
                snprintf(err, errlen, "%s: expected milliseconds since the "
                         "epoch", key_names[k]);
                goto fail;
            }
            if (k == K_NEXT)
                rec->next_attempt_wall_ms = x;
            else
                rec->first_spooled_wall_ms = x;
            break;
        default:
            s = unescape(v, vlen);
            if (s == NULL) {
                snprintf(err, errlen, "bad %%XX escape in %s", key_names[k]);
                goto fail;
            }
            char **dst = k == K_GROUP ? &rec->group :
                         k == K_SERVICE ? &rec->service :
                         k == K_PROGRAM ? &rec->program :
                         k == K_TYPE ? &rec->type : &rec->stdin_text;
            *dst = s;
            break;
        }
        p = nl + 1;
    }
    if (ln == 0) {
        snprintf(err, errlen, "empty file");
        goto fail_noline;
    }
    for (int k = 0; k < K_NKEYS; k++)
        if (!seen[k]) {
            snprintf(err, errlen, "missing key \"%s\"", key_names[k]);
            goto fail_noline;
        }
    if (!ended) {
        snprintf(err, errlen, "no \"end\" line (file cut short)");
        goto fail_noline;
    }
    if (rec->program[0] == '\0') {
        snprintf(err, errlen, "empty program");
        goto fail_noline;
    }
    return 0;
fail:
    *line = ln;
    spool_record_fini(rec);
    return -1;
fail_noline:
    *line = 0;
    spool_record_fini(rec);
    return -1;
}

/* ---- files ------------------------------------------------------------- */

static int
mkdir_p1(const char *path, struct diag_list *dl)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        if (errno == EEXIST)
            errno = ENOTDIR;
    }
    int e = errno;
    diag_add(dl, DIAG_ERROR, path, 0, 0, "cannot create spool directory: %s",
             strerror(e));
    errno = e;
    return -1;
}

struct spool *
spool_open(const char *statedir, struct diag_list *dl)
{
    struct spool *sp = xcalloc(1, sizeof(*sp));
    sp->dir = xasprintf("%s/%s", statedir, SPOOL_DIR);
    sp->corrupt_dir = xasprintf("%s/%s", sp->dir, SPOOL_CORRUPT_DIR);
    if (mkdir_p1(sp->dir, dl) != 0 || mkdir_p1(sp->corrupt_dir, dl) != 0) {
        int e = errno;
        spool_close(sp);
        errno = e;
        return NULL;
    }
    return sp;
}

void
spool_close(struct spool *sp)
{
    if (sp == NULL)
        return;
    free(sp->dir);
    free(sp->corrupt_dir);
    free(sp);
}

const char *
spool_dir(const struct spool *sp)
{
    return sp->dir;
}

static int64_t
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
write_record(struct spool *sp, const char *id, const struct spool_record *rec,
             struct diag_list *dl)
{
    char *path = xasprintf("%s/%s", sp->dir, id);
    char *text = spool_encode(rec);
    struct atomicfile_err aerr;
    int rc = atomicfile_write(path, text, strlen(text), 0600, &aerr);
    int e = errno;
    if (rc != 0) {
        char msg[512];
        atomicfile_err_format(&aerr, path, msg, sizeof(msg));
        diag_add(dl, DIAG_ERROR, NULL, 0, 0, "spool: %s", msg);
    }
    free(text);
    free(path);
    errno = e;
    return rc;
}

char *
spool_put(struct spool *sp, const struct spool_record *rec,
          struct diag_list *dl)
{
    if (rec->program == NULL || rec->program[0] == '\0' ||
        rec->argc > SPOOL_LIST_MAX || rec->envc > SPOOL_LIST_MAX) {
        diag_add(dl, DIAG_ERROR, NULL, 0, 0, "spool: refusing a record "
                 "without a program or with over %d args or env entries",
                 SPOOL_LIST_MAX);
        errno = EINVAL;
        return NULL;
    }
    int64_t ms = rec->first_spooled_wall_ms > 0 ? rec->first_spooled_wall_ms
                                                : wall_ms();
    char *id = NULL;
    /* Unique within this process by seq; the existence check covers a
     * previous process with the same pid (a restart, pids recycled). */
    for (int tries = 0; tries < 1000; tries++) {
        free(id);
        id = xasprintf("%013" PRId64 "-%ld-%u", ms, (long)getpid(),
                       sp->seq++);
        char *path = xasprintf("%s/%s", sp->dir, id);
        int exists = access(path, F_OK) == 0;
        free(path);
        if (!exists)
            break;
    }
    struct spool_record copy = *rec;        /* shallow: strings borrowed */
    copy.first_spooled_wall_ms = ms;
    if (write_record(sp, id, &copy, dl) != 0) {
        int e = errno;
        free(id);
        errno = e;
        return NULL;
    }
    return id;
}

int
spool_done(struct spool *sp, const char *id, struct diag_list *dl)
{
    if (!spool_id_valid(id)) {
        diag_add(dl, DIAG_ERROR, NULL, 0, 0, "spool: bad id \"%s\"", id);
        errno = EINVAL;
        return -1;
    }
    char *path = xasprintf("%s/%s", sp->dir, id);
    int rc = unlink(path);
    const char *step = "unlink";
    if (rc == 0) {
        rc = atomicfile_sync_dir(path);
        step = "fsync directory of";
    }
    int e = errno;
    if (rc != 0)
        diag_add(dl, DIAG_ERROR, NULL, 0, 0, "spool: %s %s: %s", step, path,
                 strerror(e));
    free(path);
    errno = e;
    return rc;
}

/* Read a whole spool file, at most SPOOL_FILE_MAX + 1 bytes. */
static char *
read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    size_t cap = SPOOL_FILE_MAX + 2, n = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            free(buf);
            errno = e;
            return NULL;
        }
        if (r == 0 || (n += (size_t)r) >= cap - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int
load_one(struct spool *sp, const char *id, struct spool_record *rec,
         int *line, char *err, size_t errlen)
{
    char *path = xasprintf("%s/%s", sp->dir, id);
    size_t len = 0;
    char *text = read_file(path, &len);
    int rc;
    int e = 0;
    if (text == NULL) {
        e = errno;
        snprintf(err, errlen, "cannot read: %s", strerror(e));
        *line = 0;
        rc = -1;
    } else {
        rc = spool_decode(text, len, rec, line, err, errlen);
        e = EBADMSG;
    }
    free(text);
    free(path);
    if (rc == 0)
        rec->id = xstrdup(id);
    else
        errno = e;
    return rc;
}

int
spool_reschedule(struct spool *sp, const char *id, unsigned attempts,
                 int64_t next_attempt_wall_ms, struct diag_list *dl)
{
    struct spool_record rec;
    char err[256];
    int line;

    if (!spool_id_valid(id)) {
        diag_add(dl, DIAG_ERROR, NULL, 0, 0, "spool: bad id \"%s\"", id);
        errno = EINVAL;
        return -1;
    }
    if (load_one(sp, id, &rec, &line, err, sizeof(err)) != 0) {
        int e = errno;
        char *path = xasprintf("%s/%s", sp->dir, id);
        diag_add(dl, DIAG_ERROR, path, line, 0, "cannot reschedule: %s", err);
        free(path);
        errno = e;
        return -1;
    }
    rec.attempts = attempts;
    rec.next_attempt_wall_ms = next_attempt_wall_ms;
    int rc = write_record(sp, id, &rec, dl);
    int e = errno;
    spool_record_fini(&rec);
    errno = e;
    return rc;
}

/* Move spool/NAME to spool/corrupt/NAME (or NAME.N when taken). */
static void
set_aside(struct spool *sp, const char *name, const char *why, int line,
          struct diag_list *dl)
{
    char *from = xasprintf("%s/%s", sp->dir, name);
    char *to = NULL;
    for (int i = 0; i < 1000; i++) {
        free(to);
        to = i == 0 ? xasprintf("%s/%s", sp->corrupt_dir, name)
                    : xasprintf("%s/%s.%d", sp->corrupt_dir, name, i);
        if (access(to, F_OK) != 0)
            break;
    }
    if (rename(from, to) == 0) {
        atomicfile_sync_dir(to);
        atomicfile_sync_dir(from);
        diag_add(dl, DIAG_WARNING, from, line, 0,
                 "unreadable spooled alert (%s); moved to %s", why, to);
    } else {
        diag_add(dl, DIAG_ERROR, from, line, 0,
                 "unreadable spooled alert (%s); could not move it to %s: %s",
                 why, to, strerror(errno));
    }
    free(from);
    free(to);
}

static int
rec_cmp(const void *a, const void *b)
{
    const struct spool_record *x = a, *y = b;
    if (x->next_attempt_wall_ms != y->next_attempt_wall_ms)
        return x->next_attempt_wall_ms < y->next_attempt_wall_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

int
spool_load_all(struct spool *sp, struct spool_record **out, size_t *n,
               struct diag_list *dl)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(sp->dir);
    if (d == NULL) {
        int e = errno;
        diag_add(dl, DIAG_ERROR, sp->dir, 0, 0, "cannot read spool: %s",
                 strerror(e));
        errno = e;
        return -1;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
            strcmp(name, SPOOL_CORRUPT_DIR) == 0)
            continue;
        const char *tmp = strstr(name, ".tmp.");
        if (tmp != NULL && tmp != name) {
            /* A write interrupted before its rename: never committed. */
            char *path = xasprintf("%s/%s", sp->dir, name);
            if (unlink(path) == 0)
                diag_add(dl, DIAG_WARNING, path, 0, 0,
                         "removed the temp file of an interrupted write");
            free(path);
            continue;
        }
        char err[256];
        int line = 0;
        struct spool_record rec;
        if (!spool_id_valid(name)) {
            set_aside(sp, name, "not a spool file name", 0, dl);
            continue;
        }
        if (load_one(sp, name, &rec, &line, err, sizeof(err)) != 0) {
            set_aside(sp, name, err, line, dl);
            continue;
        }
        xgrow((void **)out, &cap, *n + 1, sizeof(**out));
        (*out)[(*n)++] = rec;
    }
    closedir(d);
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), rec_cmp);
    return 0;
}
