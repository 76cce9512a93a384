/*
 * auth.h — who may run which client command, who may send traps, and
 * password checks: mon's auth.cf and userfile.
 *
 * auth.cf (mon's load_auth()): a "command section" of `cmd: u1, u2`
 * lines where a user is a login name, `all` (anyone, even not logged
 * in), `AUTH_ANY` (anyone logged in) or `!user` (denied even if allowed
 * otherwise; `!AUTH_ANY` denies every logged-in user); and a "trap
 * section" of `host user password-hash` lines where host is an IP
 * address or `*` and user may be `*` (no password needed).
 *
 * userfile: `user:hash` lines (htpasswd files work): the hash is
 * anything crypt(3) of libxcrypt knows ($1$ md5, $5$/$6$ sha, $2b$/$2y$
 * bcrypt, $y$ yescrypt, DES) or Apache's $apr1$.
 *
 * Only auth_load() and auth_userfile_check() read files; the rest is
 * pure.
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

/* Parse auth.cf text already in memory (name is used in messages). */
struct auth *auth_parse(const char *name, const char *text,
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

/* A "login" as mon: try each method of the space separated authtype
 * list (userfile, getpwnam, trustlocal; pam and shadow are refused) and
 * accept on the first success.  client_ip is the peer's address. */
bool auth_login(const char *authtype, const char *userfile,
                const char *user, const char *password,
                const char *client_ip);

#endif
