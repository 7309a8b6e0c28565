/*
 * isl_http.h: the loader's HTTP layer on libcurl's multi interface.
 *
 * Requests are queued and run with at most `concurrency` in flight over
 * reused keep-alive connections; responses may be gzip'd. The layer does
 * no retry policy of its own: it finishes each attempt and calls the
 * request's `done` callback with the status (or transport error), the
 * body and the Retry-After it saw; the loader decides. What the layer
 * does own is the global pause: isl_http_pause makes every sender wait,
 * not just the one that was told to slow down.
 *
 * Authentication is added here (Basic, or an OAuth bearer token fetched
 * from /oauth_token.do and refreshed before it expires), so no caller
 * handles secrets. Each attempt is logged as one JSON line when a log is
 * set; bodies only when asked, never credentials or tokens.
 */
#ifndef ISL_HTTP_H
#define ISL_HTTP_H

#include "isl_setup.h"
#include "isl_buf.h"

#include <stdio.h>

struct isl_creds;
struct isl_error;
struct isl_http;

struct isl_http_opts {
    const char *base_url; /* https://x.service-now.com (no slash) */
    const struct isl_creds *creds;
    int concurrency;     /* requests in flight, >= 1 */
    const char *ca_file; /* extra CA bundle, or NULL */
    const char *proxy;   /* or NULL: HTTPS_PROXY/NO_PROXY apply */
    const char *cert;    /* client certificate (mutual TLS), or NULL */
    const char *key;     /* its private key, or NULL (in cert) */
    long timeout_s;      /* per request; default 120 */
    FILE *log;           /* JSON lines, or NULL */
    bool log_bodies;
};

struct isl_http_req {
    const char *method;   /* "GET", "POST", "PATCH", "DELETE" */
    struct isl_buf url;   /* path and query, appended to base_url */
    struct isl_buf body;  /* request body (JSON), may be empty */
    const char *body_ref; /* if set, sent instead of body: bytes the caller */
    size_t body_ref_len;  /* keeps unchanged until done (no copy) */
    void *payload;        /* the caller's */
    const char *log_tag;  /* e.g. an import set id for the log, or NULL */
    void (*done)(struct isl_http_req *req); /* after each attempt */

    /* results of the last attempt */
    long status;         /* HTTP status, 0 on transport error */
    int curl_code;       /* CURLcode, 0 on success */
    bool sent;           /* the request body was (at least partly) sent */
    char error[256];     /* transport error text */
    struct isl_buf resp; /* response body */
    double retry_after;  /* seconds asked by Retry-After/X-RateLimit-Reset */
    long rate_limit;     /* X-RateLimit-Limit (requests per hour), 0 if none */
    int64_t rate_reset;  /* X-RateLimit-Reset (epoch seconds), 0 if none */
    char rate_rule[64];  /* X-RateLimit-Rule (the rule's sys_id), or "" */
    char txid[96];       /* X-Transaction-ID-like header, if any */
    int64_t date;        /* the response's Date header (epoch s), or 0 */
    int attempt;         /* 1-based */
    long new_conns;      /* connections opened for the last attempt */
    int header_sends;    /* times libcurl sent the request headers */
    bool resent;         /* libcurl sent the request more than once by
                            itself (a reused connection died before the
                            answer): the answer may be to the copy */
    double started, duration;
    void *easy; /* the curl handle while in flight */
    void *hdrs; /* its header list while in flight */
};

/* Check the instance URL: https, or http only for loopback addresses. */
int isl_http_check_url(const char *url, struct isl_error *err);

int isl_http_new(struct isl_http **out, const struct isl_http_opts *opts,
                 struct isl_error *err);

/* Initialise a request (buffers empty). */
void isl_http_req_init(struct isl_http_req *req);
void isl_http_req_free(struct isl_http_req *req);

/* Queue a request (its buffers are kept, its results reset). */
void isl_http_submit(struct isl_http *h, struct isl_http_req *req);

/*
 * Run transfers for at most timeout_ms, calling done for each attempt
 * that finished. Returns the number of requests queued or in flight.
 */
int isl_http_run(struct isl_http *h, int timeout_ms);

/*
 * Submit req and run the network until nothing is queued or in flight:
 * one request to completion, for callers that need no concurrency (use
 * it only when req is the only request). req->done may be NULL; when set
 * it is called as usual and may resubmit. Returns req->status (0 on a
 * transport error, see req->error).
 */
long isl_http_perform(struct isl_http *h, struct isl_http_req *req);

/* No request starts before `seconds` from now (global pause). */
void isl_http_pause(struct isl_http *h, double seconds);

/* Requests queued or in flight. */
int isl_http_pending(const struct isl_http *h);

/* Monotonic seconds. */
double isl_http_now(void);

/* Fetch or refresh the OAuth token now (no-op for Basic auth). Called on
 * 401 by the loader once before giving up. */
int isl_http_refresh_token(struct isl_http *h, struct isl_error *err);

/* The instance's clock (epoch seconds, from the Date header) at the first
 * response that carried one, or 0 before that. */
int64_t isl_http_first_date(const struct isl_http *h);

/* Counters for the report. */
struct isl_http_stats {
    uint64_t requests;          /* attempts */
    uint64_t by_status[6];      /* 0 = transport, 1xx..5xx */
    uint64_t status_codes[600]; /* per exact code */
    uint64_t bytes_sent, bytes_received;
};
const struct isl_http_stats *isl_http_stats(const struct isl_http *h);

void isl_http_free(struct isl_http *h);

#endif
