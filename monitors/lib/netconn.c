/*
 * netconn.c — concurrent TCP/TLS client connections under one deadline
 * (see netconn.h).  One epoll fd carries both the connection sockets
 * (data.ptr = the struct netconn) and c-ares' sockets (data.u64 = fd
 * with NETCONN_TAG_ARES set: user-space pointers never have bit 63 set).
 * Level-triggered; each connection's interest set is recomputed after
 * every step by conn_update_events().
 */
#include "netconn.h"
#include "report.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETCONN_TAG_ARES (UINT64_C(1) << 63)
#define NETCONN_EVENTS_MAX 256
#define NETCONN_FD_RESERVE 32      /* fds kept for stdio, c-ares, libs */

enum conn_state {
    CS_NEW,             /* added, loop not yet run */
    CS_RESOLVING,
    CS_QUEUED,          /* resolved, waiting for a free descriptor */
    CS_CONNECTING,
    CS_TLS,             /* handshake in progress */
    CS_OPEN,            /* protocol running */
    CS_DONE,
};

struct netconn {
    struct netconn_loop *lp;
    struct netconn *next;           /* all connections, owned by lp */
    struct netconn *qnext;          /* queue of CS_QUEUED */
    char *host;
    uint16_t port;
    bool tls_implicit;
    const struct netconn_handler *h;
    void *arg;

    enum conn_state st;
    const char *step;               /* protocol step, for timeouts */
    struct sockaddr_storage *addrs; /* owned: resolved addresses */
    size_t naddrs, cur;             /* count; index being tried */
    char addr[INET6_ADDRSTRLEN];
    char lasterr[256];              /* last connect error */
    int fd;
    uint32_t events;                /* current epoll interest; 0 = none */
    SSL *ssl;
    int ssl_want;                   /* SSL_ERROR_WANT_READ/WRITE or 0 */
    bool starttls;                  /* handshake from netconn_starttls() */
    bool eof;

    char *in;                       /* NETCONN_INBUF_MAX + 1 bytes */
    size_t in_off, in_len;
    char *out;
    size_t out_len, out_cap;

    int64_t t_resolved, t_connected, t_tls;   /* us since loop start */
    char *errmsg;
    const char *verify_err;
    bool have_days;
    int cert_days;
};

struct netconn_loop {
    int epfd;
    ares_channel ares;
    SSL_CTX *ssl_ctx;
    bool insecure;
    int family;
    int64_t timeout_ms;
    int64_t deadline_ms;            /* mono_ms() clock, set by run */
    int64_t start_us;
    struct netconn *conns;          /* owned list */
    struct netconn *qhead, *qtail;  /* waiting for a descriptor */
    size_t active;                  /* not CS_DONE */
    size_t open_fds, max_fds;
};

static void conn_update_events(struct netconn *c);
static void conn_try_connect(struct netconn *c);
static void conn_handshake(struct netconn *c);
static void conn_flush(struct netconn *c);
static void conn_event(struct netconn *c, uint32_t ev);
static void conn_tls_begin(struct netconn *c, bool starttls);

static int64_t
loop_us(const struct netconn_loop *lp)
{
    return mono_us() - lp->start_us;
}

/* Release the socket, TLS state and addresses; does not touch 'st'. */
static void
conn_close(struct netconn *c)
{
    if (c->ssl != NULL) {
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) {
        /* close() also drops the fd from the epoll set. */
        (void)close(c->fd);
        c->fd = -1;
        c->events = 0;
        c->lp->open_fds--;
    }
    free(c->addrs);
    c->addrs = NULL;
    c->naddrs = c->cur = 0;
    free(c->in);
    c->in = NULL;
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_cap = 0;
}

static void
conn_finish(struct netconn *c)
{
    if (c->st == CS_DONE)
        return;
    conn_close(c);
    c->st = CS_DONE;
    c->lp->active--;
}

