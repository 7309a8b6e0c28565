/*
 * isl_http.c: requests over libcurl's multi interface (see isl_http.h).
 *
 * Queue -> (global pause over?) -> easy handle from a pool -> multi. Each
 * finished transfer fills the request's results and calls its `done`; the
 * callback may resubmit the same request. Easy handles are reused so
 * their connections and TLS sessions stay warm; the multi handle caps
 * connections at the concurrency.
 */
#include "isl_setup.h"
#include "isl_http.h"
#include "isl_creds.h"
#include "isl_error.h"
#include "isl_jsonw.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RESP_CAP ((size_t)256 << 20)

struct qnode {
    struct isl_http_req *req;
    struct qnode *next;
};

struct isl_http {
    struct isl_http_opts o;
    char *base;
    CURLM *multi;
    CURL **pool; /* idle easy handles */
    size_t npool;
    struct qnode *head, *tail; /* waiting requests */
    int queued, inflight;
    double pause_until;
    struct isl_http_stats stats;
    char *token;   /* OAuth access token */
    char *refresh; /* OAuth refresh token */
    double token_expires;
    int64_t first_date; /* Date header of the first response that had one */
    char auth_header[2048];
};

double isl_http_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int isl_http_check_url(const char *url, struct isl_error *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = 0;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        rc = isl_error_set(err, ISL_ECONFIG, "http",
                           "'%s' is not a URL (https://INSTANCE.service-now"
                           ".com)",
                           url);
    } else if (strcasecmp(scheme, "https") == 0) {
        rc = 0;
    } else if (strcasecmp(scheme, "http") == 0) {
        bool loopback = strcasecmp(host, "localhost") == 0 ||
                        strncmp(host, "127.", 4) == 0 ||
                        strcmp(host, "[::1]") == 0;
        if (!loopback)
            rc = isl_error_set(err, ISL_ECONFIG, "http",
                               "plain http:// is refused for %s: use "
                               "https:// (http is allowed for loopback "
                               "addresses only)",
                               host);
    } else {
        rc = isl_error_set(err, ISL_ECONFIG, "http",
                           "unsupported scheme '%s' (use https://)", scheme);
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

void isl_http_req_init(struct isl_http_req *req)
{
    memset(req, 0, sizeof(*req));
    isl_buf_init(&req->url, 64 * 1024);
    isl_buf_init(&req->body, (size_t)1 << 30);
    isl_buf_init(&req->resp, RESP_CAP);
}

void isl_http_req_free(struct isl_http_req *req)
{
    isl_buf_free(&req->url);
    isl_buf_free(&req->body);
    isl_buf_free(&req->resp);
}

int isl_http_new(struct isl_http **out, const struct isl_http_opts *opts,
                 struct isl_error *err)
{
    struct isl_http *h = calloc(1, sizeof(*h));
    size_t n;

    *out = NULL;
    if (!h)
        return isl_error_set(err, ISL_ENOMEM, "http", "out of memory");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h->o = *opts;
    if (h->o.concurrency < 1)
        h->o.concurrency = 1;
    if (h->o.timeout_s <= 0)
        h->o.timeout_s = 120;
    h->base = strdup(opts->base_url);
    n = h->base ? strlen(h->base) : 0;
    while (n && h->base[n - 1] == '/')
        h->base[--n] = '\0';
    h->multi = curl_multi_init();
    h->pool = calloc((size_t)h->o.concurrency, sizeof(*h->pool));
    if (!h->base || !h->multi || !h->pool) {
        isl_http_free(h);
        return isl_error_set(err, ISL_ENOMEM, "http", "out of memory");
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      (long)h->o.concurrency);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      (long)h->o.concurrency);
    *out = h;
    return 0;
}

