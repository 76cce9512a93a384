/*
 * ping.monitor — ICMP / ICMPv6 echo to many hosts at once, one socket
 * per address family, under one deadline.
 *
 * Each host gets COUNT probes, INTERVAL apart; the hosts' probes are
 * spread evenly over the interval (host j of n starts j/n of an interval
 * late), so the sends form one round-robin schedule walked by a single
 * cursor.  A probe is matched to its host by a per-run cookie, the host
 * index and probe number in the payload, the ICMP sequence number and
 * the reply's source address; duplicates are counted once.  The run ends
 * when every probe is answered, or WAIT after the last send, or at the
 * deadline; the interval is shortened if needed so that every probe is
 * sent at least WAIT before the deadline.
 *
 * As root (CAP_NET_RAW) the sockets are raw; otherwise ICMP datagram
 * sockets ("ping sockets"), which Linux allows to the groups in
 * net.ipv4.ping_group_range; with neither, exit 3 saying so.
 */
#include "report.h"
#include "resolve.h"

#include <errno.h>
#include <getopt.h>
#include <linux/errqueue.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROG "ping.monitor"
#define PING_HOSTS_MAX 100000
#define PING_COUNT_MAX 1000
#define PING_PKT_MAX 2048           /* receive buffer: IP header + ICMP */
#define PING_RCVBUF (1 << 20)
#define PING_ICMP_FILTER 1          /* ICMP_FILTER of linux/icmp.h */

static const char usage_text[] =
"Usage: " PROG " [OPTIONS] HOST...\n"
"Send ICMP (IPv4) or ICMPv6 echo requests to every HOST concurrently and\n"
"report loss and round-trip times, under one deadline.\n"
"\n"
"Options:\n"
"  -c, --count N        probes per host (default 5, at most 1000)\n"
"  -i, --interval SECS  time between two probes to the same host\n"
"                       (default 0.25; shortened so that all probes are\n"
"                       sent at least WAIT before the deadline)\n"
"  -W, --wait SECS      how long to wait for the replies to the last\n"
"                       probes (default 1; at most half the time left)\n"
"  -t, --timeout SECS   overall deadline for name resolution and all\n"
"                       probes (default 10)\n"
"      --loss-warn PCT  warning when loss >= PCT percent (default 40)\n"
"      --loss-crit PCT  critical when loss >= PCT percent (default 80);\n"
"                       a host that answers no probe is always critical\n"
"      --rtt-warn MS    warning when the average round trip >= MS ms\n"
"      --rtt-crit MS    critical when the average round trip >= MS ms\n"
"                       (no round-trip thresholds by default)\n"
"  -4, -6               resolve names to IPv4 / IPv6 addresses only\n"
"  -h, --help           show this help\n"
"\n"
"With the defaults one lost probe out of five (20%) is ok, two (40%)\n"
"a warning, four or five critical.  Host names are resolved\n"
"concurrently; a name that does not resolve is critical.\n"
"Runs as root (raw sockets) or as a user in a group that the sysctl\n"
"net.ipv4.ping_group_range allows ICMP datagram sockets.\n"
"\n"
"Output: line 1 the failing hosts, sorted, then perfdata HOST_rta (ms)\n"
"and HOST_pl (percent); then one line per host: sent/received, loss,\n"
"min/avg/max round trip.\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 bad arguments or no\n"
"permission to send ICMP.\n";

struct ping_opts {
    unsigned count;
    int64_t interval_us;
    int64_t wait_us;
    int64_t timeout_ms;
    double loss_warn, loss_crit;    /* percent */
    double rtt_warn, rtt_crit;      /* ms; NAN = none */
    int family;                     /* AF_UNSPEC, AF_INET, AF_INET6 */
};

/* The payload after the 8-byte ICMP header; the cookie tells our replies
 * from other programs' (raw sockets see every ICMP packet). */
