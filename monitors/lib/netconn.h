/*
 * netconn.h — many TCP client connections at once, under one deadline.
 *
 * A netconn_loop owns one epoll fd, one c-ares channel (names resolved
 * concurrently with ares_getaddrinfo, IPv4 and IPv6) and one OpenSSL
 * context.  Each connection runs: resolve -> non-blocking connect (each
 * address in turn until one answers) -> optional implicit TLS -> the
 * protocol, which the caller drives from callbacks by reading lines or
 * raw bytes and queueing writes; netconn_starttls() upgrades mid-stream.
 *
 * Every wait shares the loop's one deadline: when it passes, each
 * connection not yet finished gets its fail callback with
 * NETCONN_ETIMEOUT and the step it was in ("connect", or the step name
 * the protocol set with netconn_set_step()).  A server that accepts and
 * never speaks therefore fails at the deadline, never hangs.
 *
 * Input is bounded (NETCONN_INBUF_MAX); output is queued without bound
 * but callers only queue short protocol commands.  Single-threaded.
 */
#ifndef MOND_MON_NETCONN_H
#define MOND_MON_NETCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETCONN_INBUF_MAX 16384  /* bytes buffered from a peer */

struct netconn_loop;
struct netconn;

enum netconn_error {
    NETCONN_ERESOLVE,       /* name did not resolve */
    NETCONN_ECONNECT,       /* every address refused / unreachable */
    NETCONN_ETLS,           /* TLS handshake failed */
    NETCONN_EIO,            /* read/write error after connect */
    NETCONN_ECLOSED,        /* peer closed before the protocol finished */
    NETCONN_ETOOLONG,       /* a line longer than NETCONN_INBUF_MAX */
    NETCONN_ETIMEOUT,       /* the loop's deadline passed */
    NETCONN_ENOSLOT,        /* no file descriptor left for the socket */
};

/* Callbacks; 'arg' is the pointer given to netconn_add().  After fail or
 * after the protocol calls netconn_done() no further callback runs. */
struct netconn_handler {
    /* TCP connected (and, with tls, the handshake completed). */
    void (*connected)(struct netconn *c, void *arg);
    /* New bytes arrived: use netconn_getline() / netconn_input(). */
    void (*readable)(struct netconn *c, void *arg);
    /* netconn_starttls() finished its handshake. */
    void (*tls_done)(struct netconn *c, void *arg);
    /* The connection failed; netconn_errmsg() says why. */
    void (*fail)(struct netconn *c, enum netconn_error e, void *arg);
};

struct netconn_tls_opts {
    bool use;               /* some connection will use TLS: load trust */
    bool insecure;          /* skip certificate and name verification */
    const char *cafile;     /* NULL: system default trust store */
};

/* Create a loop whose deadline is timeout_ms after netconn_loop_run()
 * starts (all times are measured from that start).
 * family: 0 (both), 4 or 6.  tls may be NULL (no TLS).  Exits 3
 * (report_fatal) when the resolver, the TLS context or tls->cafile
 * cannot be set up: nothing can be checked then. */
struct netconn_loop *netconn_loop_new(int64_t timeout_ms, int family,
                                      const struct netconn_tls_opts *tls);
/* Free the loop and every connection (no callbacks run). */
void netconn_loop_free(struct netconn_loop *lp);

/* Queue a connection to host:port.  host is copied; tls = implicit TLS
 * right after connect.  Nothing happens until netconn_loop_run(). */
struct netconn *netconn_add(struct netconn_loop *lp, const char *host,
                            uint16_t port, bool tls,
                            const struct netconn_handler *h, void *arg);

/* Run until every connection is done or failed, or the deadline passes
 * (then every unfinished one fails with NETCONN_ETIMEOUT). */
void netconn_loop_run(struct netconn_loop *lp);

/* --- for use inside callbacks --- */

/* Next complete line (CR LF or LF stripped, NUL-terminated) in *line:
 * 1 = a line (valid until the next netconn call on c), 0 = need more
 * input.  Input that fills NETCONN_INBUF_MAX unconsumed fails c with
 * NETCONN_ETOOLONG when the readable callback returns. */
int netconn_getline(struct netconn *c, const char **line, size_t *len);
/* All buffered input (NUL-terminated, may hold NULs); not consumed. */
const char *netconn_input(struct netconn *c, size_t *len);
/* Queue bytes for the peer (copied).  Returns 0, or -1 if c is done. */
int netconn_write(struct netconn *c, const void *buf, size_t len);
/* Start TLS on the connection; tls_done (or fail) follows.  Buffered
 * plaintext input is discarded (RFC 3207 section 6). */
void netconn_starttls(struct netconn *c);
/* Name the protocol step now waited for ("banner", "EHLO reply"): it
 * appears in the timeout message.  s must outlive the connection. */
void netconn_set_step(struct netconn *c, const char *s);
/* Finish c: close the socket; no more callbacks.  The protocol calls it
 * on success and on a failure it reports itself (a 554 banner). */
void netconn_done(struct netconn *c);
/* Peer closed its side (EOF seen); input may still hold data. */
bool netconn_eof(const struct netconn *c);

/* --- results --- */
const char *netconn_host(const struct netconn *c);
uint16_t netconn_port(const struct netconn *c);
/* Numeric address connected to ("" before connect). */
const char *netconn_addr(const struct netconn *c);
/* Why it failed, in words ("connect 127.0.0.1 port 25: Connection
 * refused", "timeout after 2.00 s waiting for banner"). */
const char *netconn_errmsg(const struct netconn *c);
/* Microseconds from the loop start to name resolved / TCP connected /
 * TLS done; -1 when not reached. */
int64_t netconn_t_resolved_us(const struct netconn *c);
int64_t netconn_t_connected_us(const struct netconn *c);
int64_t netconn_t_tls_us(const struct netconn *c);
/* Microseconds since the loop started. */
int64_t netconn_elapsed_us(const struct netconn *c);

/* TLS facts after a handshake: verification result (NULL when verified
 * or verification is off; else OpenSSL's reason, e.g. "certificate has
 * expired"), and whole days until the peer certificate's notAfter
 * (negative when expired); *days untouched and -1 returned when no
 * certificate was presented. */
const char *netconn_tls_verify_error(const struct netconn *c);
int netconn_tls_cert_days(const struct netconn *c, int *days);
/* Same for any X509 (passed as void * so callers need no OpenSSL header
 * of their own): 0 and *days, or -1. */
int netconn_x509_days_left(const void *x509, int *days);

/* Raise the soft RLIMIT_NOFILE to the hard limit (many hosts, many
 * sockets); returns the descriptors now allowed. */
size_t netconn_raise_nofile(void);

/* Parse a TCP port 1..65535; -1 if bad. */
int netconn_parse_port(const char *s);

#endif