/* ---- OAuth ---- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct isl_buf *b = ud;

    return isl_buf_add(b, p, size * n) < 0 ? 0 : size * n;
}

static void set_tls(struct isl_http *h, CURL *e)
{
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->o.ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->o.ca_file);
    if (h->o.proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, h->o.proxy);
    if (h->o.cert)
        curl_easy_setopt(e, CURLOPT_SSLCERT, h->o.cert);
    if (h->o.key)
        curl_easy_setopt(e, CURLOPT_SSLKEY, h->o.key);
}

static int form_add(struct isl_buf *b, CURL *e, const char *k, const char *v)
{
    char *enc = curl_easy_escape(e, v, 0);
    int rc;

    if (!enc)
        return ISL_ENOMEM;
    rc = isl_buf_addf(b, "%s%s=%s", b->len ? "&" : "", k, enc);
    curl_free(enc);
    return rc;
}

static void wipe_buf(struct isl_buf *b)
{
    if (b->data)
        memset(b->data, 0, b->alloc);
    isl_buf_free(b);
}

/* One token request; grant is "password", "client_credentials" or
 * "refresh_token". */
static int token_request(struct isl_http *h, const char *grant,
                         struct isl_error *err)
{
    const struct isl_creds *c = h->o.creds;
    struct isl_buf form, resp, url;
    CURL *e = curl_easy_init();
    long status = 0;
    CURLcode cc;
    json_t *doc = NULL;
    int rc = 0;

    isl_buf_init(&form, 64 * 1024);
    isl_buf_init(&resp, 1 << 20);
    isl_buf_init(&url, 4096);
    if (!e || isl_buf_addf(&url, "%s/oauth_token.do", h->base) < 0 ||
        form_add(&form, e, "grant_type", grant) < 0 ||
        form_add(&form, e, "client_id", c->client_id) < 0 ||
        form_add(&form, e, "client_secret", c->client_secret) < 0) {
        rc = isl_error_set(err, ISL_ENOMEM, "oauth", "out of memory");
        goto out;
    }
    if (strcmp(grant, "password") == 0 &&
        (form_add(&form, e, "username", c->user) < 0 ||
         form_add(&form, e, "password", c->password) < 0)) {
        rc = isl_error_set(err, ISL_ENOMEM, "oauth", "out of memory");
        goto out;
    }
    if (strcmp(grant, "refresh_token") == 0 &&
        form_add(&form, e, "refresh_token", h->refresh) < 0) {
        rc = isl_error_set(err, ISL_ENOMEM, "oauth", "out of memory");
        goto out;
    }
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)form.len);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    set_tls(h, e);
    cc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    h->stats.requests++;
    if (cc != CURLE_OK) {
        rc = isl_error_set(err, ISL_EIO, "oauth", "token request failed: %s",
                           curl_easy_strerror(cc));
        goto out;
    }
    doc = resp.data ? json_loads(resp.data, 0, NULL) : NULL;
    if (status != 200 ||
        !json_is_string(json_object_get(doc, "access_token"))) {
        rc = isl_error_set(err, ISL_EIO, "oauth",
                           "the instance refused the token request (%s "
                           "grant, HTTP %ld)",
                           grant, status);
        goto out;
    }
    free(h->token);
    h->token = strdup(json_string_value(json_object_get(doc, "access_token")));
    if (json_is_string(json_object_get(doc, "refresh_token"))) {
        free(h->refresh);
        h->refresh =
            strdup(json_string_value(json_object_get(doc, "refresh_token")));
    }
    {
        json_t *exp = json_object_get(doc, "expires_in");
        double secs = json_is_number(exp)   ? json_number_value(exp)
                      : json_is_string(exp) ? atof(json_string_value(exp))
                                            : 1800;
        h->token_expires = isl_http_now() + secs;
    }
    snprintf(h->auth_header, sizeof(h->auth_header), "Authorization: Bearer %s",
             h->token ? h->token : "");
out:
    json_decref(doc);
    wipe_buf(&form);
    wipe_buf(&resp);
    isl_buf_free(&url);
    if (e)
        curl_easy_cleanup(e);
    return rc;
}

int isl_http_refresh_token(struct isl_http *h, struct isl_error *err)
{
    const struct isl_creds *c = h->o.creds;

    if (!c || c->method == ISL_AUTH_BASIC)
        return 0;
    if (h->refresh && token_request(h, "refresh_token", err) == 0)
        return 0;
    return token_request(h,
                         c->method == ISL_AUTH_OAUTH_PASSWORD
                             ? "password"
                             : "client_credentials",
                         err);
}