struct ping_payload {
    uint64_t cookie;
    uint32_t host;
    uint32_t probe;
    int64_t sent_us;
    uint8_t pad[8];
};

struct ping_host {
    const char *name;
    struct resolve_req *rq;         /* address when rq->state == OK */
    struct ping_sock *sock;         /* NULL: cannot be pinged */
    unsigned sent, received, dups;
    uint8_t *got;                   /* [count]: reply seen */
    double rtt_min, rtt_max, rtt_sum;   /* ms */
    char err[400];                  /* first send error, if any */
    char icmp_err[96];              /* first ICMP error about a probe */
};

struct ping_sock {
    int fd;                         /* -1: not opened */
    int family;
    bool raw;
    uint16_t id;                    /* raw: our echo id */
};

struct ping_run {
    const struct ping_opts *o;
    struct ping_host *hosts;
    size_t nhosts;
    size_t *order;                  /* pingable host indexes */
    size_t norder;
    struct ping_sock s4, s6;
    uint64_t cookie;
    size_t expected, answered;
};

static double
parse_num(const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= lo) || !(v <= hi))
        return NAN;
    return v;
}

static uint16_t
ping_cksum(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Open the socket of one family: raw first, then an ICMP datagram
 * socket.  0, or -1 with why in err (errno of the datagram attempt). */
static int
ping_open(struct ping_sock *s, int family, char *err, size_t errlen)
{
    int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    s->family = family;
    s->fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (s->fd >= 0) {
        s->raw = true;
    } else {
        int raw_errno = errno;
        s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       proto);
        if (s->fd == -1) {
            int dg_errno = errno;
            snprintf(err, errlen,
                     "cannot send %s echo requests: raw socket: %s (needs "
                     "root or CAP_NET_RAW); ICMP datagram socket: %s (group "
                     "%u is not in net.ipv4.ping_group_range)",
                     family == AF_INET ? "ICMP" : "ICMPv6",
                     strerror(raw_errno), strerror(dg_errno),
                     (unsigned)getgid());
            errno = dg_errno;
            return -1;
        }
        s->raw = false;
    }
    int rcv = PING_RCVBUF;
    (void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    if (family == AF_INET && s->raw) {
        /* Only echo replies: a busy host's other ICMP stays in the
         * kernel (linux/icmp.h ICMP_FILTER; a set bit blocks a type). */
        uint32_t block = ~(UINT32_C(1) << ICMP_ECHOREPLY |
                           UINT32_C(1) << ICMP_DEST_UNREACH |
                           UINT32_C(1) << ICMP_TIME_EXCEEDED);
        (void)setsockopt(s->fd, SOL_RAW, PING_ICMP_FILTER, &block,
                         sizeof(block));
    }
    if (family == AF_INET6 && s->raw) {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
        ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
        ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
        if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
                       sizeof(f)) == -1) {
            snprintf(err, errlen, "ICMPv6 filter: %s", strerror(errno));
            close(s->fd);
            s->fd = -1;
            return -1;
        }
    }
    if (!s->raw) {
        /* ICMP errors about our probes onto the error queue. */
        int on = 1;
        (void)setsockopt(s->fd, family == AF_INET ? SOL_IP : SOL_IPV6,
                         family == AF_INET ? IP_RECVERR : IPV6_RECVERR, &on,
                         sizeof(on));
    }
    s->id = (uint16_t)(getpid() & 0xffff);
    return 0;
}

/* Send probe k to host hi.  0 sent (or failed for good and counted as
 * lost, the reason kept), -1 the socket is full: try again later. */
