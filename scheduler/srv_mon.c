/*
 * srv_mon.c — mon's client protocol server (see srv_mon.h).
 *
 * Each client is a small state machine on the loop: read into a bounded
 * line buffer, run every complete line (monproto.c parses,
 * srv_mon_cmd.c answers from the service table), queue the reply, write what the
 * socket takes, and watch EPOLLOUT only while output is pending.  A line
 * past MONPROTO_LINE_MAX is answered "520 line too long" and the client
 * dropped; so is one whose unread replies pass SRV_MON_OUTPUT_MAX, and
 * one silent for cltimeout.  mon answers one client at a time and blocks
 * on slow readers; here nothing a client does can stall the loop.
 */
#include "srv_mon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "monproto.h"
#include "srv_mon_int.h"
#include "svctab.h"
#include "xalloc.h"

#define ACCEPT_RETRY_MS 100       /* after EMFILE or at the client cap */
#define CLIENT_LOG_PER_MIN 20     /* lines about misbehaving clients */

/* A line about a client a remote peer can trigger: at most
 * CLIENT_LOG_PER_MIN a minute, then a count of what was left out. */
void
srv_mon_log(struct srv_mon *m, const char *fmt, ...)
{
    int64_t now = loop_now_ns(m->lp);
    va_list ap;
    char *msg;

    if (now - m->log_window_ns > 60LL * 1000000000) {
        if (m->log_count > CLIENT_LOG_PER_MIN)
            log_info("server: %d more client messages not logged",
                     m->log_count - CLIENT_LOG_PER_MIN);
        m->log_window_ns = now;
        m->log_count = 0;
    }
    if (++m->log_count > CLIENT_LOG_PER_MIN)
        return;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    log_info("%s", msg);
    free(msg);
}

const struct config *
srv_mon_cfg(const struct srv_mon *m)
{
    return svctab_config(m->tab);
}

/* ---- output ---- */

static void client_close(struct client *c, const char *reason);
static void accept_io(struct loop *lp, void *arg, uint32_t events,
                      int64_t now_ns);

static void
out_add(struct client *c, const char *s, size_t n)
{
    if (c->outoff > 0 && c->outoff == c->outlen) {
        c->outoff = 0;
        c->outlen = 0;
    }
    xgrow((void **)&c->out, &c->outcap, c->outlen + n + 1, 1);
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
}

void
srv_mon_out_str(struct client *c, const char *s)
{
    out_add(c, s, strlen(s));
}

void
srv_mon_out_fmt(struct client *c, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = xvasprintf(fmt, ap);
    va_end(ap);
    srv_mon_out_str(c, s);
    free(s);
}

/* Write what the socket takes.  0, or -1 when the client was closed. */
static int
flush_out(struct client *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            client_close(c, "write error");
            return -1;
        }
        c->outoff += (size_t)n;
    }
    if (c->outoff == c->outlen) {
        c->outoff = c->outlen = 0;
        if (c->closing) {
            client_close(c, NULL);
            return -1;
        }
    } else if (c->outlen - c->outoff > SRV_MON_OUTPUT_MAX) {
        client_close(c, "not reading its replies");
        return -1;
    }
    {
        bool want = c->outoff < c->outlen;

        if (want != c->want_out) {
            c->want_out = want;
            (void)loop_io_mod(c->m->lp, &c->io,
                              want ? EPOLLIN | EPOLLOUT : EPOLLIN);
        }
    }
    return 0;
}

/* ---- clients ---- */

static void
client_close(struct client *c, const char *reason)
{
    struct srv_mon *m = c->m;

    if (reason != NULL)
        srv_mon_log(m, "client %s: closed: %s", c->peer, reason);
    loop_io_del(m->lp, &c->io);
    loop_timer_cancel(m->lp, &c->idle);
    (void)close(c->fd);             /* a socket: nothing to lose */
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        m->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    m->nclients--;
    free(c->user);
    free(c->view);
    free(c->out);
    free(c);
    if (!m->listening && m->lfd >= 0) {
        if (loop_io_add(m->lp, &m->lio, m->lfd, EPOLLIN, accept_io, m) == 0)
            m->listening = true;
    }
}

static void
idle_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    struct client *c = arg;

    (void)lp;
    (void)now_ns;
    client_close(c, "inactivity timeout");
}