/* ---- transfers ---- */

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct isl_http_req *req = ud;
    size_t len = size * n;
    char line[512];

    if (len >= sizeof(line))
        return len;
    memcpy(line, p, len);
    line[len] = '\0';
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
        line[--len] = '\0';
    if (strncasecmp(line, "Retry-After:", 12) == 0) {
        const char *v = line + 12;
        char *end;
        double secs;

        while (*v == ' ')
            v++;
        secs = strtod(v, &end);
        if (end == v) { /* an HTTP date */
            time_t when = curl_getdate(v, NULL);
            secs = when > 0 ? difftime(when, time(NULL)) : 0;
        }
        if (secs > req->retry_after)
            req->retry_after = secs;
    } else if (strncasecmp(line, "X-RateLimit-Reset:", 18) == 0) {
        double reset = strtod(line + 18, NULL);
        double secs = reset > 1e9 ? reset - (double)time(NULL) : reset;

        if (secs > req->retry_after && secs < 3600)
            req->retry_after = secs;
        req->rate_reset = reset > 1e9 ? (int64_t)reset : 0;
    } else if (strncasecmp(line, "X-RateLimit-Limit:", 18) == 0) {
        req->rate_limit = strtol(line + 18, NULL, 10);
    } else if (strncasecmp(line, "X-RateLimit-Rule:", 17) == 0) {
        const char *v = line + 17;

        while (*v == ' ')
            v++;
        snprintf(req->rate_rule, sizeof(req->rate_rule), "%.*s",
                 (int)sizeof(req->rate_rule) - 1, v);
    } else if (strncasecmp(line, "Date:", 5) == 0) {
        time_t when = curl_getdate(line + 5, NULL);

        if (when > 0)
            req->date = (int64_t)when;
    } else if (strncasecmp(line, "X-Transaction-ID:", 17) == 0 ||
               strncasecmp(line, "X-Request-ID:", 13) == 0) {
        const char *v = strchr(line, ':') + 1;

        while (*v == ' ')
            v++;
        snprintf(req->txid, sizeof(req->txid), "%s", v);
    }
    return size * n;
}

/*
 * libcurl resends a request on its own when a reused keep-alive connection
 * dies before any answer byte. The only trace is the request going out
 * twice, so count the times the headers are sent.
 */
static int on_debug(CURL *e, curl_infotype type, char *data, size_t size,
                    void *ud)
{
    struct isl_http_req *req = ud;

    (void)e;
    (void)data;
    (void)size;
    if (type == CURLINFO_HEADER_OUT)
        req->header_sends++;
    return 0;
}

static const char *body_data(const struct isl_http_req *req)
{
    if (req->body_ref)
        return req->body_ref;
    return req->body.data ? req->body.data : "";
}

static size_t body_len(const struct isl_http_req *req)
{
    return req->body_ref ? req->body_ref_len : req->body.len;
}

static int start(struct isl_http *h, struct isl_http_req *req)
{
    CURL *e = h->npool ? h->pool[--h->npool] : curl_easy_init();
    struct curl_slist *hdrs = NULL;
    struct isl_buf url;

    if (!e)
        return -1;
    curl_easy_reset(e);
    isl_buf_init(&url, 70 * 1024);
    if (isl_buf_addf(&url, "%s%s", h->base, req->url.data) < 0) {
        curl_easy_cleanup(e);
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_URL, url.data);
    isl_buf_free(&url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    if (body_len(req) || strcmp(req->method, "POST") == 0 ||
        strcmp(req->method, "PATCH") == 0 || strcmp(req->method, "PUT") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_data(req));
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)body_len(req));
    } else if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    if (h->token)
        hdrs = curl_slist_append(hdrs, h->auth_header);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(e, CURLOPT_PRIVATE, req);
    if (h->o.creds && h->o.creds->method == ISL_AUTH_BASIC) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, h->o.creds->user);
        curl_easy_setopt(e, CURLOPT_PASSWORD, h->o.creds->password);
    }
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &req->resp);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, h->o.timeout_s);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, req);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    set_tls(h, e);
    req->easy = e;
    isl_buf_reset(&req->resp);
    req->status = 0;
    req->curl_code = 0;
    req->error[0] = '\0';
    req->retry_after = 0;
    req->rate_limit = 0;
    req->rate_reset = 0;
    req->rate_rule[0] = '\0';
    req->txid[0] = '\0';
    req->date = 0;
    req->sent = false;
    req->header_sends = 0;
    req->resent = false;
    req->attempt++;
    req->started = isl_http_now();
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(e);
        req->easy = NULL;
        return -1;
    }
    req->hdrs = hdrs;
    h->inflight++;
    return 0;
}