static int
ping_send(struct ping_run *pr, size_t hi, unsigned k)
{
    struct ping_host *h = &pr->hosts[hi];
    struct ping_sock *s = h->sock;
    uint8_t pkt[8 + sizeof(struct ping_payload)];
    struct ping_payload pl = { 0 };
    uint16_t seq = (uint16_t)((hi * pr->o->count + k) & 0xffff);

    memset(pkt, 0, sizeof(pkt));
    pkt[0] = s->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
    pkt[4] = (uint8_t)(s->id >> 8);
    pkt[5] = (uint8_t)(s->id & 0xff);
    pkt[6] = (uint8_t)(seq >> 8);
    pkt[7] = (uint8_t)(seq & 0xff);
    pl.cookie = pr->cookie;
    pl.host = (uint32_t)hi;
    pl.probe = k;
    pl.sent_us = mono_us();
    memcpy(pkt + 8, &pl, sizeof(pl));
    if (s->family == AF_INET) {     /* ICMPv6: the kernel sums */
        uint16_t ck = ping_cksum(pkt, sizeof(pkt));
        pkt[2] = (uint8_t)(ck >> 8);
        pkt[3] = (uint8_t)(ck & 0xff);
    }
    ssize_t n = sendto(s->fd, pkt, sizeof(pkt), 0,
                       (const struct sockaddr *)&h->rq->addr, h->rq->addrlen);
    if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                    errno == ENOBUFS))
        return -1;
    h->sent++;
    if (n == -1 && h->err[0] == '\0')
        snprintf(h->err, sizeof(h->err), "sendto: %s", strerror(errno));
    return 0;
}

