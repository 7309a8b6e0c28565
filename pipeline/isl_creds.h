/*
 * isl_creds.h: credentials for the instance, from the environment or a
 * 0600 file, never from the command line or the feed.
 *
 *   ISLOAD_USER, ISLOAD_PASSWORD            Basic auth, or the OAuth
 *                                           password grant with the two below
 *   ISLOAD_CLIENT_ID, ISLOAD_CLIENT_SECRET  OAuth 2.0 (client credentials
 *                                           when there is no user)
 *
 * A credentials file holds the same names as NAME=VALUE lines (# comments
 * allowed) and is refused unless only its owner can read it. When a file
 * is given, the environment is not read. Secrets are wiped on free and
 * never printed: isl_creds_describe names the method and the user only.
 */
#ifndef ISL_CREDS_H
#define ISL_CREDS_H

#include "isl_setup.h"

struct isl_error;

enum isl_auth_method {
    ISL_AUTH_BASIC,
    ISL_AUTH_OAUTH_PASSWORD,
    ISL_AUTH_OAUTH_CLIENT,
};

struct isl_creds {
    enum isl_auth_method method;
    char *user, *password;
    char *client_id, *client_secret;
};

/*
 * Load from file (when not NULL) or the environment. Returns 0, or
 * ISL_ECONFIG with err saying what is missing or why the file is refused.
 */
int isl_creds_load(struct isl_creds *c, const char *file,
                   struct isl_error *err);

/* "basic auth as USER", "oauth (password grant) as USER", ... */
const char *isl_creds_describe(const struct isl_creds *c, char *buf, size_t n);

void isl_creds_free(struct isl_creds *c);

#endif
