/*
 * srv_trap.c — mon traps on UDP and the trap timers (see srv_trap.h).
 *
 * Timers are kept per service name, not per table index, so a reload
 * that reorders the table cannot point one service's heartbeat at
 * another.  Refused packets are logged at most SRV_TRAP_LOG_PER_MIN
 * times a minute: a flood of bad traps must not flood the log.
 */
#include "srv_trap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "decide.h"
#include "log.h"
#include "loop.h"
#include "srv_mon.h"
#include "srv_state.h"
#include "svctab.h"
#include "trap.h"
#include "xalloc.h"

#define SRV_TRAP_LOG_PER_MIN 20
#define SRV_TRAP_BATCH 64           /* packets read per wakeup */

struct trap_timer {
    struct srv_trap *t;
    char *group, *service;
    struct loop_timer timeout;      /* traptimeout */
    struct loop_timer duration;     /* trapduration */
    bool live;                      /* still in the config */
};

struct srv_trap {
    struct loop *lp;
    struct svctab *tab;
    struct srv_mon *mon;
    struct srv_state *ss;
    int fd;
    struct loop_io io;
    struct trap_timer **timers;
    size_t ntimers, captimers;
    int64_t log_window_ns;
    int log_count;
    char *buf;
};

static void refused(struct srv_trap *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
refused(struct srv_trap *t, const char *fmt, ...)
{
    int64_t now = loop_now_ns(t->lp);
    va_list ap;
    char *msg;

    if (now - t->log_window_ns > 60LL * 1000000000) {
        if (t->log_count > SRV_TRAP_LOG_PER_MIN)
            log_warnx("trap: %d more refused traps not logged",
                      t->log_count - SRV_TRAP_LOG_PER_MIN);
        t->log_window_ns = now;
        t->log_count = 0;
    }
    if (++t->log_count > SRV_TRAP_LOG_PER_MIN)
        return;
    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    log_warnx("trap: %s", msg);
    free(msg);
}

static struct trap_timer *
find_timer(struct srv_trap *t, const char *g, const char *s)
{
    for (size_t i = 0; i < t->ntimers; i++)
        if (strcmp(t->timers[i]->group, g) == 0 &&
            strcmp(t->timers[i]->service, s) == 0)
            return t->timers[i];
    return NULL;
}

static const struct service *
timer_service(const struct trap_timer *tt, long *idx)
{
    *idx = svctab_find(tt->t->tab, tt->group, tt->service);
    return *idx >= 0 ? svctab_service_at(tt->t->tab, (size_t)*idx) : NULL;
}

static void
timeout_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    struct trap_timer *tt = arg;
    long i;
    const struct service *svc = timer_service(tt, &i);

    if (svc == NULL || svc->traptimeout_ms <= 0)
        return;
    log_info("%s/%s: no trap for %lld s (traptimeout)", tt->group,
             tt->service, (long long)(svc->traptimeout_ms / 1000));
    (void)svctab_traptimeout(tt->t->tab, (size_t)i);
    /* mon resets the timer: alerts repeat each traptimeout while silent */
    loop_timer_arm(lp, &tt->timeout, now_ns + svc->traptimeout_ms * 1000000);
    if (tt->t->ss != NULL)
        srv_state_touch(tt->t->ss);
}

static void
duration_fired(struct loop *lp, void *arg, int64_t now_ns)
{
    struct trap_timer *tt = arg;
    long i;

    (void)lp;
    (void)now_ns;
    if (timer_service(tt, &i) != NULL)
        (void)svctab_trapduration_end(tt->t->tab, (size_t)i);
}

static struct trap_timer *
timer_get(struct srv_trap *t, const char *g, const char *s)
{
    struct trap_timer *tt = find_timer(t, g, s);

    if (tt != NULL)
        return tt;
    tt = xcalloc(1, sizeof(*tt));
    tt->t = t;
    tt->group = xstrdup(g);
    tt->service = xstrdup(s);
    loop_timer_init(&tt->timeout, timeout_fired, tt);
    loop_timer_init(&tt->duration, duration_fired, tt);
    xgrow((void **)&t->timers, &t->captimers, t->ntimers + 1,
          sizeof(*t->timers));
    t->timers[t->ntimers++] = tt;
    return tt;
}

static void
timer_free(struct srv_trap *t, struct trap_timer *tt)
{
    loop_timer_cancel(t->lp, &tt->timeout);
    loop_timer_cancel(t->lp, &tt->duration);
    free(tt->group);
    free(tt->service);
    free(tt);
}

void
srv_trap_config_changed(struct srv_trap *t)
{
    size_t n = svctab_count(t->tab), k = 0;
    int64_t now = loop_clock_mono_ns();

    for (size_t i = 0; i < t->ntimers; i++)
        t->timers[i]->live = false;
    for (size_t i = 0; i < n; i++) {
        const struct service *svc = svctab_service_at(t->tab, i);
        struct trap_timer *tt;

        if (svc->traptimeout_ms <= 0 && svc->trapduration_ms <= 0)
            continue;
        tt = timer_get(t, svc->watch->name, svc->name);
        tt->live = true;
        if (svc->traptimeout_ms > 0 && !tt->timeout.armed)
            loop_timer_arm(t->lp, &tt->timeout,
                           now + svc->traptimeout_ms * 1000000);
        if (svc->traptimeout_ms <= 0)
            loop_timer_cancel(t->lp, &tt->timeout);
    }
    for (size_t i = 0; i < t->ntimers; i++) {
        if (t->timers[i]->live)
            t->timers[k++] = t->timers[i];
        else
            timer_free(t, t->timers[i]);
    }
    t->ntimers = k;
}