void isl_http_submit(struct isl_http *h, struct isl_http_req *req)
{
    struct qnode *q = malloc(sizeof(*q));

    if (!q) {
        /* cannot queue: report as a transport failure */
        req->status = 0;
        req->curl_code = CURLE_OUT_OF_MEMORY;
        snprintf(req->error, sizeof(req->error), "out of memory");
        req->done(req);
        return;
    }
    q->req = req;
    q->next = NULL;
    if (h->tail)
        h->tail->next = q;
    else
        h->head = q;
    h->tail = q;
    h->queued++;
}

static void perform_done(struct isl_http_req *req)
{
    (void)req;
}

long isl_http_perform(struct isl_http *h, struct isl_http_req *req)
{
    if (!req->done)
        req->done = perform_done;
    isl_http_submit(h, req);
    while (isl_http_run(h, 1000) > 0)
        ;
    return req->status;
}

void isl_http_pause(struct isl_http *h, double seconds)
{
    double until = isl_http_now() + seconds;

    if (until > h->pause_until)
        h->pause_until = until;
}

int isl_http_pending(const struct isl_http *h)
{
    return h->queued + h->inflight;
}

int64_t isl_http_first_date(const struct isl_http *h)
{
    return h->first_date;
}

const struct isl_http_stats *isl_http_stats(const struct isl_http *h)
{
    return &h->stats;
}

static void log_attempt(struct isl_http *h, struct isl_http_req *req,
                        curl_off_t up, curl_off_t down)
{
    struct isl_buf b;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;

    if (!h->o.log)
        return;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    isl_buf_init(&b, (size_t)1 << 30);
    isl_buf_addf(&b, "{\"time\":\"%s\",\"method\":\"%s\",\"path\":", when,
                 req->method);
    isl_jsonw_string(&b, req->url.data, req->url.len);
    isl_buf_addf(&b,
                 ",\"status\":%ld,\"bytes_sent\":%lld,\"bytes_received\":%lld,"
                 "\"duration_ms\":%.1f,\"attempt\":%d,\"new_connections\":%ld,"
                 "\"sent_by_libcurl\":%d",
                 req->status, (long long)up, (long long)down,
                 req->duration * 1000, req->attempt, req->new_conns,
                 req->header_sends);
    if (req->log_tag) {
        isl_buf_adds(&b, ",\"tag\":");
        isl_jsonw_string(&b, req->log_tag, strlen(req->log_tag));
    }
    if (req->txid[0]) {
        isl_buf_adds(&b, ",\"transaction_id\":");
        isl_jsonw_string(&b, req->txid, strlen(req->txid));
    }
    if (req->curl_code) {
        isl_buf_adds(&b, ",\"error\":");
        isl_jsonw_string(&b, req->error, strlen(req->error));
    }
    if (h->o.log_bodies) {
        isl_buf_adds(&b, ",\"request_body\":");
        isl_jsonw_string(&b, body_data(req), body_len(req));
        isl_buf_adds(&b, ",\"response_body\":");
        isl_jsonw_string(&b, req->resp.data ? req->resp.data : "",
                         req->resp.len);
    }
    isl_buf_adds(&b, "}\n");
    if (b.data)
        fwrite(b.data, 1, b.len, h->o.log);
    isl_buf_free(&b);
}

