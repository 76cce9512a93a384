/*
 * auth.h — who may run which client command, who may send traps, and
 * password checks: mon's auth.cf and userfile.
 *
 * auth.cf (mon's load_auth()): a "command section" of `cmd: u1, u2`
 * lines where a user is a login name, `all` (anyone, even not logged
 * in), `AUTH_ANY` (anyone logged in) or `!user` (denied even if allowed
 * otherwise; `!AUTH_ANY` denies every logged-in user); and a "trap
 * section" of `host user password-hash` lines where host is `*`, an IP
 * address or a host name (mon's pattern: letters, digits, "." and "-",
 * starting and ending with a letter or digit), and user may be `*` (no
 * password needed).  A host name is resolved when the file is read (at
 * start-up, on reload and on "reload auth"), to every address it has; a
 * name that does not resolve is an error naming file:line, and the file
 * is refused (mon logs it and skips the line).
 *
 * userfile: `user:hash` lines (htpasswd files work): the hash is
 * anything crypt(3) of libxcrypt knows ($1$ md5, $5$/$6$ sha, $2b$/$2y$
 * bcrypt, $y$ yescrypt, DES) or Apache's $apr1$.
 *
 * Logins (mon's authtype, tried in order): getpwnam (crypt(3) of the
 * passwd field, or of the shadow entry when mond may read it, as Perl's
 * getpwnam() that mon calls), shadow (getspnam(3) only; mon accepts the
 * word but never authenticates with it), userfile, pam (pamservice,
 * default "passwd", as mon's Authen::PAM use) and trustlocal.
 *
 * Only auth_load(), auth_parse() (names) and the login checks read files
 * or ask resolvers; the rest is pure.
 */
#ifndef MOND_AUTH_H
#define MOND_AUTH_H

#include <stdbool.h>

#include "diag.h"

struct auth;

/* Parse auth.cf.  Returns a new table, or NULL with every error in errs
 * ("auth.cf:3:1: error: ..."); a file that cannot be opened is one error
 * naming it.  Caller frees with auth_free(). */
struct auth *auth_load(const char *path, struct diag_list *errs);

/* Parse auth.cf text already in memory (name is used in messages);
 * trap host names are resolved with auth_resolve_getaddrinfo(). */
struct auth *auth_parse(const char *name, const char *text,
                        struct diag_list *errs);

#define AUTH_ADDR_LEN 46            /* INET6_ADDRSTRLEN */
#define AUTH_TRAP_ADDRS_MAX 32      /* addresses kept per trap host name */

/* Resolve host into up to max numeric addresses (distinct strings as
 * inet_ntop(3) writes them).  Returns how many, or -1 with a reason in
 * err. */
typedef int (*auth_resolve_fn)(const char *host,
                               char (*addrs)[AUTH_ADDR_LEN], size_t max,
                               char *err, size_t errlen);
/* getaddrinfo(3), IPv4 and IPv6.  Blocks: called only while auth.cf is
 * read. */
int auth_resolve_getaddrinfo(const char *host, char (*addrs)[AUTH_ADDR_LEN],
                             size_t max, char *err, size_t errlen);
/* auth_parse() with another resolver (tests). */
struct auth *auth_parse_with(const char *name, const char *text,
                             auth_resolve_fn resolve,
                             struct diag_list *errs);

/* mon's built-in-looking default (Debian's /etc/mon/auth.cf): reading
 * commands for all, changing ones for any logged-in user, no traps. */
struct auth *auth_default(void);

void auth_free(struct auth *a);

/* May user (NULL when not logged in) run command cmd (lower case, e.g.
 * "disable")?  mon's check_auth(). */
bool auth_may(const struct auth *a, const char *user, const char *cmd);

/* Why a trap was refused (AUTH_TRAP_OK when it was not). */
enum auth_trap_result {
    AUTH_TRAP_OK = 0,
    AUTH_TRAP_HOST,             /* no line for this host (or *) */
    AUTH_TRAP_USER,             /* no line for this user */
    AUTH_TRAP_PASSWORD,         /* wrong password */
};
const char *auth_trap_result_str(enum auth_trap_result r);

/* May a trap from IP address from_ip, claiming user and password (either
 * may be NULL), be accepted?  mon's handle_trap() rules: a `*` host line
 * set is used for every sender; a `*` user accepts any sender. */
enum auth_trap_result auth_trap_check(const struct auth *a,
                                      const char *from_ip, const char *user,
                                      const char *password);

/* Does plain hash to hash (crypt(3), or $apr1$)?  False for an empty
 * hash or an unknown method. */
bool auth_password_matches(const char *plain, const char *hash);

/* Check user/password against a userfile.  1 = accepted, 0 = refused
 * (unknown user or wrong password), -1 = the file cannot be read (errno
 * set). */
int auth_userfile_check(const char *path, const char *user,
                        const char *password);

#define AUTH_PAM_SERVICE_DEFAULT "passwd"   /* mon's pamservice default */

/* pam_authenticate(3) of user with password under PAM service (NULL =
 * "passwd"); rhost (may be NULL) is passed as PAM_RHOST.  Only
 * authentication, as mon (no account management).  1 accepted, 0
 * refused, -1 PAM could not start.  May block while modules work. */
int auth_pam_check(const char *service, const char *user,
                   const char *password, const char *rhost);

/* The globals a login uses (borrowed strings; NULL = unset). */
struct auth_login_cfg {
    const char *authtype;       /* space separated; NULL = "getpwnam" */
    const char *userfile;
    const char *pamservice;     /* NULL = "passwd" */
};

/* A "login" as mon: try each method of the authtype list in order and
 * accept on the first success.  An empty user, or an empty password for
 * any method but trustlocal, is refused.  client_ip is the peer's
 * address (trustlocal wants 127.0.0.1; PAM gets it as PAM_RHOST). */
bool auth_login(const struct auth_login_cfg *lc, const char *user,
                const char *password, const char *client_ip);

#endif