static void conn_fail(struct netconn *c, enum netconn_error e,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conn_fail(struct netconn *c, enum netconn_error e, const char *fmt, ...)
{
    if (c->st == CS_DONE)
        return;
    va_list ap;
    va_start(ap, fmt);
    free(c->errmsg);
    if (vasprintf(&c->errmsg, fmt, ap) < 0) {
        fputs("out of memory\n", stderr);
        abort();
    }
    va_end(ap);
    conn_finish(c);
    c->h->fail(c, e, c->arg);
}

/* ---------- c-ares ---------- */

static void
ares_sock_cb(void *data, ares_socket_t fd, int readable, int writable)
{
    struct netconn_loop *lp = data;
    struct epoll_event ev = { 0 };
    ev.data.u64 = (uint64_t)fd | NETCONN_TAG_ARES;
    ev.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
    if (!readable && !writable) {
        (void)epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    if (epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 &&
        epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        report_fatal("netconn: epoll_ctl on resolver socket: %s",
                     strerror(errno));
}

static void
resolved_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct netconn *c = arg;
    (void)timeouts;
    if (c->st != CS_RESOLVING) {   /* timed out, or loop being freed */
        if (res != NULL)
            ares_freeaddrinfo(res);
        return;
    }
    if (status != ARES_SUCCESS || res == NULL || res->nodes == NULL) {
        if (res != NULL)
            ares_freeaddrinfo(res);
        conn_fail(c, NETCONN_ERESOLVE, "cannot resolve %s: %s", c->host,
                  status == ARES_SUCCESS ? "no address"
                                         : ares_strerror(status));
        return;
    }
    size_t n = 0;
    for (struct ares_addrinfo_node *a = res->nodes; a != NULL; a = a->ai_next)
        n++;
    c->addrs = calloc(n, sizeof(*c->addrs));
    if (c->addrs == NULL)
        report_fatal("out of memory");
    for (struct ares_addrinfo_node *a = res->nodes; a != NULL; a = a->ai_next)
        if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
            a->ai_addrlen <= sizeof(*c->addrs))
            memcpy(&c->addrs[c->naddrs++], a->ai_addr, a->ai_addrlen);
    ares_freeaddrinfo(res);
    c->t_resolved = loop_us(c->lp);
    conn_try_connect(c);
}

/* ---------- loop ---------- */

struct netconn_loop *
netconn_loop_new(int64_t timeout_ms, int family,
                 const struct netconn_tls_opts *tls)
{
    static bool ares_ready;
    struct netconn_loop *lp = calloc(1, sizeof(*lp));
    if (lp == NULL)
        report_fatal("out of memory");
    lp->timeout_ms = timeout_ms;
    lp->family = family;
    lp->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lp->epfd < 0)
        report_fatal("netconn: epoll_create1: %s", strerror(errno));

    /* Many hosts need many sockets; keep a reserve for stdio, c-ares
     * and the libraries; hosts beyond the limit wait in a queue. */
    size_t lim = netconn_raise_nofile();
    lp->max_fds = lim > 2 * NETCONN_FD_RESERVE ? lim - NETCONN_FD_RESERVE
                                               : NETCONN_FD_RESERVE;

    if (!ares_ready) {
        int st = ares_library_init(ARES_LIB_INIT_ALL);
        if (st != ARES_SUCCESS)
            report_fatal("netconn: c-ares init: %s", ares_strerror(st));
        ares_ready = true;
    }
    struct ares_options opts = { 0 };
    opts.sock_state_cb = ares_sock_cb;
    opts.sock_state_cb_data = lp;
    int st = ares_init_options(&lp->ares, &opts, ARES_OPT_SOCK_STATE_CB);
    if (st != ARES_SUCCESS)
        report_fatal("netconn: c-ares channel: %s", ares_strerror(st));

    lp->insecure = tls != NULL && tls->insecure;
    /* Loading the trust store costs milliseconds of CPU: only when some
     * connection will speak TLS. */
    if (tls == NULL || !tls->use)
        return lp;
    lp->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (lp->ssl_ctx == NULL)
        report_fatal("netconn: cannot create TLS context");
    /* Verification runs during the handshake but never aborts it: the
     * result is read afterwards so the report can name the reason and
     * still give the certificate's expiry. */
    SSL_CTX_set_verify(lp->ssl_ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_mode(lp->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (tls->cafile != NULL) {
        if (SSL_CTX_load_verify_locations(lp->ssl_ctx, tls->cafile,
                                          NULL) != 1)
            report_fatal("cannot load CA file %s: %s", tls->cafile,
                         ERR_reason_error_string(ERR_get_error()));
    } else if (SSL_CTX_set_default_verify_paths(lp->ssl_ctx) != 1) {
        report_fatal("netconn: cannot load the system trust store");
    }
    return lp;
}

void
netconn_loop_free(struct netconn_loop *lp)
{
    if (lp == NULL)
        return;
    /* Pending queries call back with ARES_EDESTRUCTION: mark every
     * connection done first so the callbacks only free their results. */
    for (struct netconn *c = lp->conns; c != NULL; c = c->next)
        c->st = CS_DONE;
    ares_destroy(lp->ares);
    struct netconn *c = lp->conns;
    while (c != NULL) {
        struct netconn *n = c->next;
        conn_close(c);
        free(c->host);
        free(c->errmsg);
        free(c);
        c = n;
    }
    if (lp->ssl_ctx != NULL)
        SSL_CTX_free(lp->ssl_ctx);
    (void)close(lp->epfd);
    free(lp);
}

struct netconn *
netconn_add(struct netconn_loop *lp, const char *host, uint16_t port,
            bool tls, const struct netconn_handler *h, void *arg)
{
    struct netconn *c = calloc(1, sizeof(*c));
    if (c == NULL || (c->host = strdup(host)) == NULL)
        report_fatal("out of memory");
    c->lp = lp;
    c->port = port;
    c->tls_implicit = tls;
    c->h = h;
    c->arg = arg;
    c->fd = -1;
    c->st = CS_NEW;
    c->t_resolved = c->t_connected = c->t_tls = -1;
    c->next = lp->conns;
    lp->conns = c;
    lp->active++;
    return c;
}

static void
conn_timeout(struct netconn *c, double secs)
{
    char what[300];
    switch (c->st) {
    case CS_NEW:
    case CS_RESOLVING:
        snprintf(what, sizeof(what), "the address of %s", c->host);
        break;
    case CS_QUEUED:
        snprintf(what, sizeof(what), "waiting for a free socket");
        break;
    case CS_CONNECTING:
        snprintf(what, sizeof(what), "connect to %s port %u", c->addr,
                 c->port);
        break;
    case CS_TLS:
        snprintf(what, sizeof(what), "TLS handshake");
        break;
    default:
        snprintf(what, sizeof(what), "%s", c->step ? c->step : "reply");
        break;
    }
    conn_fail(c, NETCONN_ETIMEOUT, "timeout after %.2f s waiting for %s",
              secs, what);
}

static void
conn_event(struct netconn *c, uint32_t ev)
{
    switch (c->st) {
    case CS_CONNECTING: {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            err = errno;
        if (err == 0 && !(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        if (err != 0) {
            snprintf(c->lasterr, sizeof(c->lasterr),
                     "connect to %s port %u: %s", c->addr, c->port,
                     strerror(err));
            (void)close(c->fd);
            c->fd = -1;
            c->events = 0;
            c->lp->open_fds--;
            c->cur++;
            conn_try_connect(c);
            return;
        }
        c->t_connected = loop_us(c->lp);
        c->in = malloc(NETCONN_INBUF_MAX + 1);
        if (c->in == NULL)
            report_fatal("out of memory");
        c->in[0] = '\0';
        if (c->tls_implicit) {
            conn_tls_begin(c, false);
        } else {
            c->st = CS_OPEN;
            conn_update_events(c);
            c->h->connected(c, c->arg);
        }
        break;
    }
    case CS_TLS:
        conn_handshake(c);
        break;
    case CS_OPEN:
        if (ev & EPOLLOUT)
            conn_flush(c);
        if (c->st != CS_OPEN)
            break;
        if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            /* Read what there is, then hand it to the protocol once. */
            bool got = false;
            if (c->in_off > 0) {
                memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
                c->in_len -= c->in_off;
                c->in_off = 0;
                c->in[c->in_len] = '\0';
            }
            while (!c->eof && c->in_len < NETCONN_INBUF_MAX) {
                size_t room = NETCONN_INBUF_MAX - c->in_len;
                ssize_t n;
                if (c->ssl != NULL) {
                    ERR_clear_error();
                    int r = SSL_read(c->ssl, c->in + c->in_len, (int)room);
                    if (r > 0) {
                        n = r;
                    } else {
                        int se = SSL_get_error(c->ssl, r);
                        if (se == SSL_ERROR_WANT_READ ||
                            se == SSL_ERROR_WANT_WRITE)
                            break;
                        if (se == SSL_ERROR_ZERO_RETURN ||
                            (se == SSL_ERROR_SYSCALL && errno == 0)) {
                            c->eof = true;
                            break;
                        }
                        conn_fail(c, NETCONN_EIO, "TLS read from %s: %s",
                                  c->addr,
                                  se == SSL_ERROR_SYSCALL
                                      ? strerror(errno)
                                      : ERR_reason_error_string(
                                            ERR_peek_last_error()));
                        return;
                    }
                } else {
                    n = read(c->fd, c->in + c->in_len, room);
                    if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                            break;
                        conn_fail(c, NETCONN_EIO, "read from %s: %s",
                                  c->addr, strerror(errno));
                        return;
                    }
                    if (n == 0) {
                        c->eof = true;
                        break;
                    }
                }
                c->in_len += (size_t)n;
                c->in[c->in_len] = '\0';
                got = true;
            }
            if (got || c->eof)
                c->h->readable(c, c->arg);
            if (c->st != CS_OPEN)
                break;
            if (c->eof) {
                conn_fail(c, NETCONN_ECLOSED,
                          "connection closed by %s while waiting for %s",
                          c->addr, c->step ? c->step : "reply");
                return;
            }
            if (c->in_len - c->in_off >= NETCONN_INBUF_MAX) {
                conn_fail(c, NETCONN_ETOOLONG,
                          "%s sent over %d bytes without the expected reply",
                          c->addr, NETCONN_INBUF_MAX);
                return;
            }
        }
        break;
    default:
        break;
    }
    if (c->st != CS_DONE)
        conn_update_events(c);
}

/* An address literal needs no resolver (c-ares 1.18 would send it to
 * the DNS server as a name).  Returns true when c was handled. */
static bool
conn_numeric(struct netconn *c)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, c->host, &sin->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, c->host, &sin6->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        return false;
    int fam = ss.ss_family == AF_INET ? 4 : 6;
    if (c->lp->family != 0 && c->lp->family != fam) {
        conn_fail(c, NETCONN_ERESOLVE, "%s is not an IPv%d address",
                  c->host, c->lp->family);
        return true;
    }
    c->addrs = malloc(sizeof(*c->addrs));
    if (c->addrs == NULL)
        report_fatal("out of memory");
    c->addrs[0] = ss;
    c->naddrs = 1;
    c->cur = 0;
    c->t_resolved = loop_us(c->lp);
    conn_try_connect(c);
    return true;
}

void
netconn_loop_run(struct netconn_loop *lp)
{
    lp->start_us = mono_us();
    lp->deadline_ms = lp->start_us / 1000 + lp->timeout_ms;
    for (struct netconn *c = lp->conns; c != NULL; c = c->next) {
        if (c->st != CS_NEW)
            continue;
        if (conn_numeric(c))
            continue;
        c->st = CS_RESOLVING;
        struct ares_addrinfo_hints hints = { 0 };
        hints.ai_family = lp->family == 4   ? AF_INET
                          : lp->family == 6 ? AF_INET6
                                            : AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_protocol = IPPROTO_TCP;
        /* May call back at once (numeric addresses, /etc/hosts). */
        ares_getaddrinfo(lp->ares, c->host, NULL, &hints, resolved_cb, c);
    }
    struct epoll_event evs[NETCONN_EVENTS_MAX];
    while (lp->active > 0) {
        while (lp->qhead != NULL && lp->open_fds < lp->max_fds) {
            struct netconn *c = lp->qhead;
            lp->qhead = c->qnext;
            if (lp->qhead == NULL)
                lp->qtail = NULL;
            conn_try_connect(c);
        }
        int64_t now = mono_ms();
        if (now >= lp->deadline_ms)
            break;
        int64_t wait_ms = lp->deadline_ms - now;
        struct timeval maxtv = { .tv_sec = wait_ms / 1000,
                                 .tv_usec = (wait_ms % 1000) * 1000 };
        struct timeval tv, *tp = ares_timeout(lp->ares, &maxtv, &tv);
        int64_t t_ms = (int64_t)tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000;
        if (t_ms < wait_ms)
            wait_ms = t_ms;
        if (wait_ms > 60000)
            wait_ms = 60000;
        int n = epoll_wait(lp->epfd, evs, NETCONN_EVENTS_MAX, (int)wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            report_fatal("netconn: epoll_wait: %s", strerror(errno));
        }
        if (n == 0)
            ares_process_fd(lp->ares, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        for (int i = 0; i < n; i++) {
            uint64_t u = evs[i].data.u64;
            if (u & NETCONN_TAG_ARES) {
                ares_socket_t fd = (ares_socket_t)(u & ~NETCONN_TAG_ARES);
                uint32_t e = evs[i].events;
                ares_process_fd(lp->ares,
                    (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd
                                                          : ARES_SOCKET_BAD,
                    (e & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
            } else {
                conn_event(evs[i].data.ptr, evs[i].events);
            }
        }
    }
    double secs = (double)loop_us(lp) / 1e6;
    for (struct netconn *c = lp->conns; c != NULL; c = c->next)
        if (c->st != CS_DONE)
            conn_timeout(c, secs);
}

/* ---------- connecting ---------- */

static void
conn_update_events(struct netconn *c)
{
    uint32_t want = 0;
    if (c->fd < 0)
        return;
    switch (c->st) {
    case CS_CONNECTING:
        want = EPOLLOUT;
        break;
    case CS_TLS:
        want = c->ssl_want == SSL_ERROR_WANT_WRITE ? EPOLLOUT : EPOLLIN;
        break;
    case CS_OPEN:
        want = (c->eof ? 0 : EPOLLIN) | (c->out_len > 0 ? EPOLLOUT : 0);
        if (c->ssl_want == SSL_ERROR_WANT_WRITE)
            want |= EPOLLOUT;
        break;
    default:
        break;
    }
    if (want == c->events)
        return;
    struct epoll_event ev = { .events = want, .data.ptr = c };
    int op = c->events == 0 ? EPOLL_CTL_ADD
                            : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(c->lp->epfd, op, c->fd, &ev) < 0) {
        conn_fail(c, NETCONN_EIO, "epoll_ctl: %s", strerror(errno));
        return;
    }
    c->events = want;
}

/* Try c->cur and the addresses after it until a connect is under way. */
static void
conn_try_connect(struct netconn *c)
{
    struct netconn_loop *lp = c->lp;
    if (lp->open_fds >= lp->max_fds) {
        c->st = CS_QUEUED;
        c->qnext = NULL;
        if (lp->qtail != NULL)
            lp->qtail->qnext = c;
        else
            lp->qhead = c;
        lp->qtail = c;
        return;
    }
    for (; c->cur < c->naddrs; c->cur++) {
        struct sockaddr_storage *ss = &c->addrs[c->cur];
        const void *ip;
        socklen_t salen;
        if (ss->ss_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)ss;
            sin->sin_port = htons(c->port);
            ip = &sin->sin_addr;
            salen = sizeof(*sin);
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
            sin6->sin6_port = htons(c->port);
            ip = &sin6->sin6_addr;
            salen = sizeof(*sin6);
        }
        if (inet_ntop(ss->ss_family, ip, c->addr, sizeof(c->addr)) == NULL)
            snprintf(c->addr, sizeof(c->addr), "?");
        int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
                                          SOCK_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(c->lasterr, sizeof(c->lasterr), "socket: %s",
                     strerror(errno));
            if (errno == EMFILE || errno == ENFILE) {
                conn_fail(c, NETCONN_ENOSLOT, "%s", c->lasterr);
                return;
            }
            continue;
        }
        lp->open_fds++;
        c->fd = fd;
        c->events = 0;
        if (connect(fd, (struct sockaddr *)ss, salen) == 0 ||
            errno == EINPROGRESS) {
            /* Completion (even an immediate one) is seen as EPOLLOUT. */
            c->st = CS_CONNECTING;
            conn_update_events(c);
            return;
        }
        snprintf(c->lasterr, sizeof(c->lasterr), "connect to %s port %u: %s",
                 c->addr, c->port, strerror(errno));
        (void)close(fd);
        c->fd = -1;
        lp->open_fds--;
    }
    conn_fail(c, NETCONN_ECONNECT, "%s",
              c->lasterr[0] ? c->lasterr : "no usable address");
}

/* ---------- TLS ---------- */

static bool
is_ip_literal(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

void
netconn_starttls(struct netconn *c)
{
    conn_tls_begin(c, true);
}

static void
conn_tls_begin(struct netconn *c, bool starttls)
{
    if (c->st == CS_DONE || c->fd < 0 || c->ssl != NULL)
        return;
    /* Discard plaintext the peer sent ahead of the handshake. */
    c->in_off = c->in_len = 0;
    if (c->in != NULL)
        c->in[0] = '\0';
    if (c->lp->ssl_ctx == NULL) {
        conn_fail(c, NETCONN_ETLS, "TLS was not enabled for this loop");
        return;
    }
    c->ssl = SSL_new(c->lp->ssl_ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
        conn_fail(c, NETCONN_ETLS, "cannot set up TLS");
        return;
    }
    if (is_ip_literal(c->host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), c->host);
    } else {
        SSL_set_tlsext_host_name(c->ssl, c->host);
        SSL_set1_host(c->ssl, c->host);
    }
    c->st = CS_TLS;
    c->starttls = starttls;
    c->ssl_want = 0;
    conn_handshake(c);
}

static void
conn_handshake(struct netconn *c)
{
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(c->ssl);
    if (r != 1) {
        int se = SSL_get_error(c->ssl, r);
        if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
            c->ssl_want = se;
            conn_update_events(c);
            return;
        }
        unsigned long e = ERR_peek_last_error();
        const char *why = e != 0 ? ERR_reason_error_string(e)
                          : errno != 0 ? strerror(errno)
                                       : "connection closed";
        conn_fail(c, NETCONN_ETLS, "TLS handshake with %s: %s", c->addr,
                  why ? why : "failed");
        return;
    }
    c->ssl_want = 0;
    c->t_tls = loop_us(c->lp);
    long vr = SSL_get_verify_result(c->ssl);
    if (!c->lp->insecure && vr != X509_V_OK)
        c->verify_err = X509_verify_cert_error_string(vr);
    X509 *cert = SSL_get1_peer_certificate(c->ssl);
    if (cert != NULL) {
        c->have_days = netconn_x509_days_left(cert, &c->cert_days) == 0;
        X509_free(cert);
    } else if (!c->lp->insecure) {
        c->verify_err = "no certificate presented";
    }
    c->st = CS_OPEN;
    conn_update_events(c);
    if (c->starttls)
        c->h->tls_done(c, c->arg);
    else
        c->h->connected(c, c->arg);
    if (c->st == CS_OPEN)
        conn_flush(c);
    /* Application data that arrived with the last handshake record sits
     * in OpenSSL's buffer, where epoll cannot see it. */
    if (c->st == CS_OPEN && c->ssl != NULL && SSL_pending(c->ssl) > 0)
        conn_event(c, EPOLLIN);
}

int
netconn_x509_days_left(const void *x509, int *days)
{
    const ASN1_TIME *na = X509_get0_notAfter((const X509 *)x509);
    int d = 0, s = 0;
    if (na == NULL || ASN1_TIME_diff(&d, &s, NULL, na) != 1)
        return -1;
    /* Whole days, truncated toward zero; just past notAfter is -1 so a
     * negative value always means "expired". */
    if (d == 0 && s < 0)
        d = -1;
    *days = d;
    return 0;
}

const char *
netconn_tls_verify_error(const struct netconn *c)
{
    return c->verify_err;
}

int
netconn_tls_cert_days(const struct netconn *c, int *days)
{
    if (!c->have_days)
        return -1;
    *days = c->cert_days;
    return 0;
}

/* ---------- protocol I/O ---------- */

static void
conn_flush(struct netconn *c)
{
    size_t done = 0;
    if (c->fd < 0 || c->st != CS_OPEN)
        return;
    c->ssl_want = 0;
    while (done < c->out_len) {
        ssize_t n;
        if (c->ssl != NULL) {
            ERR_clear_error();
            int r = SSL_write(c->ssl, c->out + done,
                              (int)(c->out_len - done));
            if (r <= 0) {
                int se = SSL_get_error(c->ssl, r);
                if (se == SSL_ERROR_WANT_READ || se == SSL_ERROR_WANT_WRITE) {
                    c->ssl_want = se;
                    break;
                }
                conn_fail(c, NETCONN_EIO, "TLS write to %s failed", c->addr);
                return;
            }
            n = r;
        } else {
            n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    break;
                conn_fail(c, NETCONN_EIO, "write to %s: %s", c->addr,
                          strerror(errno));
                return;
            }
        }
        done += (size_t)n;
    }
    if (done > 0) {
        memmove(c->out, c->out + done, c->out_len - done);
        c->out_len -= done;
    }
    conn_update_events(c);
}

