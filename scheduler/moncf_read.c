/*
 * moncf_read.c — reading mon.cf: the file or m4's output, logical lines
 * with per-character positions, and mon's shell-like word splitting.
 * The only I/O of the mon.cf front-end lives here.
 */
#include "moncf_read.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

extern char **environ;

/* m4 gets this long to finish; a config that takes longer is broken. */
#define MONCF_M4_TIMEOUT_MS 30000
#define MONCF_M4_STDERR_MAX 65536

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* ---- input ------------------------------------------------------------ */

static int
read_file(struct moncf_src *src, const char *path, struct diag_list *errs)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot open: %s",
                 strerror(errno));
        return -1;
    }
    size_t cap = 0, len = 0;
    char *buf = NULL;
    for (;;) {
        xgrow((void **)&buf, &cap, len + 65536, 1);
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot read: %s",
                     strerror(errno));
            free(buf);
            (void)close(fd);
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > MONCF_MAX_BYTES) {
            diag_add(errs, DIAG_ERROR, path, 0, 0,
                     "file is larger than %u bytes", MONCF_MAX_BYTES);
            free(buf);
            (void)close(fd);
            return -1;
        }
    }
    if (close(fd) < 0) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot read: %s",
                 strerror(errno));
        free(buf);
        return -1;
    }
    src->buf = buf;
    src->len = len;
    return 0;
}

static int64_t
mono_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Turn m4's stderr ("m4:FILE:LINE: MSG" or free text) into diagnostics. */
static void
m4_errors(const char *path, const char *text, struct diag_list *errs)
{
    const char *s = text;
    bool any = false;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *ln = xstrndup(s, n);
        char file[512];
        int line = 0, used = 0;
        if (n > 0) {
            if (sscanf(ln, "m4:%511[^:]:%d: %n", file, &line, &used) >= 2
                && used > 0)
                diag_add(errs, DIAG_ERROR, file, line, 0, "m4: %s",
                         ln + used);
            else
                diag_add(errs, DIAG_ERROR, path, 0, 0, "%s", ln);
            any = true;
        }
        free(ln);
        s += n;
        if (*s == '\n')
            s++;
    }
    if (!any)
        diag_add(errs, DIAG_ERROR, path, 0, 0, "m4 failed");
}

/* Run "m4 -s -- path" and keep its standard output (bounded) as the input.
 * Both pipes are drained with poll() so neither can fill and block m4. */
static int
run_m4(struct moncf_src *src, const char *path, struct diag_list *errs)
{
    int outp[2], errp[2];
    if (pipe2(outp, O_CLOEXEC) < 0) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "m4: pipe: %s",
                 strerror(errno));
        return -1;
    }
    if (pipe2(errp, O_CLOEXEC) < 0) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "m4: pipe: %s",
                 strerror(errno));
        (void)close(outp[0]);
        (void)close(outp[1]);
        return -1;
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    int rc;
    pid_t pid = -1;
    (void)sigemptyset(&none);
    (void)sigfillset(&all);
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
        goto spawn_failed_nofa;
    if ((rc = posix_spawnattr_init(&attr)) != 0) {
        (void)posix_spawn_file_actions_destroy(&fa);
        goto spawn_failed_nofa;
    }
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
                                               O_RDONLY, 0)) != 0
        || (rc = posix_spawn_file_actions_adddup2(&fa, outp[1], 1)) != 0
        || (rc = posix_spawn_file_actions_adddup2(&fa, errp[1], 2)) != 0
        || (rc = posix_spawnattr_setsigmask(&attr, &none)) != 0
        || (rc = posix_spawnattr_setsigdefault(&attr, &all)) != 0
        || (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK
                                          | POSIX_SPAWN_SETSIGDEF)) != 0)
        goto spawn_done;
    {
        char *argv[] = {(char *)"m4", (char *)"-s", (char *)"--",
                        (char *)path, NULL};
        rc = posix_spawnp(&pid, "m4", &fa, &attr, argv, environ);
    }
spawn_done:
    (void)posix_spawn_file_actions_destroy(&fa);
    (void)posix_spawnattr_destroy(&attr);
