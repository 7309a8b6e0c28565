/*
 * isl_cli_conn.c: the options every command that talks to an instance
 * takes (load, rollback, preflight): the URL, credentials, TLS, proxy,
 * timeout and request log, and turning them into an isl_http.
 */
#include "isl_setup.h"
#include "isl_cli.h"
#include "isl_error.h"

#include <stdlib.h>
#include <string.h>

const char isl_cli_conn_help[] =
    "Instance options:\n"
    "  --instance URL        https://NAME.service-now.com (or "
    "$ISLOAD_INSTANCE);\n"
    "                        http:// only for loopback addresses\n"
    "  --credentials FILE    NAME=VALUE file, mode 0600 (else the "
    "environment:\n"
    "                        ISLOAD_USER, ISLOAD_PASSWORD, ISLOAD_CLIENT_ID,\n"
    "                        ISLOAD_CLIENT_SECRET)\n"
    "  --ca-file FILE        extra CA certificates for a private CA\n"
    "  --cert FILE           client certificate for mutual TLS (PEM)\n"
    "  --key FILE            its private key (PEM), if not in --cert\n"
    "  --proxy URL           proxy (HTTPS_PROXY and NO_PROXY apply "
    "otherwise)\n"
    "  --timeout S           seconds per request (default 120)\n"
    "  --log FILE            request log, JSON lines\n"
    "  --log-bodies          also log request and response bodies "
    "(credentials\n"
    "                        and tokens are never logged)\n";

void isl_cli_conn_init(struct isl_cli_conn *c)
{
    memset(c, 0, sizeof(*c));
    c->instance = getenv("ISLOAD_INSTANCE");
}

int isl_cli_conn_option(struct isl_cli_conn *c, const char *cmd, int opt,
                        const char *arg)
{
    long v;
    char *end;

    switch (opt) {
    case ISL_OPT_INSTANCE:
        c->instance = arg;
        return 0;
    case ISL_OPT_CREDENTIALS:
        c->creds_file = arg;
        return 0;
    case ISL_OPT_CA_FILE:
        c->http.ca_file = arg;
        return 0;
    case ISL_OPT_CERT:
        c->http.cert = arg;
        return 0;
    case ISL_OPT_KEY:
        c->http.key = arg;
        return 0;
    case ISL_OPT_PROXY:
        c->http.proxy = arg;
        return 0;
    case ISL_OPT_TIMEOUT:
        v = strtol(arg, &end, 10);
        if (*end || v < 1 || v > 100000)
            return isl_cli_usage_error(cmd, "bad value '%s' for --timeout",
                                       arg);
        c->http.timeout_s = v;
        return 0;
    case ISL_OPT_LOG:
        c->log_path = arg;
        return 0;
    case ISL_OPT_LOG_BODIES:
        c->http.log_bodies = true;
        return 0;
    default:
        return isl_cli_usage_error(cmd, "unknown option");
    }
}

int isl_cli_conn_check(struct isl_cli_conn *c, const char *cmd,
                       struct isl_error *err)
{
    int rc;

    if (!c->instance)
        return isl_cli_usage_error(cmd, "no --instance given");
    if (c->http.key && !c->http.cert)
        return isl_cli_usage_error(cmd, "--key needs --cert");
    if ((rc = isl_http_check_url(c->instance, err)) < 0)
        return rc;
    return isl_creds_load(&c->creds, c->creds_file, err);
}

int isl_cli_conn_open(struct isl_cli_conn *c, const char *default_log,
                      bool append, int concurrency, struct isl_http **http,
                      struct isl_error *err)
{
    const char *path = c->log_path ? c->log_path : default_log;

    *http = NULL;
    if (path && !(c->log = fopen(path, append ? "a" : "w")))
        return isl_error_set(err, ISL_EIO, "cli", "cannot write %s", path);
    c->http.base_url = c->instance;
    c->http.creds = &c->creds;
    c->http.log = c->log;
    c->http.concurrency = concurrency;
    return isl_http_new(http, &c->http, err);
}

void isl_cli_conn_free(struct isl_cli_conn *c)
{
    isl_creds_free(&c->creds);
    if (c->log)
        fclose(c->log);
    c->log = NULL;
}