static void finish(struct isl_http *h, CURL *e, CURLcode cc)
{
    struct isl_http_req *req = NULL;
    curl_off_t up = 0, down = 0;
    long status = 0;

    curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&req);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(e, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(e, CURLINFO_SIZE_DOWNLOAD_T, &down);
    curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &req->new_conns);
    req->resent = req->header_sends > 1;
    curl_multi_remove_handle(h->multi, e);
    h->inflight--;
    req->easy = NULL;
    req->status = cc == CURLE_OK ? status : 0;
    req->curl_code = (int)cc;
    req->duration = isl_http_now() - req->started;
    if (cc != CURLE_OK && !req->error[0])
        snprintf(req->error, sizeof(req->error), "%s", curl_easy_strerror(cc));
    /* nothing reached the instance only when no connection was made */
    req->sent =
        !(cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
          cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_SSL_CONNECT_ERROR ||
          cc == CURLE_PEER_FAILED_VERIFICATION);
    h->stats.requests++;
    h->stats.by_status[req->status / 100 < 6 ? req->status / 100 : 0]++;
    if (req->status > 0 && req->status < 600)
        h->stats.status_codes[req->status]++;
    h->stats.bytes_sent += (uint64_t)up;
    h->stats.bytes_received += (uint64_t)down;
    if (req->date && !h->first_date)
        h->first_date = req->date;
    log_attempt(h, req, up, down);
    curl_slist_free_all(req->hdrs);
    req->hdrs = NULL;
    if (h->npool < (size_t)h->o.concurrency)
        h->pool[h->npool++] = e;
    else
        curl_easy_cleanup(e);
    req->done(req);
}

int isl_http_run(struct isl_http *h, int timeout_ms)
{
    double now = isl_http_now();
    int running = 0, left;
    CURLMsg *m;

    /* refresh the OAuth token a minute before it expires */
    if (h->o.creds && h->o.creds->method != ISL_AUTH_BASIC &&
        (!h->token || now > h->token_expires - 60) && h->inflight == 0 &&
        h->queued) {
        struct isl_error err;

        isl_error_clear(&err);
        isl_http_refresh_token(h, &err); /* a failure shows up as 401s */
    }
    while (h->head && h->inflight < h->o.concurrency && now >= h->pause_until) {
        struct qnode *q = h->head;
        struct isl_http_req *req = q->req;

        h->head = q->next;
        if (!h->head)
            h->tail = NULL;
        h->queued--;
        free(q);
        if (start(h, req) < 0) {
            req->status = 0;
            req->curl_code = CURLE_OUT_OF_MEMORY;
            snprintf(req->error, sizeof(req->error),
                     "cannot start the request");
            req->done(req);
        }
    }
    if (h->inflight) {
        int wait = timeout_ms;

        curl_multi_perform(h->multi, &running);
        curl_multi_poll(h->multi, NULL, 0, wait, NULL);
        curl_multi_perform(h->multi, &running);
    } else if (h->queued) {
        double wait = (h->pause_until - now) * 1000;
        struct timespec ts;

        if (wait > timeout_ms)
            wait = timeout_ms;
        if (wait > 0) {
            ts.tv_sec = (time_t)(wait / 1000);
            ts.tv_nsec = (long)((wait - (double)ts.tv_sec * 1000) * 1e6);
            nanosleep(&ts, NULL);
        }
    }
    while ((m = curl_multi_info_read(h->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            finish(h, m->easy_handle, m->data.result);
    return isl_http_pending(h);
}

void isl_http_free(struct isl_http *h)
{
    if (!h)
        return;
    while (h->head) {
        struct qnode *q = h->head;
        h->head = q->next;
        free(q);
    }
    for (size_t i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]);
    free(h->pool);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    if (h->token) {
        memset(h->token, 0, strlen(h->token));
        free(h->token);
    }
    if (h->refresh) {
        memset(h->refresh, 0, strlen(h->refresh));
        free(h->refresh);
    }
    memset(h->auth_header, 0, sizeof(h->auth_header));
    free(h->base);
    free(h);
    curl_global_cleanup();
}
