/*
 * resolve.h — resolve many host names at once (c-ares), under a deadline,
 * for monitors that need addresses before they start (ping, dns); and
 * "host", "host:port", "[v6]:port" argument splitting.
 *
 * Numeric addresses are converted at once; names go to one c-ares
 * channel (ares_getaddrinfo, system resolver configuration) driven by
 * poll() until every name is answered or the deadline passes.
 * Single-threaded; c-ares is initialised on first use.
 */
#ifndef MOND_MON_RESOLVE_H
#define MOND_MON_RESOLVE_H

#include <stdint.h>
#include <sys/socket.h>

#define RESOLVE_ERR_MAX 128

enum resolve_state {
    RESOLVE_PENDING = 0,    /* not answered (yet) */
    RESOLVE_OK,             /* addr/addrlen hold the first address */
    RESOLVE_FAILED,         /* err says why */
};

struct resolve_req {
    const char *name;                  /* borrowed: the host to resolve */
    enum resolve_state state;
    struct sockaddr_storage addr;      /* port 0 */
    socklen_t addrlen;
    char err[RESOLVE_ERR_MAX];         /* "Domain name not found", ... */
};

/* Resolve reqs[0..n) to their first address of family (AF_UNSPEC,
 * AF_INET or AF_INET6), concurrently, until all are done or mono_ms()
 * reaches deadline_ms.  Names still unanswered then are set to
 * RESOLVE_FAILED with "name resolution timed out".  Returns 0, or -1
 * (with msg filled) when the resolver cannot be set up at all. */
int resolve_all(struct resolve_req *reqs, size_t n, int family,
                int64_t deadline_ms, char *msg, size_t msglen);

/* Numeric form of an address ("192.0.2.1", "2001:db8::1"). */
const char *resolve_ntop(const struct sockaddr *sa, char *buf, size_t len);

/* Split "host", "host:port", "[v6addr]:port", "[v6addr]" or a bare IPv6
 * address into host (copied into host, NUL-terminated) and port
 * (default_port when none is given).  Returns 0, or -1 when the port is
 * not 1..65535, the brackets do not match or host does not fit. */
int resolve_split_hostport(const char *arg, char *host, size_t hostlen,
                           int default_port, int *port);

/* Raise the soft RLIMIT_NOFILE to the hard limit (one socket per host
 * needs many); returns the number of descriptors now allowed. */
size_t resolve_raise_nofile(void);

#endif
