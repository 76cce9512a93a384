/* resolve.c — concurrent name resolution under a deadline (see resolve.h). */
#include "resolve.h"
#include "report.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int
resolve_library_init(char *msg, size_t msglen)
{
    static int ready;
    if (ready)
        return 0;
    int st = ares_library_init(ARES_LIB_INIT_ALL);
    if (st != ARES_SUCCESS) {
        snprintf(msg, msglen, "c-ares init: %s", ares_strerror(st));
        return -1;
    }
    ready = 1;
    return 0;
}

/* Numeric address of the wanted family: fill req, return 1; 0 if not. */
static int
resolve_numeric(struct resolve_req *r, int family)
{
    struct sockaddr_in sin = { 0 };
    struct sockaddr_in6 sin6 = { 0 };
    if (inet_pton(AF_INET, r->name, &sin.sin_addr) == 1) {
        if (family == AF_INET6) {
            r->state = RESOLVE_FAILED;
            snprintf(r->err, sizeof(r->err), "an IPv4 address, IPv6 asked for");
            return 1;
        }
        sin.sin_family = AF_INET;
        memcpy(&r->addr, &sin, sizeof(sin));
        r->addrlen = sizeof(sin);
        r->state = RESOLVE_OK;
        return 1;
    }
    if (inet_pton(AF_INET6, r->name, &sin6.sin6_addr) == 1) {
        if (family == AF_INET) {
            r->state = RESOLVE_FAILED;
            snprintf(r->err, sizeof(r->err), "an IPv6 address, IPv4 asked for");
            return 1;
        }
        sin6.sin6_family = AF_INET6;
        memcpy(&r->addr, &sin6, sizeof(sin6));
        r->addrlen = sizeof(sin6);
        r->state = RESOLVE_OK;
        return 1;
    }
    return 0;
}

static void
resolve_cb(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    struct resolve_req *r = arg;
    (void)timeouts;
    if (r->state != RESOLVE_PENDING) {
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    if (status != ARES_SUCCESS || res == NULL || res->nodes == NULL) {
        r->state = RESOLVE_FAILED;
        snprintf(r->err, sizeof(r->err), "cannot resolve: %s",
                 status == ARES_SUCCESS ? "no address"
                                        : ares_strerror(status));
        if (res)
            ares_freeaddrinfo(res);
        return;
    }
    struct ares_addrinfo_node *a = res->nodes;
    if ((size_t)a->ai_addrlen > sizeof(r->addr)) {
        r->state = RESOLVE_FAILED;
        snprintf(r->err, sizeof(r->err), "cannot resolve: odd address size");
    } else {
        memcpy(&r->addr, a->ai_addr, (size_t)a->ai_addrlen);
        r->addrlen = (socklen_t)a->ai_addrlen;
        r->state = RESOLVE_OK;
    }
    ares_freeaddrinfo(res);
}

int
resolve_all(struct resolve_req *reqs, size_t n, int family,
            int64_t deadline_ms, char *msg, size_t msglen)
{
    size_t names = 0;
    for (size_t i = 0; i < n; i++) {
        reqs[i].state = RESOLVE_PENDING;
        reqs[i].err[0] = '\0';
        reqs[i].addrlen = 0;
        if (!resolve_numeric(&reqs[i], family))
            names++;
    }
    if (names == 0)
        return 0;
    if (resolve_library_init(msg, msglen) == -1)
        return -1;

    ares_channel ch;
    struct ares_options opts = { 0 };
    int st = ares_init_options(&ch, &opts, 0);
    if (st != ARES_SUCCESS) {
        snprintf(msg, msglen, "c-ares channel: %s", ares_strerror(st));
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].state != RESOLVE_PENDING)
            continue;
        struct ares_addrinfo_hints hints = { 0 };
        hints.ai_family = family;
        hints.ai_socktype = SOCK_DGRAM;
        ares_getaddrinfo(ch, reqs[i].name, NULL, &hints, resolve_cb, &reqs[i]);
    }

    for (;;) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
        struct pollfd pfd[ARES_GETSOCK_MAXNUM];
        nfds_t np = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = 0;
            /* ARES_GETSOCK_WRITABLE shifts a signed 1 by up to 31 */
            if ((unsigned)bits >> i & 1u)
                ev |= POLLIN;
            if ((unsigned)bits >> (i + ARES_GETSOCK_MAXNUM) & 1u)
                ev |= POLLOUT;
            if (ev) {
                pfd[np].fd = socks[i];
                pfd[np].events = ev;
                pfd[np].revents = 0;
                np++;
            }
        }
        if (np == 0)
            break;                  /* nothing outstanding: all answered */
        int64_t now = mono_ms();
        if (now >= deadline_ms)
            break;
        struct timeval maxtv, tv;
        int64_t left = deadline_ms - now;
        maxtv.tv_sec = left / 1000;
        maxtv.tv_usec = (left % 1000) * 1000;
        struct timeval *tp = ares_timeout(ch, &maxtv, &tv);
        int tmo = (int)(tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000);
        int rc = poll(pfd, np, tmo);
        if (rc == -1 && errno != EINTR) {
            snprintf(msg, msglen, "poll: %s", strerror(errno));
            ares_destroy(ch);
            return -1;
        }
        if (rc <= 0) {
            ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
            continue;
        }
        for (nfds_t i = 0; i < np; i++) {
            short re = pfd[i].revents;
            if (re == 0)
                continue;
            ares_process_fd(ch,
                            (re & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd
                                                                : ARES_SOCKET_BAD,
                            (re & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
        }
    }
    /* Whatever is left missed the deadline; mark before the callbacks of
     * ares_destroy (ARES_EDESTRUCTION) could. */
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].state == RESOLVE_PENDING) {
            reqs[i].state = RESOLVE_FAILED;
            snprintf(reqs[i].err, sizeof(reqs[i].err),
                     "name resolution timed out");
        }
    }
    ares_destroy(ch);
    return 0;
}

const char *
resolve_ntop(const struct sockaddr *sa, char *buf, size_t len)
{
    const void *a = sa->sa_family == AF_INET6
        ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
        : (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    if (inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
    return buf;
}

static int
resolve_parse_port(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || v < 1 || v > 65535)
        return -1;
    return (int)v;
}

int
resolve_split_hostport(const char *arg, char *host, size_t hostlen,
                       int default_port, int *port)
{
    const char *h = arg, *p = NULL;
    size_t hl;
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (close == NULL)
            return -1;
        h = arg + 1;
        hl = (size_t)(close - h);
        if (close[1] == ':')
            p = close + 2;
        else if (close[1] != '\0')
            return -1;
    } else {
        const char *colon = strchr(arg, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            hl = (size_t)(colon - arg);
            p = colon + 1;
        } else {
            hl = strlen(arg);       /* no colon, or a bare IPv6 address */
        }
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (p == NULL) {
        *port = default_port;
        return 0;
    }
    *port = resolve_parse_port(p);
    return *port == -1 ? -1 : 0;
}

size_t
resolve_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        if (want == RLIM_INFINITY || want > 1048576)
            want = 1048576;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
            (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1048576 : (size_t)rl.rlim_cur;
}
