/*
 * fuzz_trap.c — mon's trap packet, trap_decode() and trap_encode().
 *
 * The input is one UDP payload (not NUL-terminated).  Checks: a refused
 * packet has a reason, an accepted one none, and it has pro, a numeric
 * sta and a grp; an accepted packet re-encoded with trap_encode() (as
 * Mon::Client would send its fields) decodes to the same group,
 * service, status, user, summary and detail when those hold no
 * backslash (mon's escaping does not round-trip a backslash).
 */
#include "fuzz.h"
#include "trap.h"

static bool
no_backslash(const char *s)
{
    return s == NULL || strchr(s, '\\') == NULL;
}

static bool
str_eq0(const char *a, const char *b)
{
    /* absent is sent as "" */
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > TRAP_PACKET_MAX)
        return 0;
    char *buf = fuzz_copy(data, size);
    struct trap_packet t;
    const char *why = "unset";

    if (trap_decode(buf, size, &t, &why) < 0) {
        FUZZ_CHECK(why != NULL && why[0] != '\0', "refused without reason");
        trap_packet_fini(&t);
        free(buf);
        return 0;
    }
    FUZZ_CHECK(why == NULL, "accepted with reason %s", why);
    FUZZ_CHECK(t.pro != NULL && t.sta != NULL && t.grp != NULL &&
               t.grp[0] != '\0', "accepted without pro/sta/grp");
    for (const char *s = t.sta; *s; s++)
        FUZZ_CHECK(*s >= '0' && *s <= '9', "sta \"%s\"", t.sta);

    if (strlen(t.sta) <= 9 && no_backslash(t.grp) && no_backslash(t.svc) &&
        no_backslash(t.usr) && no_backslash(t.sum) && no_backslash(t.dtl)) {
        struct trap_send s = {
            .user = t.usr, .password = t.pas, .group = t.grp,
            .service = t.svc, .retval = atoi(t.sta), .opstatus = 1,
            .time_s = 1700000000, .summary = t.sum, .detail = t.dtl,
        };
        size_t len = 0;
        char *pkt = trap_encode(&s, &len);
        FUZZ_CHECK(pkt != NULL && strlen(pkt) == len, "encode length");
        struct trap_packet u;
        const char *why2 = "unset";
        FUZZ_CHECK(trap_decode(pkt, len, &u, &why2) == 0,
                   "re-encoded packet refused: %s\n%s", why2, pkt);
        FUZZ_CHECK(str_eq0(t.grp, u.grp), "grp");
        FUZZ_CHECK(str_eq0(t.svc, u.svc), "svc");
        FUZZ_CHECK(str_eq0(t.usr, u.usr), "usr");
        FUZZ_CHECK(str_eq0(t.sum, u.sum), "sum");
        FUZZ_CHECK(str_eq0(t.dtl, u.dtl), "dtl");
        FUZZ_CHECK(atoi(u.sta) == atoi(t.sta), "sta %s %s", t.sta, u.sta);
        trap_packet_fini(&u);
        free(pkt);
    }
    trap_packet_fini(&t);
    free(buf);
    return 0;
}