spawn_failed_nofa:
    (void)close(outp[1]);
    (void)close(errp[1]);
    if (rc != 0) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot run m4: %s",
                 strerror(rc));
        (void)close(outp[0]);
        (void)close(errp[0]);
        return -1;
    }

    char *out = NULL, *err = NULL;
    size_t outcap = 0, outlen = 0, errcap = 0, errlen = 0;
    bool too_big = false, timed_out = false, io_error = false;
    struct pollfd pfd[2] = {{.fd = outp[0], .events = POLLIN},
                            {.fd = errp[0], .events = POLLIN}};
    int64_t deadline = mono_ms() + MONCF_M4_TIMEOUT_MS;
    xgrow((void **)&err, &errcap, 1, 1);
    err[0] = '\0';
    while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(pfd, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            io_error = true;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].fd < 0 || pfd[i].revents == 0)
                continue;
            char chunk[16384];
            ssize_t r = read(pfd[i].fd, chunk, sizeof(chunk));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                if (r < 0)
                    io_error = true;
                (void)close(pfd[i].fd);
                pfd[i].fd = -1;
                continue;
            }
            if (i == 0) {
                if (outlen + (size_t)r > MONCF_MAX_BYTES) {
                    too_big = true;
                    break;
                }
                xgrow((void **)&out, &outcap, outlen + (size_t)r + 1, 1);
                memcpy(out + outlen, chunk, (size_t)r);
                outlen += (size_t)r;
            } else if (errlen + (size_t)r < MONCF_M4_STDERR_MAX) {
                xgrow((void **)&err, &errcap, errlen + (size_t)r + 1, 1);
                memcpy(err + errlen, chunk, (size_t)r);
                errlen += (size_t)r;
                err[errlen] = '\0';
            }
        }
        if (too_big || io_error)
            break;
    }
    for (int i = 0; i < 2; i++)
        if (pfd[i].fd >= 0)
            (void)close(pfd[i].fd);
    if (too_big || timed_out || io_error)
        (void)kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            io_error = true;
            break;
        }
    }

    int ret = 0;
    if (timed_out) {
        diag_add(errs, DIAG_ERROR, path, 0, 0,
                 "m4 did not finish within %d s", MONCF_M4_TIMEOUT_MS / 1000);
        ret = -1;
    } else if (too_big) {
        diag_add(errs, DIAG_ERROR, path, 0, 0,
                 "m4 output is larger than %u bytes", MONCF_MAX_BYTES);
        ret = -1;
    } else if (io_error) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "reading m4 output: %s",
                 strerror(errno));
        ret = -1;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        m4_errors(path, err, errs);
        ret = -1;
    }
    free(err);
    if (ret < 0) {
        free(out);
        return -1;
    }
    src->buf = out;
    src->len = outlen;
    src->m4_sync = true;
    src->main_file = path;
    return 0;
}

int
moncf_src_open(struct moncf_src *src, const char *path, bool use_m4,
               struct diag_list *errs)
{
    memset(src, 0, sizeof(*src));
    src->next_line = 1;
    return use_m4 ? run_m4(src, path, errs) : read_file(src, path, errs);
}

void
moncf_src_from_buffer(struct moncf_src *src, const char *text, size_t len)
{
    memset(src, 0, sizeof(*src));
    src->next_line = 1;
    src->buf = xmalloc(len + 1);
    memcpy(src->buf, text, len);
    src->len = len;
}

void
moncf_src_fini(struct moncf_src *src)
{
    for (size_t i = 0; i < src->nfiles; i++)
        free(src->files[i]);
    free(src->files);
    free(src->buf);
    memset(src, 0, sizeof(*src));
}

/* ---- logical lines ---------------------------------------------------- */

void
moncf_line_init(struct moncf_line *l)
{
    memset(l, 0, sizeof(*l));
}

void
moncf_line_fini(struct moncf_line *l)
{
    free(l->s);
    free(l->ln);
    free(l->col);
    memset(l, 0, sizeof(*l));
}

static void
line_append(struct moncf_line *l, const char *s, size_t n, int line, int col)
{
    size_t cap = l->cap;
    xgrow((void **)&l->s, &l->cap, l->len + n + 1, 1);
    if (l->cap != cap || l->ln == NULL) {
        l->ln = xrealloc(l->ln, l->cap * sizeof(int));
        l->col = xrealloc(l->col, l->cap * sizeof(int));
    }
    for (size_t i = 0; i < n; i++) {
        l->s[l->len] = s[i];
        l->ln[l->len] = line;
        l->col[l->len] = col + (int)i;
        l->len++;
    }
    l->s[l->len] = '\0';
}

/* m4 -s sync line: "#line N" or "#line N "file"" (m4 names the main
 * file as it was given, so that one maps back to NULL). */
static bool
sync_line(struct moncf_src *src, const char *s, size_t n)
{
    if (n < 7 || strncmp(s, "#line ", 6) != 0)
        return false;
    long v = 0;
    size_t i = 6;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    while (i < n && s[i] >= '0' && s[i] <= '9' && v < 100000000)
        v = v * 10 + (s[i++] - '0');
    src->next_line = (int)v;
    if (i + 1 < n && s[i] == ' ' && s[i + 1] == '"') {
        size_t st = i + 2, e = st;
        while (e < n && s[e] != '"')
            e++;
        char *name = xstrndup(s + st, e - st);
        src->cur_file = NULL;
        if (src->main_file == NULL || strcmp(name, src->main_file) != 0) {
            for (size_t k = 0; k < src->nfiles; k++)
                if (strcmp(src->files[k], name) == 0)
                    src->cur_file = src->files[k];
            if (src->cur_file == NULL) {
                src->files = xrealloc(src->files, (src->nfiles + 1)
                                      * sizeof(*src->files));
                src->files[src->nfiles++] = name;
                src->cur_file = name;
                name = NULL;
            }
        }
        free(name);
    }
    return true;
}