static bool
ping_same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
    if (a->ss_family != b->sa_family)
        return false;
    if (b->sa_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                  &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* Our probe in an ICMP echo header + payload (a reply, or the request
 * quoted in an error): its host, with *probe set; NULL when it is not
 * one of ours.  dst: the host's address as seen in the packet. */
static struct ping_host *
ping_lookup(struct ping_run *pr, struct ping_sock *s, const uint8_t *icmp,
            size_t len, uint8_t type, const struct sockaddr *dst,
            struct ping_payload *pl)
{
    if (len < 8 + sizeof(*pl) || icmp[0] != type || icmp[1] != 0)
        return NULL;
    uint16_t id = (uint16_t)(icmp[4] << 8 | icmp[5]);
    uint16_t seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
    if (s->raw && id != s->id)
        return NULL;            /* datagram sockets: the kernel chose id */
    memcpy(pl, icmp + 8, sizeof(*pl));
    if (pl->cookie != pr->cookie || pl->host >= pr->nhosts ||
        pl->probe >= pr->o->count)
        return NULL;
    struct ping_host *h = &pr->hosts[pl->host];
    if (h->sock != s ||
        seq != (uint16_t)((pl->host * pr->o->count + pl->probe) & 0xffff) ||
        !ping_same_addr(&h->rq->addr, dst))
        return NULL;
    return h;
}

/* Words for an ICMP error (the kernel's wording where it has one). */
static const char *
ping_icmp_reason(int family, int type, int code, char *buf, size_t len)
{
    if (family == AF_INET && type == ICMP_DEST_UNREACH) {
        switch (code) {
        case ICMP_NET_UNREACH:  return "network unreachable";
        case ICMP_HOST_UNREACH: return "host unreachable";
        case ICMP_PROT_UNREACH: return "protocol unreachable";
        case ICMP_PORT_UNREACH: return "port unreachable";
        case ICMP_FRAG_NEEDED:  return "fragmentation needed";
        case ICMP_NET_ANO:
        case ICMP_HOST_ANO:
        case ICMP_PKT_FILTERED: return "administratively prohibited";
        default: break;
        }
    } else if (family == AF_INET && type == ICMP_TIME_EXCEEDED) {
        return "time to live exceeded";
    } else if (family == AF_INET6 && type == ICMP6_DST_UNREACH) {
        switch (code) {
        case ICMP6_DST_UNREACH_NOROUTE: return "no route to destination";
        case ICMP6_DST_UNREACH_ADMIN:   return "administratively prohibited";
        case ICMP6_DST_UNREACH_ADDR:    return "address unreachable";
        case ICMP6_DST_UNREACH_NOPORT:  return "port unreachable";
        default: break;
        }
    } else if (family == AF_INET6 && type == ICMP6_TIME_EXCEEDED) {
        return "hop limit exceeded";
    }
    snprintf(buf, len, "ICMP%s type %d code %d",
             family == AF_INET6 ? "v6" : "", type, code);
    return buf;
}

/* Keep the first ICMP error for h: "host unreachable from 192.0.2.1". */
static void
ping_note_error(struct ping_host *h, int family, int type, int code,
                const struct sockaddr *offender)
{
    char rb[48], ob[INET6_ADDRSTRLEN];
    if (h->icmp_err[0] != '\0')
        return;
    const char *r = ping_icmp_reason(family, type, code, rb, sizeof(rb));
    if (offender != NULL && offender->sa_family == family)
        snprintf(h->icmp_err, sizeof(h->icmp_err), "%s from %s", r,
                 resolve_ntop(offender, ob, sizeof(ob)));
    else
        snprintf(h->icmp_err, sizeof(h->icmp_err), "%s", r);
}

/* A raw socket's ICMP error (after any outer IPv4 header): find the
 * probe it quotes and note the reason. */
static void
ping_raw_error(struct ping_run *pr, struct ping_sock *s, const uint8_t *buf,
               size_t len, const struct sockaddr *from)
{
    struct sockaddr_storage dst = { 0 };
    const uint8_t *inner = buf + 8;
    size_t ilen = len - 8;
    if (len < 8)
        return;
    if (s->family == AF_INET) {
        if (ilen < 20 || (size_t)(inner[0] & 0x0f) * 4 > ilen ||
            inner[9] != IPPROTO_ICMP)
            return;
        struct sockaddr_in *d = (struct sockaddr_in *)(void *)&dst;
        d->sin_family = AF_INET;
        memcpy(&d->sin_addr, inner + 16, 4);
        size_t ihl = (size_t)(inner[0] & 0x0f) * 4;
        inner += ihl;
        ilen -= ihl;
    } else {
        if (ilen < 40 || inner[6] != IPPROTO_ICMPV6)
            return;
        struct sockaddr_in6 *d = (struct sockaddr_in6 *)(void *)&dst;
        d->sin6_family = AF_INET6;
        memcpy(&d->sin6_addr, inner + 24, 16);
        inner += 40;
        ilen -= 40;
    }
    struct ping_payload pl;
    struct ping_host *h = ping_lookup(pr, s, inner, ilen,
        s->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST,
        (const struct sockaddr *)&dst, &pl);
    if (h != NULL)
        ping_note_error(h, s->family, buf[0], buf[1], from);
}

/* One received packet: find its probe and record the round trip. */
static void
ping_match(struct ping_run *pr, struct ping_sock *s, const uint8_t *buf,
           size_t len, const struct sockaddr *from, int64_t now_us)
{
    if (s->family == AF_INET && s->raw) {
        if (len < 20)
            return;
        size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
        if (ihl < 20 || ihl > len)
            return;
        buf += ihl;
        len -= ihl;
    }
    if (len < 8)
        return;
    if (s->raw && (s->family == AF_INET
                   ? buf[0] == ICMP_DEST_UNREACH || buf[0] == ICMP_TIME_EXCEEDED
                   : buf[0] == ICMP6_DST_UNREACH ||
                     buf[0] == ICMP6_TIME_EXCEEDED)) {
        ping_raw_error(pr, s, buf, len, from);
        return;
    }
    struct ping_payload pl;
    struct ping_host *h = ping_lookup(pr, s, buf, len,
        s->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY, from, &pl);
    if (h == NULL || pl.sent_us > now_us)
        return;
    if (h->got[pl.probe]) {
        h->dups++;
        return;
    }
    h->got[pl.probe] = 1;
    h->received++;
    pr->answered++;
    double rtt = (double)(now_us - pl.sent_us) / 1000.0;
    if (h->received == 1 || rtt < h->rtt_min)
        h->rtt_min = rtt;
    if (rtt > h->rtt_max)
        h->rtt_max = rtt;
    h->rtt_sum += rtt;
}

/* A datagram socket's error queue (IP_RECVERR): the kernel hands back
 * the probe an ICMP error was about, with type, code and offender. */
static void
ping_errqueue(struct ping_run *pr, struct ping_sock *s)
{
    for (int i = 0; i < 1024; i++) {
        uint8_t buf[PING_PKT_MAX];
        union {
            struct cmsghdr align;
            uint8_t b[512];
        } ctl;
        struct sockaddr_storage dst;
        struct iovec iov = { buf, sizeof(buf) };
        struct msghdr mh = { 0 };
        mh.msg_name = &dst;
        mh.msg_namelen = sizeof(dst);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.b;
        mh.msg_controllen = sizeof(ctl.b);
        ssize_t n = recvmsg(s->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
        if (n == -1)
            return;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
             c = CMSG_NXTHDR(&mh, c)) {
            if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == SOL_IPV6 &&
                   c->cmsg_type == IPV6_RECVERR)))
                continue;
            struct sock_extended_err ee;
            memcpy(&ee, CMSG_DATA(c), sizeof(ee));
            if (ee.ee_origin != SO_EE_ORIGIN_ICMP &&
                ee.ee_origin != SO_EE_ORIGIN_ICMP6)
                continue;
            struct ping_payload pl;
            struct ping_host *h = ping_lookup(pr, s, buf, (size_t)n,
                s->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST,
                (const struct sockaddr *)&dst, &pl);
            struct sockaddr_storage off = { 0 };
            const struct sockaddr *o = SO_EE_OFFENDER(
                (struct sock_extended_err *)(void *)CMSG_DATA(c));
            size_t olen = s->family == AF_INET ? sizeof(struct sockaddr_in)
                                               : sizeof(struct sockaddr_in6);
            memcpy(&off, o, olen);
            if (h != NULL)
                ping_note_error(h, s->family, ee.ee_type, ee.ee_code,
                                (const struct sockaddr *)&off);
        }
    }
}