int
netconn_write(struct netconn *c, const void *buf, size_t len)
{
    if (c->st == CS_DONE)
        return -1;
    if (c->out_len + len > c->out_cap) {
        size_t cap = (c->out_len + len) * 2;
        char *p = realloc(c->out, cap);
        if (p == NULL)
            report_fatal("out of memory");
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    conn_flush(c);
    return 0;
}

int
netconn_getline(struct netconn *c, const char **line, size_t *len)
{
    if (c->st == CS_DONE || c->in == NULL)
        return 0;
    char *start = c->in + c->in_off;
    char *nl = memchr(start, '\n', c->in_len - c->in_off);
    if (nl == NULL)
        return 0;
    size_t n = (size_t)(nl - start);
    c->in_off += n + 1;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    start[n] = '\0';
    *line = start;
    *len = n;
    return 1;
}

const char *
netconn_input(struct netconn *c, size_t *len)
{
    if (c->in == NULL) {
        *len = 0;
        return "";
    }
    *len = c->in_len - c->in_off;
    return c->in + c->in_off;
}

void
netconn_set_step(struct netconn *c, const char *s)
{
    c->step = s;
}

void
netconn_done(struct netconn *c)
{
    conn_finish(c);
}

bool
netconn_eof(const struct netconn *c)
{
    return c->eof;
}

const char *
netconn_host(const struct netconn *c)
{
    return c->host;
}

uint16_t
netconn_port(const struct netconn *c)
{
    return c->port;
}

const char *
netconn_addr(const struct netconn *c)
{
    return c->addr;
}

const char *
netconn_errmsg(const struct netconn *c)
{
    return c->errmsg ? c->errmsg : "";
}

int64_t
netconn_t_resolved_us(const struct netconn *c)
{
    return c->t_resolved;
}

int64_t
netconn_t_connected_us(const struct netconn *c)
{
    return c->t_connected;
}

int64_t
netconn_t_tls_us(const struct netconn *c)
{
    return c->t_tls;
}

int64_t
netconn_elapsed_us(const struct netconn *c)
{
    return loop_us(c->lp);
}

size_t
netconn_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = { rl.rlim_max, rl.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    return rl.rlim_cur > 1000000 ? 1000000 : (size_t)rl.rlim_cur;
}

int
netconn_parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < 1 || v > 65535)
        return -1;
    return (int)v;
}
