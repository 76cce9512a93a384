/*
 * srv_http.h — mond's HTTP server: the status page, the JSON API and
 * /metrics, served by libmicrohttpd from mond's own epoll loop on
 * httpbind:httpport (no thread of its own).
 *
 * Reading (GET/HEAD) is open to loopback clients; a client from any
 * other address must authenticate like an action.  Actions (POST
 * /api/v1/services/G/S/ack|disable|enable|test) need HTTP Basic
 * credentials accepted by mond's userfile and allowed for the command by
 * auth.cf, plus the header X-Requested-With (CSRF: a cross-site form
 * cannot send it, a cross-site script cannot without a preflight this
 * server never grants) and, when the browser sends one, an Origin equal
 * to the Host.  Request bodies are bounded (SRV_HTTP_BODY_MAX), so are
 * connections, their memory and their idle time.
 */
#ifndef MOND_SRV_HTTP_H
#define MOND_SRV_HTTP_H

#include <stdbool.h>

#define SRV_HTTP_BODY_MAX (16 * 1024)      /* POST body bound */
#define SRV_HTTP_CONN_MAX 256              /* connections at once */
#define SRV_HTTP_CONN_PER_IP 128
#define SRV_HTTP_CONN_MEM (64 * 1024)      /* headers + body per conn */
#define SRV_HTTP_IDLE_S 30                 /* idle connection timeout */
#define SRV_HTTP_DTLOG_MAX (8 * 1024 * 1024)  /* downtime log tail read */
#define SRV_HTTP_CACHE_MS 1000             /* big documents re-rendered at
                                            * most this often */

struct loop;
struct svctab;
struct spawner;
struct alertq;
struct srv_http;

/* Listen on the config's httpbind:httpport (read from svctab_config())
 * and serve from lp.  Returns NULL when httpport is 0, or when the
 * address cannot be used (logged: mond keeps monitoring without its
 * page).  Everything passed is borrowed and must outlive the server. */
struct srv_http *srv_http_new(struct loop *lp, struct svctab *tab,
                              struct spawner *sp, struct alertq *aq);
/* Close every connection and the listening socket.  NULL is a no-op. */
void srv_http_free(struct srv_http *h);

/* main.c tells the outcome of each reload (for /metrics). */
void srv_http_reloaded(struct srv_http *h, bool ok);

#endif