static void
ping_receive(struct ping_run *pr, struct ping_sock *s)
{
    if (!s->raw)
        ping_errqueue(pr, s);
    for (int errors = 0; errors < 64;) {
        uint8_t buf[PING_PKT_MAX];
        struct sockaddr_storage from;
        struct iovec iov = { buf, sizeof(buf) };
        struct msghdr mh = { 0 };
        mh.msg_name = &from;
        mh.msg_namelen = sizeof(from);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
        if (n == -1) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            errors++;           /* a pending socket error, now cleared */
            continue;
        }
        ping_match(pr, s, buf, (size_t)n, (const struct sockaddr *)&from,
                   mono_us());
    }
}

/* The send schedule and the receive loop (see the top of the file). */
static void
ping_loop(struct ping_run *pr, int64_t deadline_us)
{
    const struct ping_opts *o = pr->o;
    int64_t t0 = mono_us();
    int64_t left = deadline_us - t0;
    if (left <= 0 || pr->norder == 0)
        return;
    int64_t wait = o->wait_us < left / 2 ? o->wait_us : left / 2;
    int64_t iv = o->interval_us;
    int64_t room = (left - wait) / (int64_t)o->count;
    if (iv > room)
        iv = room;
    size_t n = pr->norder;
    unsigned k = 0;             /* cursor: probe k ... */
    size_t j = 0;               /* ... to host order[j] */
    int64_t last_send = t0;
    bool blocked = false;       /* a socket was full: retry shortly */

    for (;;) {
        int64_t now = mono_us();
        blocked = false;
        while (k < o->count &&
               t0 + (int64_t)k * iv + (int64_t)((double)j * (double)iv /
                                               (double)n) <= now) {
            if (ping_send(pr, pr->order[j], k) == -1) {
                blocked = true;
                break;
            }
            last_send = now;
            if (++j == n) {
                j = 0;
                k++;
            }
        }
        now = mono_us();
        if (now >= deadline_us)
            break;
        int64_t end = deadline_us;
        if (k == o->count) {
            if (pr->answered == pr->expected)
                break;
            if (last_send + wait < end)
                end = last_send + wait;
            if (now >= end)
                break;
        }
        int64_t next = end;
        if (k < o->count) {
            int64_t due = t0 + (int64_t)k * iv +
                          (int64_t)((double)j * (double)iv / (double)n);
            if (due < next)
                next = due;
            if (blocked && now + 1000 < next)
                next = now + 1000;
        }
        struct pollfd pfd[2];
        struct ping_sock *ps[2];
        nfds_t np = 0;
        if (pr->s4.fd >= 0) {
            pfd[np] = (struct pollfd){ pr->s4.fd, POLLIN, 0 };
            ps[np++] = &pr->s4;
        }
        if (pr->s6.fd >= 0) {
            pfd[np] = (struct pollfd){ pr->s6.fd, POLLIN, 0 };
            ps[np++] = &pr->s6;
        }
        int64_t tmo_us = next - now;
        int tmo = tmo_us <= 0 ? 0 : (int)((tmo_us + 999) / 1000);
        int rc = poll(pfd, np, tmo);
        if (rc == -1 && errno != EINTR)
            report_fatal("poll: %s", strerror(errno));
        for (nfds_t i = 0; rc > 0 && i < np; i++)
            if (pfd[i].revents)
                ping_receive(pr, ps[i]);
    }
}