static void
handle_packet(struct srv_trap *t, const char *buf, size_t len,
              const char *from)
{
    struct trap_packet p;
    const char *why = NULL;
    const struct config *cf = svctab_config(t->tab);
    enum auth_trap_result ar;
    const char *grp, *svcname;
    long i;

    if (trap_decode(buf, len, &p, &why) != 0) {
        refused(t, "from %s: %s", from, why);
        trap_packet_fini(&p);
        return;
    }
    ar = auth_trap_check(srv_mon_auth(t->mon), from, p.usr, p.pas);
    if (ar != AUTH_TRAP_OK) {
        refused(t, "from %s (user '%s'): %s", from, p.usr ? p.usr : "",
                auth_trap_result_str(ar));
        trap_packet_fini(&p);
        return;
    }
    grp = p.grp;
    svcname = p.svc != NULL ? p.svc : "";
    /* mon: traps for an unknown group go to "default", and to service
     * default/default when the named one is not in it. */
    if (config_find_watch(cf, grp) == NULL &&
        config_find_watch(cf, "default") != NULL)
        grp = "default";
    if (strcmp(grp, "default") == 0 &&
        config_find_service(cf, "default", svcname) == NULL &&
        config_find_service(cf, "default", "default") != NULL)
        svcname = "default";
    i = svctab_find(t->tab, grp, svcname);
    if (i < 0) {
        refused(t, "from %s: no service %s/%s", from, p.grp,
                p.svc ? p.svc : "");
        trap_packet_fini(&p);
        return;
    }
    {
        const struct service *svc = svctab_service_at(t->tab, (size_t)i);
        struct check_result cr;
        char *sum = xstrdup(p.sum != NULL ? p.sum : "");
        char *nl = strchr(sum, '\n');
        char *output;
        struct trap_timer *tt;

        if (nl != NULL)
            *nl = '\0';
        output = xasprintf("%s\n%s", sum, p.dtl != NULL ? p.dtl : "");
        memset(&cr, 0, sizeof(cr));
        cr.exit_status = atoi(p.sta);
        cr.summary = sum;
        cr.detail = p.dtl != NULL ? p.dtl : "";
        cr.output = output;
        log_info("trap from %s grp=%s svc=%s sta=%s", from, grp, svcname,
                 p.sta);
        if (t->ss != NULL)
            srv_state_set_trap_host(t->ss, grp, svcname, from);
        (void)svctab_trap(t->tab, (size_t)i, &cr);
        tt = find_timer(t, grp, svcname);
        if (tt != NULL && svc->traptimeout_ms > 0)
            loop_timer_arm(t->lp, &tt->timeout, loop_now_ns(t->lp) +
                           svc->traptimeout_ms * 1000000);
        if (tt != NULL && svc->trapduration_ms > 0 && cr.exit_status != 0)
            loop_timer_arm(t->lp, &tt->duration, loop_now_ns(t->lp) +
                           svc->trapduration_ms * 1000000);
        if (t->ss != NULL)
            srv_state_touch(t->ss);
        free(output);
        free(sum);
    }
    trap_packet_fini(&p);
}

static void
trap_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    struct srv_trap *t = arg;

    (void)lp;
    (void)events;
    (void)now_ns;
    for (int k = 0; k < SRV_TRAP_BATCH; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        char from[INET6_ADDRSTRLEN] = "?";
        ssize_t n = recvfrom(t->fd, t->buf, TRAP_PACKET_MAX, MSG_DONTWAIT,
                             (struct sockaddr *)&ss, &sl);

        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("trap: recvfrom");
            return;
        }
        if (ss.ss_family == AF_INET)
            (void)inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
                            from, sizeof(from));
        else if (ss.ss_family == AF_INET6)
            (void)inet_ntop(AF_INET6,
                            &((struct sockaddr_in6 *)&ss)->sin6_addr, from,
                            sizeof(from));
        handle_packet(t, t->buf, (size_t)n, from);
    }
}

struct srv_trap *
srv_trap_new(struct loop *lp, struct svctab *tab, struct srv_mon *mon,
             struct srv_state *ss)
{
    struct srv_trap *t = xcalloc(1, sizeof(*t));

    t->lp = lp;
    t->tab = tab;
    t->mon = mon;
    t->ss = ss;
    t->fd = -1;
    t->buf = xmalloc(TRAP_PACKET_MAX + 1);
    srv_trap_config_changed(t);
    return t;
}

int
srv_trap_listen(struct srv_trap *t, const char *addr, int port)
{
    struct addrinfo hints, *res;
    char portstr[16];
    int fd, e;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(addr, portstr, &hints, &res) != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
        loop_io_add(t->lp, &t->io, fd, EPOLLIN, trap_io, t) != 0) {
        e = errno;
        if (fd >= 0)
            (void)close(fd);
        freeaddrinfo(res);
        errno = e;
        return -1;
    }
    freeaddrinfo(res);
    t->fd = fd;
    return 0;
}

void
srv_trap_free(struct srv_trap *t)
{
    if (t == NULL)
        return;
    if (t->fd >= 0) {
        loop_io_del(t->lp, &t->io);
        (void)close(t->fd);
    }
    for (size_t i = 0; i < t->ntimers; i++)
        timer_free(t, t->timers[i]);
    free(t->timers);
    free(t->buf);
    free(t);
}