static void
arm_idle(struct client *c, int64_t now_ns)
{
    int64_t ms = srv_mon_cfg(c->m)->g.cltimeout_ms > 0 ? srv_mon_cfg(c->m)->g.cltimeout_ms
                                                : 30000;

    loop_timer_arm(c->m->lp, &c->idle, now_ns + ms * 1000000LL);
}

static void
client_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct client *c = arg;

    (void)lp;
    if ((events & EPOLLOUT) && flush_out(c) != 0)
        return;
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
        return;
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = recv(c->fd, c->in + c->inlen,
                         sizeof(c->in) - 1 - c->inlen, MSG_DONTWAIT);
        size_t start = 0;

        if (n == 0) {
            client_close(c, NULL);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            client_close(c, "read error");
            return;
        }
        arm_idle(c, now_ns);
        c->inlen += (size_t)n;
        for (size_t i = 0; i < c->inlen && !c->closing; i++) {
            if (c->in[i] != '\n' && c->in[i] != '\r')
                continue;
            c->in[i] = '\0';
            /* "\r\n" ends one line; empty lines are skipped */
            if (i > start)
                srv_mon_run_line(c, c->in + start, now_ns);
            start = i + 1;
        }
        if (c->closing) {
            c->inlen = 0;
            (void)flush_out(c);
            return;
        }
        memmove(c->in, c->in + start, c->inlen - start);
        c->inlen -= start;
        if (c->inlen >= MONPROTO_LINE_MAX) {
            srv_mon_out_str(c, "520 line too long\n");
            c->closing = true;
            c->inlen = 0;
            srv_mon_log(c->m, "client %s: line longer than %d bytes",
                       c->peer, MONPROTO_LINE_MAX);
            (void)flush_out(c);
            return;
        }
        if (flush_out(c) != 0)
            return;
    }
}

static bool
peer_is_local(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

        return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

        return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    }
    return false;
}

/* mon's clientallow: space separated Perl patterns, anchored, with
 * unescaped dots made literal; \d is turned into [0-9] for POSIX. */
static bool
client_allowed(const char *allow, const char *ip)
{
    char *copy, *save = NULL;
    bool ok = false;

    if (allow == NULL || allow[0] == '\0')
        return true;
    copy = xstrdup(allow);
    for (char *p = strtok_r(copy, " \t", &save); p != NULL && !ok;
         p = strtok_r(NULL, " \t", &save)) {
        size_t len = strlen(p);
        char *re = xmalloc(len * 5 + 3), *o = re;
        regex_t rx;

        *o++ = '^';
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '\\' && p[i + 1] == 'd') {
                o += sprintf(o, "[0-9]");
                i++;
            } else if (p[i] == '\\' && p[i + 1] != '\0') {
                *o++ = p[i++];
                *o++ = p[i];
            } else if (p[i] == '.' && (i == 0 || p[i - 1] != '[')) {
                o += sprintf(o, "\\.");
            } else {
                *o++ = p[i];
            }
        }
        *o++ = '$';
        *o = '\0';
        if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) == 0) {
            ok = regexec(&rx, ip, 0, NULL, 0) == 0;
            regfree(&rx);
        }
        free(re);
    }
    free(copy);
    return ok;
}

static void
retry_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    struct srv_mon *m = arg;

    (void)now_ns;
    if (!m->listening && m->lfd >= 0 &&
        loop_io_add(lp, &m->lio, m->lfd, EPOLLIN, accept_io, m) == 0)
        m->listening = true;
}

static void
pause_accept(struct srv_mon *m)
{
    if (m->listening) {
        loop_io_del(m->lp, &m->lio);
        m->listening = false;
    }
    loop_timer_arm(m->lp, &m->retry,
                   loop_now_ns(m->lp) + ACCEPT_RETRY_MS * 1000000LL);
}