static void
ping_report_host(struct report *rep, const struct ping_opts *o,
                 const struct ping_host *h)
{
    char addr[INET6_ADDRSTRLEN + 16] = "";
    if (h->rq->state != RESOLVE_OK) {
        report_item(rep, h->name, MON_CRIT, "%s", h->rq->err);
        return;
    }
    if (h->sock == NULL) {
        report_item(rep, h->name, MON_CRIT, "%s", h->err);
        return;
    }
    char num[INET6_ADDRSTRLEN];
    resolve_ntop((const struct sockaddr *)&h->rq->addr, num, sizeof(num));
    if (strcmp(num, h->name) != 0)
        snprintf(addr, sizeof(addr), " (%s)", num);

    double loss = h->sent ? 100.0 * (double)(h->sent - h->received) /
                            (double)h->sent : 100.0;
    enum mon_status st = MON_OK;
    char why[512] = "";
    double avg = h->received ? h->rtt_sum / (double)h->received : NAN;
    if (h->sent == 0) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; no probe sent before the deadline");
    } else if (h->received == 0) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; no reply%s%s%s%s",
                 h->err[0] ? ", " : "", h->err, h->icmp_err[0] ? ", " : "",
                 h->icmp_err);
    } else if (loss >= o->loss_crit) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; loss >= %g%% (--loss-crit)",
                 o->loss_crit);
    } else if (!isnan(o->rtt_crit) && avg >= o->rtt_crit) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; average rtt >= %g ms (--rtt-crit)",
                 o->rtt_crit);
    } else if (loss >= o->loss_warn) {
        st = MON_WARN;
        snprintf(why, sizeof(why), "; loss >= %g%% (--loss-warn)",
                 o->loss_warn);
    } else if (!isnan(o->rtt_warn) && avg >= o->rtt_warn) {
        st = MON_WARN;
        snprintf(why, sizeof(why), "; average rtt >= %g ms (--rtt-warn)",
                 o->rtt_warn);
    }
    char dups[160] = "";
    if (h->dups)
        snprintf(dups, sizeof(dups), ", %u duplicates", h->dups);
    if (h->received && h->icmp_err[0])
        snprintf(dups + strlen(dups), sizeof(dups) - strlen(dups), ", %s",
                 h->icmp_err);
    if (h->received)
        report_item(rep, h->name, st,
                    "%u/%u received, %.0f%% loss, rtt min/avg/max "
                    "%.3f/%.3f/%.3f ms%s%s%s", h->received, h->sent, loss,
                    h->rtt_min, avg, h->rtt_max, dups, addr, why);
    else
        report_item(rep, h->name, st, "%u/%u received, %.0f%% loss%s%s",
                    h->received, h->sent, loss, addr, why);

    char label[300];
    if (h->received) {
        snprintf(label, sizeof(label), "%s_rta", h->name);
        report_perf(rep, label, avg, "ms", o->rtt_warn, o->rtt_crit, 0, NAN);
    }
    snprintf(label, sizeof(label), "%s_pl", h->name);
    report_perf(rep, label, loss, "%", o->loss_warn, o->loss_crit, 0, 100);
}

