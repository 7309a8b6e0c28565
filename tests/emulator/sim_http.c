/*
 * sim_http.c: the HTTP front of isload-sim (libmicrohttpd, one thread per
 * connection, keep-alive). For each request it:
 *
 *   1. draws the request's fault (drop-before closes the connection here),
 *   2. collects the body (up to max_content_length),
 *   3. sleeps the added latency, answers 503 / 429 / queue-full faults,
 *   4. routes: /oauth_token.do, /api/now[/vN]/import/..., /api/now[/vN]/
 *      table/...; checks credentials (401), headers (400/406/415) and the
 *      per-user rate rule (429),
 *   5. runs the handler, then either queues the response or, for the
 *      drop-after fault, closes the connection after the work committed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct conn_ctx {
    struct sim_str body;
    enum sim_fault fault;
    bool too_big;
    bool counted; /* included in s->inflight */
};

/* --- request / response helpers ------------------------------------------*/

const char *sim_req_arg(const struct sim_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *sim_req_header(const struct sim_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct each_arg {
    void (*fn)(void *payload, const char *key, const char *value);
    void *payload;
};

static enum MHD_Result each_arg_cb(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct each_arg *ea = cls;

    (void)kind;
    ea->fn(ea->payload, key, value ? value : "");
    return MHD_YES;
}

void sim_req_each_arg(const struct sim_req *r,
                      void (*fn)(void *payload, const char *key,
                                 const char *value),
                      void *payload)
{
    struct each_arg ea = {fn, payload};

    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_arg_cb, &ea);
}

void sim_resp_json(struct sim_resp *resp, int status, json_t *body)
{
    free(resp->body);
    resp->status = status;
    resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    json_decref(body);
}

void sim_resp_body(struct sim_resp *resp, int status, char *body, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->body = body;
    resp->body_len = body ? len : 0;
}

void sim_resp_error(struct sim_resp *resp, int status, const char *message,
                    const char *detail)
{
    sim_resp_json(resp, status,
                  json_pack("{s:{s:s, s:s}, s:s}", "error", "message", message,
                            "detail", detail ? detail : "", "status",
                            "failure"));
}

void sim_resp_header(struct sim_resp *resp, const char *name, const char *fmt,
                     ...)
{
    va_list ap;
    size_t i;

    for (i = 0; i < resp->nhdr; i++)
        if (strcasecmp(resp->hdr_name[i], name) == 0)
            break;
    if (i == SIM_MAX_HEADERS)
        return;
    snprintf(resp->hdr_name[i], sizeof(resp->hdr_name[i]), "%s", name);
    va_start(ap, fmt);
    vsnprintf(resp->hdr_value[i], sizeof(resp->hdr_value[i]), fmt, ap);
    va_end(ap);
    if (i == resp->nhdr)
        resp->nhdr++;
}

bool sim_req_charge(struct sim *s, struct sim_req *r, int rows,
                    struct sim_resp *resp)
{
    int64_t cost = (int64_t)rows * s->cfg->row_cost_ms;

    if (r->spent_ms + cost > s->cfg->time_budget_ms) {
        sim_sleep_ms(s->cfg->time_budget_ms - r->spent_ms);
        r->spent_ms = s->cfg->time_budget_ms;
        sim_fault_respond(s, SIM_FAULT_500, resp);
        return false;
    }
    sim_sleep_ms(cost);
    r->spent_ms += cost;
    return true;
}

/* --- routing --------------------------------------------------------------*/

/* "/api/now/table/x" -> "table/x", version 0; "/api/now/v1/table/x" ->
 * "table/x", version 1. NULL when the path is not under /api/now/. */
static const char *api_rest(const char *url, int *version)
{
    const char *p;

    *version = 0;
    if (strncmp(url, "/api/now/", 9) != 0)
        return NULL;
    p = url + 9;
    if (p[0] == 'v' && p[1] >= '1' && p[1] <= '9' && p[2] == '/') {
        *version = p[1] - '0';
        p += 3;
    }
    return p;
}

static bool accept_ok(const char *accept)
{
    return !accept || strstr(accept, "application/json") ||
           strstr(accept, "*/*") || strstr(accept, "application/*");
}

/* Accept / Content-Type rules of the REST API. false: resp filled. */
static bool check_headers(struct sim *s, const struct sim_req *r,
                          struct sim_resp *resp)
{
    const char *accept = sim_req_header(r, "Accept");
    const char *ct = sim_req_header(r, "Content-Type");
    bool writes = strcmp(r->method, "POST") == 0 ||
                  strcmp(r->method, "PUT") == 0 ||
                  strcmp(r->method, "PATCH") == 0;

    if (!s->cfg->strict_headers)
        return true;
    if (!accept) {
        sim_resp_error(resp, 400, "Accept header is missing", "");
        return false;
    }
    if (!accept_ok(accept)) {
        sim_resp_error(resp, 406,
                       "Requested response format is not "
                       "supported",
                       "Only application/json is emulated");
        return false;
    }
    if (writes || r->body_len) {
        if (!ct) {
            sim_resp_error(resp, 400, "Content-Type header is missing", "");
            return false;
        }
        if (strncasecmp(ct, "application/json", 16) != 0) {
            sim_resp_error(resp, 415, "Unsupported Media Type",
                           "Only application/json is emulated");
            return false;
        }
    }
    return true;
}

static void route(struct sim *s, struct sim_req *r, struct sim_resp *resp)
{
    int version = 0;
    const char *rest = api_rest(r->url, &version);
    const char *resource;

    if (strcmp(r->url, "/oauth_token.do") == 0) {
        sim_auth_token_endpoint(s, r, resp);
        return;
    }
    if (!rest ||
        (strncmp(rest, "table/", 6) != 0 && strncmp(rest, "import/", 7) != 0)) {
        sim_resp_error(resp, 400,
                       "Requested URI does not represent any resource", "");
        return;
    }
    r->user = sim_auth_check(s, r);
    if (!r->user) {
        sim_resp_error(resp, 401, "User Not Authenticated",
                       "Required to provide Auth information");
        sim_resp_header(resp, "WWW-Authenticate",
                        "BASIC realm=\"Service-now\"");
        return;
    }
    if (!check_headers(s, r, resp))
        return;
    resource = rest[0] == 't' ? "Table API" : "Import Set API";
    if (!sim_fault_rate_check(s, r->user->name, resource, resp))
        return;
    if (rest[0] == 't')
        sim_table_api(s, r, resp, rest + 6, version);
    else
        sim_import_api(s, r, resp, rest + 7);
}

/* --- libmicrohttpd callbacks ---------------------------------------------*/

static enum MHD_Result queue(struct MHD_Connection *conn, struct sim_resp *resp)
{
    struct MHD_Response *mr;
    enum MHD_Result ret;

    if (resp->status == 204 || !resp->body) {
        free(resp->body);
        resp->body = NULL;
        mr = MHD_create_response_from_buffer(0, (void *)"",
                                             MHD_RESPMEM_PERSISTENT);
    } else {
        mr = MHD_create_response_from_buffer(resp->body_len, resp->body,
                                             MHD_RESPMEM_MUST_FREE);
        resp->body = NULL; /* owned by MHD now */
    }
    if (!mr)
        return MHD_NO;
    if (resp->status != 204 && resp->body_len)
        MHD_add_response_header(mr, "Content-Type",
                                "application/json;charset=UTF-8");
    for (size_t i = 0; i < resp->nhdr; i++)
        MHD_add_response_header(mr, resp->hdr_name[i], resp->hdr_value[i]);
    ret = MHD_queue_response(conn, (unsigned)resp->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct sim *s = cls;
    struct conn_ctx *ctx = *con_cls;
    struct sim_req req;
    struct sim_resp resp;
    const char *override;
    bool busy;
    int latency;
    enum MHD_Result ret;

    (void)version;
    if (!ctx) {
        ctx = sim_xcalloc(1, sizeof(*ctx));
        *con_cls = ctx;
        ctx->fault = sim_fault_draw(s, url);
        if (ctx->fault == SIM_FAULT_DROP_BEFORE)
            return MHD_NO; /* close without reading or doing anything */
        pthread_mutex_lock(&s->fault_lock);
        s->inflight++;
        ctx->counted = true;
        pthread_mutex_unlock(&s->fault_lock);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ctx->body.len + *upload_data_size >
            (size_t)s->cfg->max_content_length)
            ctx->too_big = true;
        else
            sim_str_addn(&ctx->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.conn = conn;
    req.method = method;
    override = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                           "X-HTTP-Method-Override");
    if (override && strcmp(method, "POST") == 0)
        req.method = override;
    req.url = url;
    req.body = ctx->body.p ? ctx->body.p : "";
    req.body_len = ctx->body.len;

    /* the queue is full when the request arrives, not after the wait */
    pthread_mutex_lock(&s->fault_lock);
    busy = s->cfg->max_concurrent > 0 && s->inflight > s->cfg->max_concurrent;
    pthread_mutex_unlock(&s->fault_lock);
    latency = busy ? 0 : sim_fault_latency(s);
    if (latency >= s->cfg->time_budget_ms) {
        sim_sleep_ms(s->cfg->time_budget_ms);
        sim_fault_respond(s, SIM_FAULT_500, &resp);
        ret = queue(conn, &resp);
        free(resp.body);
        return ret;
    }
    sim_sleep_ms(latency);
    req.spent_ms = latency;

    if (busy)
        sim_fault_respond(s, SIM_FAULT_QUEUE, &resp);
    else if (ctx->fault == SIM_FAULT_429 || ctx->fault == SIM_FAULT_QUEUE ||
             ctx->fault == SIM_FAULT_503 || ctx->fault == SIM_FAULT_500)
        sim_fault_respond(s, ctx->fault, &resp);
    else if (ctx->too_big)
        sim_resp_error(&resp, 400, "Request entity too large",
                       "The request exceeds glide.rest.max_content_length");
    else
        route(s, &req, &resp);

    if (ctx->fault == SIM_FAULT_DROP_AFTER) {
        free(resp.body); /* the work is committed; the answer is lost */
        return MHD_NO;
    }
    ret = queue(conn, &resp);
    free(resp.body);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct sim *s = cls;
    struct conn_ctx *ctx = *con_cls;

    (void)conn;
    (void)toe;
    if (!ctx)
        return;
    if (ctx->counted) {
        pthread_mutex_lock(&s->fault_lock);
        s->inflight--;
        pthread_mutex_unlock(&s->fault_lock);
    }
    sim_str_free(&ctx->body);
    free(ctx);
    *con_cls = NULL;
}

int sim_http_start(struct sim *s)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    struct sockaddr *addr;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    const union MHD_DaemonInfo *info;

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, s->cfg->bind, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)s->cfg->port);
        addr = (struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, s->cfg->bind, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)s->cfg->port);
        addr = (struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "isload-sim: --bind wants an IP address, not '%s'\n",
                s->cfg->bind);
        return -1;
    }
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->cfg->port, NULL, NULL, handler, s,
        MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "isload-sim: cannot listen on %s:%d\n", s->cfg->bind,
                s->cfg->port);
        return -1;
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (unsigned)s->cfg->port;
    if (s->cfg->instance_url)
        snprintf(s->base_url, sizeof(s->base_url), "%s", s->cfg->instance_url);
    else if (addr->sa_family == AF_INET6)
        snprintf(s->base_url, sizeof(s->base_url), "http://[%s]:%u",
                 s->cfg->bind, s->port);
    else
        snprintf(s->base_url, sizeof(s->base_url), "http://%s:%u", s->cfg->bind,
                 s->port);
    return 0;
}

void sim_http_stop(struct sim *s)
{
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
}
