/*
 * trap.h — mon's trap packet (UDP), pure encode and decode.
 *
 * A packet is text lines `tag='value'` with values in mon's hex escaping
 * (monproto_esc with quotes): pro (protocol version, 0.3807), usr, pas,
 * typ ("trap"), spc (opstatus number, unused by mon), seq, grp, svc, hst,
 * sta (exit status, as a monitor's), tsp (time(2)), sum, dtl.  Mon::Client
 * send_trap() writes them; mon's handle_trap() reads them.
 */
#ifndef MOND_TRAP_H
#define MOND_TRAP_H

#include <stddef.h>
#include <stdint.h>

/* Largest packet read (mon's recv() size). */
#define TRAP_PACKET_MAX 65536
/* Oldest protocol version mon accepts. */
#define TRAP_PRO_VERSION "0.3807"

/* A decoded packet: each field a new string, NULL when absent. */
struct trap_packet {
    char *pro, *usr, *pas, *typ, *spc, *seq, *grp, *svc, *hst, *sta, *tsp,
         *sum, *dtl;
    size_t unknown_lines;       /* lines that are not tag=value */
};

/* Decode len bytes as mon does: each `tag=value` line, surrounding single
 * quotes removed, \xx unescaped; other tags and lines ignored (counted).
 * Returns 0, or -1 with a reason in why (a static string) when the packet
 * cannot be a trap: no sta, sta not a number, pro older than 0.3807, no
 * grp.  t is filled either way; free it with trap_packet_fini(). */
int trap_decode(const char *buf, size_t len, struct trap_packet *t,
                const char **why);
void trap_packet_fini(struct trap_packet *t);

/* What to send (Mon::Client send_trap()'s arguments). */
struct trap_send {
    const char *user;           /* NULL or "" = no usr/pas lines' value */
    const char *password;
    const char *group, *service;
    int retval;                 /* sta */
    int opstatus;               /* spc; mon ignores it (1 = ok) */
    int64_t time_s;             /* tsp */
    const char *summary, *detail;
};

/* The packet bytes, exactly as Mon::Client builds them.  Returns a new
 * NUL-terminated string; *len gets its length. */
char *trap_encode(const struct trap_send *s, size_t *len);

#endif
