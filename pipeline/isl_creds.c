/*
 * isl_creds.c: loading credentials (see isl_creds.h).
 */
#include "isl_setup.h"
#include "isl_creds.h"
#include "isl_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void wipe(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = '\0';
    }
    free(s);
}

void isl_creds_free(struct isl_creds *c)
{
    wipe(c->user);
    wipe(c->password);
    wipe(c->client_id);
    wipe(c->client_secret);
    memset(c, 0, sizeof(*c));
}

static int set(char **dst, const char *v)
{
    char *d = strdup(v);

    if (!d)
        return -1;
    wipe(*dst);
    *dst = d;
    return 0;
}

static int from_file(struct isl_creds *c, const char *path,
                     struct isl_error *err)
{
    struct stat st;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int fd, rc = 0;
    FILE *f;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        isl_error_set(err, ISL_ECONFIG, "credentials", "cannot open: %s",
                      strerror(errno));
        isl_error_at(err, path, 0, UINT64_MAX);
        return ISL_ECONFIG;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_mode & 0077) != 0 || st.st_uid != geteuid()) {
        close(fd);
        isl_error_set(err, ISL_ECONFIG, "credentials",
                      "refused: the file must be a regular file owned by "
                      "you with mode 0600 (chmod 600 %s)",
                      path);
        isl_error_at(err, path, 0, UINT64_MAX);
        return ISL_ECONFIG;
    }
    f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return isl_error_set(err, ISL_ENOMEM, "credentials", "out of memory");
    }
    while (getline(&line, &cap, f) > 0) {
        char *eq, *v, *end;
        char **dst = NULL;

        lineno++;
        end = line + strlen(line);
        while (end > line && (end[-1] == '\n' || end[-1] == '\r'))
            *--end = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        eq = strchr(line, '=');
        if (!eq) {
            rc = isl_error_set(err, ISL_ECONFIG, "credentials",
                               "expected NAME=VALUE");
            isl_error_at(err, path, lineno, UINT64_MAX);
            break;
        }
        *eq = '\0';
        v = eq + 1;
        if (strcmp(line, "ISLOAD_USER") == 0)
            dst = &c->user;
        else if (strcmp(line, "ISLOAD_PASSWORD") == 0)
            dst = &c->password;
        else if (strcmp(line, "ISLOAD_CLIENT_ID") == 0)
            dst = &c->client_id;
        else if (strcmp(line, "ISLOAD_CLIENT_SECRET") == 0)
            dst = &c->client_secret;
        if (!dst) {
            rc = isl_error_set(err, ISL_ECONFIG, "credentials",
                               "unknown name '%.60s'", line);
            isl_error_at(err, path, lineno, UINT64_MAX);
            break;
        }
        if (set(dst, v) < 0) {
            rc = isl_error_set(err, ISL_ENOMEM, "credentials", "out of memory");
            break;
        }
    }
    if (line) {
        memset(line, 0, cap);
        free(line);
    }
    fclose(f);
    return rc;
}

int isl_creds_load(struct isl_creds *c, const char *file, struct isl_error *err)
{
    int rc;

    memset(c, 0, sizeof(*c));
    if (file) {
        if ((rc = from_file(c, file, err)) < 0) {
            isl_creds_free(c);
            return rc;
        }
    } else {
        static const char *const names[] = {"ISLOAD_USER", "ISLOAD_PASSWORD",
                                            "ISLOAD_CLIENT_ID",
                                            "ISLOAD_CLIENT_SECRET"};
        char **dst[] = {&c->user, &c->password, &c->client_id,
                        &c->client_secret};

        for (size_t i = 0; i < 4; i++) {
            const char *v = getenv(names[i]);

            if (v && *v && set(dst[i], v) < 0) {
                isl_creds_free(c);
                return isl_error_set(err, ISL_ENOMEM, "credentials",
                                     "out of memory");
            }
        }
    }
    if (c->client_id || c->client_secret) {
        if (!c->client_id || !c->client_secret) {
            isl_creds_free(c);
            return isl_error_set(err, ISL_ECONFIG, "credentials",
                                 "OAuth needs both ISLOAD_CLIENT_ID and "
                                 "ISLOAD_CLIENT_SECRET");
        }
        if (c->user && !c->password) {
            isl_creds_free(c);
            return isl_error_set(err, ISL_ECONFIG, "credentials",
                                 "ISLOAD_USER is set without "
                                 "ISLOAD_PASSWORD");
        }
        c->method = c->user ? ISL_AUTH_OAUTH_PASSWORD : ISL_AUTH_OAUTH_CLIENT;
        return 0;
    }
    if (!c->user || !c->password) {
        isl_creds_free(c);
        return isl_error_set(err, ISL_ECONFIG, "credentials",
                             "no credentials: set ISLOAD_USER and "
                             "ISLOAD_PASSWORD (Basic), or ISLOAD_CLIENT_ID "
                             "and ISLOAD_CLIENT_SECRET (OAuth), in the "
                             "environment or in a 0600 file given with "
                             "--credentials");
    }
    c->method = ISL_AUTH_BASIC;
    return 0;
}

const char *isl_creds_describe(const struct isl_creds *c, char *buf, size_t n)
{
    switch (c->method) {
    case ISL_AUTH_BASIC:
        snprintf(buf, n, "basic auth as %s", c->user);
        break;
    case ISL_AUTH_OAUTH_PASSWORD:
        snprintf(buf, n, "oauth (password grant) as %s", c->user);
        break;
    case ISL_AUTH_OAUTH_CLIENT:
        snprintf(buf, n, "oauth (client credentials)");
        break;
    }
    return buf;
}