int
main(int argc, char **argv)
{
    struct ping_opts o = {
        .count = 5, .interval_us = 250000, .wait_us = 1000000,
        .timeout_ms = 10000, .loss_warn = 40, .loss_crit = 80,
        .rtt_warn = NAN, .rtt_crit = NAN, .family = AF_UNSPEC,
    };
    enum { OPT_LW = 256, OPT_LC, OPT_RW, OPT_RC };
    static const struct option longopts[] = {
        { "count", required_argument, NULL, 'c' },
        { "interval", required_argument, NULL, 'i' },
        { "wait", required_argument, NULL, 'W' },
        { "timeout", required_argument, NULL, 't' },
        { "loss-warn", required_argument, NULL, OPT_LW },
        { "loss-crit", required_argument, NULL, OPT_LC },
        { "rtt-warn", required_argument, NULL, OPT_RW },
        { "rtt-crit", required_argument, NULL, OPT_RC },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    double v;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:i:W:t:46h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            v = parse_num(optarg, 1, PING_COUNT_MAX);
            if (isnan(v) || v != floor(v))
                report_usage(PROG, "-c: expected a count 1..%d, got \"%s\"",
                             PING_COUNT_MAX, optarg);
            o.count = (unsigned)v;
            break;
        case 'i':
            v = parse_num(optarg, 0.001, 3600);
            if (isnan(v))
                report_usage(PROG, "-i: expected seconds 0.001..3600, got "
                             "\"%s\"", optarg);
            o.interval_us = (int64_t)(v * 1e6 + 0.5);
            break;
        case 'W':
            v = parse_num(optarg, 0.001, 3600);
            if (isnan(v))
                report_usage(PROG, "-W: expected seconds 0.001..3600, got "
                             "\"%s\"", optarg);
            o.wait_us = (int64_t)(v * 1e6 + 0.5);
            break;
        case 't':
            o.timeout_ms = parse_seconds_ms(optarg);
            if (o.timeout_ms <= 0)
                report_usage(PROG, "-t: expected a positive number of "
                             "seconds, got \"%s\"", optarg);
            break;
        case OPT_LW:
        case OPT_LC:
            v = parse_num(optarg, 0, 100);
            if (isnan(v))
                report_usage(PROG, "--loss-%s: expected a percentage 0..100, "
                             "got \"%s\"", c == OPT_LW ? "warn" : "crit",
                             optarg);
            *(c == OPT_LW ? &o.loss_warn : &o.loss_crit) = v;
            break;
        case OPT_RW:
        case OPT_RC:
            v = parse_num(optarg, 0, 3600000);
            if (isnan(v) || v <= 0)
                report_usage(PROG, "--rtt-%s: expected milliseconds > 0, "
                             "got \"%s\"", c == OPT_RW ? "warn" : "crit",
                             optarg);
            *(c == OPT_RW ? &o.rtt_warn : &o.rtt_crit) = v;
            break;
        case '4':
            o.family = AF_INET;
            break;
        case '6':
            o.family = AF_INET6;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            report_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            report_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if (o.loss_warn > o.loss_crit)
        report_usage(PROG, "--loss-warn %g is above --loss-crit %g",
                     o.loss_warn, o.loss_crit);
    if (!isnan(o.rtt_warn) && !isnan(o.rtt_crit) && o.rtt_warn > o.rtt_crit)
        report_usage(PROG, "--rtt-warn %g is above --rtt-crit %g",
                     o.rtt_warn, o.rtt_crit);
    size_t nh = (size_t)(argc - optind);
    if (nh == 0)
        report_usage(PROG, "no host given");
    if (nh > PING_HOSTS_MAX)
        report_usage(PROG, "%zu hosts, at most %d", nh, PING_HOSTS_MAX);

    int64_t deadline_ms = mono_ms() + o.timeout_ms;
    struct ping_run pr = { .o = &o, .nhosts = nh };
    pr.s4.fd = pr.s6.fd = -1;
    pr.hosts = calloc(nh, sizeof(*pr.hosts));
    struct resolve_req *rq = calloc(nh, sizeof(*rq));
    pr.order = calloc(nh, sizeof(*pr.order));
    uint8_t *got = calloc(nh, o.count);
    if (!pr.hosts || !rq || !pr.order || !got)
        report_fatal("out of memory for %zu hosts", nh);
    for (size_t i = 0; i < nh; i++) {
        rq[i].name = argv[optind + (int)i];
        pr.hosts[i].name = rq[i].name;
        pr.hosts[i].rq = &rq[i];
        pr.hosts[i].got = got + i * o.count;
    }
    char msg[256];
    if (resolve_all(rq, nh, o.family, deadline_ms, msg, sizeof(msg)) == -1)
        report_fatal("%s", msg);

    /* One socket per family in use; no permission at all is exit 3. */
    bool need4 = false, need6 = false;
    for (size_t i = 0; i < nh; i++) {
        if (rq[i].state != RESOLVE_OK)
            continue;
        if (rq[i].addr.ss_family == AF_INET)
            need4 = true;
        else
            need6 = true;
    }
    char err4[400] = "", err6[400] = "";
    if (need4 && ping_open(&pr.s4, AF_INET, err4, sizeof(err4)) == -1 &&
        (errno == EPERM || errno == EACCES))
        report_fatal("%s", err4);
    if (need6 && ping_open(&pr.s6, AF_INET6, err6, sizeof(err6)) == -1 &&
        (errno == EPERM || errno == EACCES))
        report_fatal("%s", err6);
    if (getrandom(&pr.cookie, sizeof(pr.cookie), 0) != sizeof(pr.cookie))
        pr.cookie = (uint64_t)mono_us() ^ ((uint64_t)getpid() << 32);

    for (size_t i = 0; i < nh; i++) {
        struct ping_host *h = &pr.hosts[i];
        if (rq[i].state != RESOLVE_OK)
            continue;
        bool v4 = rq[i].addr.ss_family == AF_INET;
        struct ping_sock *s = v4 ? &pr.s4 : &pr.s6;
        if (s->fd == -1) {
            snprintf(h->err, sizeof(h->err), "%s", v4 ? err4 : err6);
            continue;
        }
        h->sock = s;
        pr.order[pr.norder++] = i;
    }
    pr.expected = pr.norder * o.count;
    ping_loop(&pr, deadline_ms * 1000);

    struct report rep;
    report_init(&rep);
    for (size_t i = 0; i < nh; i++)
        ping_report_host(&rep, &o, &pr.hosts[i]);
    int rc = report_finish(&rep, stdout);
    report_fini(&rep);
    if (pr.s4.fd >= 0)
        close(pr.s4.fd);
    if (pr.s6.fd >= 0)
        close(pr.s6.fd);
    free(got);
    free(pr.order);
    free(rq);
    free(pr.hosts);
    return rc;
}