static void
accept_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct srv_mon *m = arg;

    (void)events;
    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct client *c;
        int fd;

        if (m->nclients >= SRV_MON_CLIENTS_MAX) {
            pause_accept(m);
            return;
        }
        fd = accept4(m->lfd, (struct sockaddr *)&ss, &sl,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                if (!m->emfile_logged)
                    log_warn("server: accept (%zu clients)", m->nclients);
                m->emfile_logged = true;
                pause_accept(m);
            }
            return;             /* EAGAIN, ECONNABORTED, ... */
        }
        m->emfile_logged = false;
        c = xcalloc(1, sizeof(*c));
        c->m = m;
        c->fd = fd;
        if (ss.ss_family == AF_INET)
            (void)inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
                            c->peer, sizeof(c->peer));
        else if (ss.ss_family == AF_INET6)
            (void)inet_ntop(AF_INET6,
                            &((struct sockaddr_in6 *)&ss)->sin6_addr,
                            c->peer, sizeof(c->peer));
        c->local = peer_is_local(&ss);
        if (!client_allowed(srv_mon_cfg(m)->g.clientallow, c->peer)) {
            srv_mon_log(m, "server: closing unwanted client: %s", c->peer);
            (void)close(fd);
            free(c);
            continue;
        }
        if (loop_io_add(lp, &c->io, fd, EPOLLIN, client_io, c) != 0) {
            log_warn("server: client %s", c->peer);
            (void)close(fd);
            free(c);
            continue;
        }
        loop_timer_init(&c->idle, idle_fired, c);
        c->next = m->clients;
        if (m->clients != NULL)
            m->clients->prev = c;
        m->clients = c;
        m->nclients++;
        arm_idle(c, now_ns);
        log_debug("client connection from %s", c->peer);
    }
}

/* ---- the server ---- */

static void
load_auth(struct srv_mon *m, bool keep_old)
{
    const struct config *cf = srv_mon_cfg(m);
    struct diag_list errs;
    struct auth *a = NULL;

    diag_list_init(&errs);
    if (cf != NULL && cf->g.authfile != NULL)
        a = auth_load(cf->g.authfile, &errs);
    if (a == NULL) {
        for (size_t i = 0; i < errs.n; i++) {
            char *msg = diag_format(&errs.items[i]);

            log_warnx("auth: %s", msg);
            free(msg);
        }
        if (keep_old && m->auth != NULL) {
            log_warnx("auth: keeping the previous rules");
        } else {
            log_warnx("auth: using the default rules (list for all, "
                      "changes for logged-in users, no traps)");
            auth_free(m->auth);
            m->auth = auth_default();
        }
    } else {
        auth_free(m->auth);
        m->auth = a;
    }
    diag_list_fini(&errs);
}

struct srv_mon *
srv_mon_new(struct loop *lp, struct svctab *tab, struct srv_state *ss,
            const struct srv_mon_hooks *hooks)
{
    struct srv_mon *m = xcalloc(1, sizeof(*m));

    m->lp = lp;
    m->tab = tab;
    m->ss = ss;
    if (hooks != NULL)
        m->hooks = *hooks;
    m->lfd = -1;
    m->maxkeep = srv_mon_cfg(m) != NULL && srv_mon_cfg(m)->g.histlength > 0
                 ? (size_t)srv_mon_cfg(m)->g.histlength : 100;
    if (tab != NULL)
        svctab_set_maxkeep(tab, m->maxkeep);
    loop_timer_init(&m->retry, retry_fired, m);
    load_auth(m, false);
    return m;
}

int
srv_mon_reload_auth(struct srv_mon *m)
{
    struct auth *old = m->auth;

    load_auth(m, true);
    return m->auth == old ? -1 : 0;
}

const struct auth *
srv_mon_auth(const struct srv_mon *m)
{
    return m->auth;
}

int
srv_mon_listen(struct srv_mon *m, const char *addr, int port)
{
    struct addrinfo hints, *res;
    char portstr[16];
    int fd, one = 1, rc, e;
    struct rlimit rl;

    /* 1,000 clients need more than the usual soft limit of 1024 fds. */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(addr, portstr, &hints, &res);
    if (rc != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd < 0) {
        e = errno;
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        loop_io_add(m->lp, &m->lio, fd, EPOLLIN, accept_io, m) != 0) {
        e = errno;
        (void)close(fd);
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    freeaddrinfo(res);
    m->lfd = fd;
    m->listening = true;
    return 0;
}

void
srv_mon_free(struct srv_mon *m)
{
    if (m == NULL)
        return;
    while (m->clients != NULL)
        client_close(m->clients, NULL);
    if (m->listening)
        loop_io_del(m->lp, &m->lio);
    m->listening = false;
    loop_timer_cancel(m->lp, &m->retry);
    if (m->lfd >= 0)
        (void)close(m->lfd);
    m->lfd = -1;
    auth_free(m->auth);
    free(m);
}
