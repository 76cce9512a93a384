/*
 * srv_mon_int.h — what srv_mon.c (sockets, clients) and srv_mon_cmd.c
 * (the commands) share.  Internal to the server: nothing else includes
 * it.
 */
#ifndef MOND_SRV_MON_INT_H
#define MOND_SRV_MON_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "monproto.h"
#include "srv_mon.h"

/* One connected client.  Owned by its server (list m->clients). */
struct client {
    struct srv_mon *m;
    int fd;
    struct loop_io io;
    struct loop_timer idle;
    char peer[INET6_ADDRSTRLEN];
    bool local;                 /* peer is a loopback address */
    char *user;                 /* logged in as; NULL = not */
    char *view;                 /* setview; NULL = all */
    char in[MONPROTO_LINE_MAX + 2];
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    bool closing;               /* close once output is written */
    bool want_out;
    struct client *prev, *next;
};

struct srv_mon {
    struct loop *lp;
    struct svctab *tab;
    struct srv_state *ss;
    struct srv_mon_hooks hooks;
    struct auth *auth;
    int lfd;
    struct loop_io lio;
    bool listening;             /* lio watched */
    struct loop_timer retry;
    struct client *clients;
    size_t nclients;
    size_t maxkeep;
    bool emfile_logged;
    int64_t log_window_ns;      /* rate limit of srv_mon_log() */
    int log_count;
};

/* Queue reply text for c (written by the client's I/O handler). */
void srv_mon_out_str(struct client *c, const char *s);
void srv_mon_out_fmt(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A log line a remote peer can trigger (rate-limited). */
void srv_mon_log(struct srv_mon *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The table's current config. */
const struct config *srv_mon_cfg(const struct srv_mon *m);
/* Run one command line (no newline) of c and queue its reply; may set
 * c->closing.  Never closes or frees c. */
void srv_mon_run_line(struct client *c, const char *line, int64_t now_ns);

#endif