bool
moncf_next_line(struct moncf_src *src, struct moncf_line *l)
{
    bool continued = false, any = false;

    l->len = 0;
    if (l->s)
        l->s[0] = '\0';
    l->line = src->next_line;
    l->file = src->cur_file;
    while (src->off < src->len) {
        const char *s = src->buf + src->off;
        const char *nl = memchr(s, '\n', src->len - src->off);
        size_t n = nl ? (size_t)(nl - s) : src->len - src->off;
        int phys = src->next_line++;
        src->off += n + (nl ? 1 : 0);

        if (src->m4_sync && sync_line(src, s, n))
            continue;
        size_t i = 0;
        while (i < n && is_blank(s[i]))
            i++;
        if (i < n && s[i] == '#')
            continue;
        if (!continued) {
            l->line = phys;
            l->file = src->cur_file;
            i = 0;
        }
        any = true;
        size_t end = n;
        while (end > i && is_blank(s[end - 1]))
            end--;
        if (end > i && s[end - 1] == '\\') {
            /* mon keeps the blanks before the backslash. */
            line_append(l, s + i, end - 1 - i, phys, (int)i + 1);
            continued = true;
            continue;
        }
        line_append(l, s + i, n - i, phys, (int)i + 1);
        continued = false;
        break;
    }
    if (!any)
        return false;
    /* Trim both ends, keeping positions aligned. */
    size_t a = 0, b = l->len;
    while (a < b && is_blank(l->s[a]))
        a++;
    while (b > a && is_blank(l->s[b - 1]))
        b--;
    if (a > 0 && b > a) {
        memmove(l->s, l->s + a, b - a);
        memmove(l->ln, l->ln + a, (b - a) * sizeof(int));
        memmove(l->col, l->col + a, (b - a) * sizeof(int));
    }
    l->len = b > a ? b - a : 0;
    if (l->s)
        l->s[l->len] = '\0';
    else
        line_append(l, "", 0, l->line, 1);
    return true;
}

void
moncf_pos(const struct moncf_line *l, size_t off, int *line, int *col)
{
    if (l->len == 0) {
        *line = l->line;
        *col = 1;
    } else if (off < l->len) {
        *line = l->ln[off];
        *col = l->col[off];
    } else {
        *line = l->ln[l->len - 1];
        *col = l->col[l->len - 1] + 1;
    }
}

size_t
moncf_skip_blank(const struct moncf_line *l, size_t from)
{
    while (from < l->len && is_blank(l->s[from]))
        from++;
    return from;
}

size_t
moncf_split(const struct moncf_line *l, size_t from, struct moncf_word *w,
            size_t max)
{
    size_t n = 0, i = from;
    for (;;) {
        i = moncf_skip_blank(l, i);
        if (i >= l->len)
            break;
        size_t st = i;
        while (i < l->len && !is_blank(l->s[i]))
            i++;
        if (n < max) {
            w[n].off = st;
            w[n].len = i - st;
        }
        n++;
    }
    return n;
}

int
moncf_words(const struct moncf_line *l, size_t from, char ***argvp,
            size_t *argcp, size_t **offsp, bool **quotedp, size_t *erroff)
{
    char **argv = NULL;
    size_t *offs = NULL;
    bool *quoted = NULL;
    size_t argc = 0, cap = 0, ocap = 0, qcap = 0;
    char *cur = xmalloc(l->len + 1);
    size_t i = from;

    for (;;) {
        i = moncf_skip_blank(l, i);
        if (i >= l->len)
            break;
        size_t st = i, n = 0;
        bool q = false;
        while (i < l->len && !is_blank(l->s[i])) {
            char c = l->s[i];
            if (c == '\'' || c == '"') {
                size_t open = i++;
                q = true;
                for (;;) {
                    if (i >= l->len) {
                        *erroff = open;
                        free(cur);
                        for (size_t k = 0; k < argc; k++)
                            free(argv[k]);
                        free(argv);
                        free(offs);
                        free(quoted);
                        return -1;
                    }
                    if (l->s[i] == c) {
                        i++;
                        break;
                    }
                    if (c == '"' && l->s[i] == '\\' && i + 1 < l->len)
                        i++;
                    cur[n++] = l->s[i++];
                }
            } else if (c == '\\' && i + 1 < l->len) {
                q = true;
                cur[n++] = l->s[i + 1];
                i += 2;
            } else {
                cur[n++] = c;
                i++;
            }
        }
        xgrow((void **)&argv, &cap, argc + 2, sizeof(*argv));
        xgrow((void **)&offs, &ocap, argc + 1, sizeof(*offs));
        xgrow((void **)&quoted, &qcap, argc + 1, sizeof(*quoted));
        argv[argc] = xstrndup(cur, n);
        offs[argc] = st;
        quoted[argc] = q;
        argc++;
    }
    free(cur);
    if (argv == NULL)
        argv = xcalloc(1, sizeof(*argv));
    argv[argc] = NULL;
    *argvp = argv;
    *argcp = argc;
    if (offsp)
        *offsp = offs;
    else
        free(offs);
    if (quotedp)
        *quotedp = quoted;
    else
        free(quoted);
    return 0;
}
