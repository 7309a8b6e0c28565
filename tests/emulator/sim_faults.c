/*
 * sim_faults.c: the limits and failures a real instance shows, switched on
 * by options and driven by a seeded generator so that runs repeat: random
 * 429 (rate limit), 429 (full API_INT queue), 503, 500 (transaction
 * cancelled), connections dropped before or after the work, added latency,
 * and a per-user request-rate rule with the X-RateLimit-* headers.
 *
 * Each request that falls under fault_path_prefix draws exactly one number
 * from the generator, in arrival order, so a sequential client sees the
 * same faults on every run with the same --seed.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* splitmix64 */
uint64_t sim_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double unit(uint64_t *state)
{
    return (double)(sim_rng_next(state) >> 11) / 9007199254740992.0;
}

enum sim_fault sim_fault_draw(struct sim *s, const char *path)
{
    const struct sim_config *cfg = s->cfg;
    enum sim_fault f = SIM_FAULT_NONE;
    double r, cum = 0;

    if (strncmp(path, cfg->fault_path_prefix, strlen(cfg->fault_path_prefix)) !=
        0)
        return SIM_FAULT_NONE;
    pthread_mutex_lock(&s->fault_lock);
    r = unit(&s->rng);
    if (!cfg->fault_max || s->faults_done < cfg->fault_max) {
        for (int i = 1; i < SIM_FAULT_COUNT; i++) {
            cum += cfg->fault_rate[i];
            if (r < cum) {
                f = (enum sim_fault)i;
                s->faults_done++;
                break;
            }
        }
    }
    pthread_mutex_unlock(&s->fault_lock);
    return f;
}

int sim_fault_latency(struct sim *s)
{
    int ms = s->cfg->latency_ms;

    if (s->cfg->latency_jitter_ms > 0) {
        pthread_mutex_lock(&s->fault_lock);
        ms += (int)(sim_rng_next(&s->latency_rng) %
                    (uint64_t)(s->cfg->latency_jitter_ms + 1));
        pthread_mutex_unlock(&s->fault_lock);
    }
    return ms;
}

static void rate_headers(struct sim *s, struct sim_resp *resp, int limit,
                         int64_t reset)
{
    sim_resp_header(resp, "X-RateLimit-Limit", "%d", limit);
    sim_resp_header(resp, "X-RateLimit-Reset", "%lld", (long long)reset);
    sim_resp_header(resp, "X-RateLimit-Rule", "%s", s->cfg->rate.rule_id);
}

bool sim_fault_rate_check(struct sim *s, const char *user, const char *resource,
                          struct sim_resp *resp)
{
    const struct sim_rate_rule *rule = &s->cfg->rate;
    int64_t now = (int64_t)time(NULL);
    int64_t window, reset;
    struct sim_rate_user *ru = NULL;
    bool allowed;
    char detail[200];

    if (rule->limit <= 0)
        return true;
    window = now / rule->window_s;
    reset = (window + 1) * rule->window_s;
    pthread_mutex_lock(&s->fault_lock);
    for (size_t i = 0; i < s->nrate_users; i++)
        if (strcmp(s->rate_users[i].user, user) == 0)
            ru = &s->rate_users[i];
    if (!ru) {
        s->rate_users =
            sim_xrealloc(s->rate_users, (s->nrate_users + 1) * sizeof(*ru));
        ru = &s->rate_users[s->nrate_users++];
        ru->user = sim_xstrdup(user);
        ru->window = window;
        ru->count = 0;
    }
    if (ru->window != window) {
        ru->window = window;
        ru->count = 0;
    }
    ru->count++;
    allowed = ru->count <= rule->limit;
    pthread_mutex_unlock(&s->fault_lock);
    if (!allowed) {
        snprintf(detail, sizeof(detail),
                 "Rate limit of %d requests per %s for %s exceeded",
                 rule->limit, rule->window_s == 3600 ? "hour" : "window",
                 resource);
        sim_resp_error(resp, 429, "Rate limit exceeded", detail);
        sim_resp_header(resp, "Retry-After", "%lld",
                        (long long)(reset - now > 0 ? reset - now : 1));
    }
    rate_headers(s, resp, rule->limit, reset);
    return allowed;
}

void sim_fault_respond(struct sim *s, enum sim_fault f, struct sim_resp *resp)
{
    int64_t now = (int64_t)time(NULL);
    int limit = s->cfg->rate.limit > 0 ? s->cfg->rate.limit : 1000;

    switch (f) {
    case SIM_FAULT_429:
        sim_resp_error(resp, 429, "Rate limit exceeded",
                       "Rate limit of requests per hour exceeded");
        sim_resp_header(resp, "Retry-After", "%d", s->cfg->retry_after_s);
        rate_headers(s, resp, limit, now + s->cfg->retry_after_s);
        break;
    case SIM_FAULT_QUEUE:
        sim_resp_error(resp, 429, "Too Many Requests",
                       "The API_INT semaphore queue is full");
        if (s->cfg->queue_retry_after)
            sim_resp_header(resp, "Retry-After", "%d", s->cfg->retry_after_s);
        break;
    case SIM_FAULT_503:
        sim_resp_error(resp, 503, "Service Unavailable",
                       "The instance is temporarily unavailable");
        break;
    case SIM_FAULT_500:
        sim_resp_error(resp, 500,
                       "Transaction cancelled: maximum execution time "
                       "exceeded",
                       "Transaction cancelled: maximum execution time "
                       "exceeded");
        break;
    default:
        break;
    }
}

void sim_fault_free(struct sim *s)
{
    for (size_t i = 0; i < s->nrate_users; i++)
        free(s->rate_users[i].user);
    free(s->rate_users);
    s->rate_users = NULL;
    s->nrate_users = 0;
}
