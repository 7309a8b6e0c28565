/*
 * sim_main.c: isload-sim entry point. Parses the command line, loads the
 * config file and feed definitions, opens the database, starts the async
 * transform worker and the HTTP daemon, prints "listening on PORT" as its
 * first line on stdout, and shuts everything down on SIGTERM or SIGINT.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: isload-sim [options]\n"
    "\n"
    "Local emulator of the ServiceNow REST endpoints isload uses (Import "
    "Set API,\n"
    "Table API, OAuth token endpoint). See docs/emulator.md.\n"
    "\n"
    "  --port N            TCP port (0, the default, picks a free one)\n"
    "  --bind ADDR         listen address (default 127.0.0.1)\n"
    "  --db FILE           SQLite database file (default: in memory)\n"
    "  --config FILE       JSON config: users, tables, transform maps,\n"
    "                      options, faults\n"
    "  --feed FEED.json    create a staging table and transform map from an\n"
    "                      isload feed definition (repeatable)\n"
    "  --user NAME:PASS    add a user with the import_set_loader role\n"
    "                      (repeatable)\n"
    "  --oauth-client ID:SECRET  add an OAuth client (repeatable)\n"
    "  --token-ttl N       OAuth access token lifespan in seconds (1800)\n"
    "  --faults SPEC       fault rates, e.g. 429=0.1,queue=0.01,503=0.05,\n"
    "                      500=0.02,drop-before=0.02,drop-after=0.03\n"
    "  --seed N            seed for faults and async ordering (1)\n"
    "  --latency-ms N      latency added to every request\n"
    "  --async-delay-ms N  minimum age of an async import set before the\n"
    "                      worker transforms it (0)\n"
    "  --help, --version\n"
    "\n"
    "Prints \"listening on PORT\" on stdout once it accepts connections.\n";

enum {
    OPT_PORT = 256,
    OPT_BIND,
    OPT_DB,
    OPT_CONFIG,
    OPT_FEED,
    OPT_USER,
    OPT_CLIENT,
    OPT_FAULTS,
    OPT_SEED,
    OPT_LATENCY,
    OPT_TTL,
    OPT_ASYNC_DELAY,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"bind", required_argument, NULL, OPT_BIND},
    {"db", required_argument, NULL, OPT_DB},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"feed", required_argument, NULL, OPT_FEED},
    {"user", required_argument, NULL, OPT_USER},
    {"oauth-client", required_argument, NULL, OPT_CLIENT},
    {"faults", required_argument, NULL, OPT_FAULTS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"latency-ms", required_argument, NULL, OPT_LATENCY},
    {"token-ttl", required_argument, NULL, OPT_TTL},
    {"async-delay-ms", required_argument, NULL, OPT_ASYNC_DELAY},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int parse_int(const char *opt, const char *v, long min, long max,
                     long *out)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "isload-sim: %s: bad number '%s'\n", opt, v);
        return -1;
    }
    *out = n;
    return 0;
}

struct args {
    const char *config;
    const char **feeds, **users, **clients;
    size_t nfeeds, nusers, nclients;
    const char *faults;
    long port, seed, latency, ttl, async_delay;
    bool has_seed, has_latency, has_ttl, has_async_delay;
    const char *bind, *db;
};

static void push(const char ***arr, size_t *n, const char *v)
{
    *arr = sim_xrealloc(*arr, (*n + 1) * sizeof(char *));
    (*arr)[(*n)++] = v;
}

static void args_free(struct args *a)
{
    free(a->feeds);
    free(a->users);
    free(a->clients);
}

/* 0 ok, 1 exit 0 (help), -1 error */
static int parse_args(struct args *a, int argc, char **argv)
{
    int c;

    memset(a, 0, sizeof(*a));
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case OPT_PORT:
            if (parse_int("--port", optarg, 0, 65535, &a->port) < 0)
                return -1;
            break;
        case OPT_BIND:
            a->bind = optarg;
            break;
        case OPT_DB:
            a->db = optarg;
            break;
        case OPT_CONFIG:
            a->config = optarg;
            break;
        case OPT_FEED:
            push(&a->feeds, &a->nfeeds, optarg);
            break;
        case OPT_USER:
            push(&a->users, &a->nusers, optarg);
            break;
        case OPT_CLIENT:
            push(&a->clients, &a->nclients, optarg);
            break;
        case OPT_FAULTS:
            a->faults = optarg;
            break;
        case OPT_SEED:
            if (parse_int("--seed", optarg, 0, 0x7fffffffL, &a->seed) < 0)
                return -1;
            a->has_seed = true;
            break;
        case OPT_LATENCY:
            if (parse_int("--latency-ms", optarg, 0, 3600000L, &a->latency) < 0)
                return -1;
            a->has_latency = true;
            break;
        case OPT_TTL:
            if (parse_int("--token-ttl", optarg, 1, 0x7fffffffL, &a->ttl) < 0)
                return -1;
            a->has_ttl = true;
            break;
        case OPT_ASYNC_DELAY:
            if (parse_int("--async-delay-ms", optarg, 0, 3600000L,
                          &a->async_delay) < 0)
                return -1;
            a->has_async_delay = true;
            break;
        case OPT_HELP:
            fputs(usage, stdout);
            return 1;
        case OPT_VERSION:
            puts("isload-sim " SIM_VERSION);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "isload-sim: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Config file first, then the command line on top of it. */
static int build_config(struct sim_config *cfg, const struct args *a)
{
    sim_config_init(cfg);
    if (a->config && sim_config_load(cfg, a->config) < 0)
        return -1;
    for (size_t i = 0; i < a->nfeeds; i++)
        if (sim_config_add_feed(cfg, a->feeds[i]) < 0)
            return -1;
    for (size_t i = 0; i < a->nusers; i++)
        if (sim_config_add_user_arg(cfg, a->users[i]) < 0)
            return -1;
    for (size_t i = 0; i < a->nclients; i++)
        if (sim_config_add_client_arg(cfg, a->clients[i]) < 0)
            return -1;
    if (a->faults && sim_config_parse_faults(cfg, a->faults) < 0)
        return -1;
    cfg->port = (int)a->port;
    if (a->bind) {
        free(cfg->bind);
        cfg->bind = sim_xstrdup(a->bind);
    }
    if (a->db)
        cfg->db_path = sim_xstrdup(a->db);
    if (a->has_seed)
        cfg->seed = (uint64_t)a->seed;
    if (a->has_latency)
        cfg->latency_ms = (int)a->latency;
    if (a->has_ttl)
        cfg->access_token_ttl = (int)a->ttl;
    if (a->has_async_delay)
        cfg->async_delay_ms = (int)a->async_delay;
    return sim_config_finish(cfg);
}

int main(int argc, char **argv)
{
    struct args a;
    struct sim_config cfg;
    struct sim s;
    sigset_t sigs;
    int sig = 0, rc = 1, prc;

    memset(&s, 0, sizeof(s));
    prc = parse_args(&a, argc, argv);
    if (prc != 0) {
        args_free(&a);
        return prc > 0 ? 0 : 2;
    }
    if (build_config(&cfg, &a) < 0) {
        sim_config_free(&cfg);
        args_free(&a);
        return 2;
    }
    args_free(&a);

    s.cfg = &cfg;
    s.rng = cfg.seed;
    s.latency_rng = cfg.seed ^ 0x5DEECE66DULL;
    s.worker_rng = cfg.seed ^ 0xA5A5A5A5A5A5ULL;
    pthread_mutex_init(&s.db_lock, NULL);
    pthread_mutex_init(&s.auth_lock, NULL);
    pthread_mutex_init(&s.fault_lock, NULL);
    pthread_cond_init(&s.worker_cond, NULL);

    /* every thread inherits the blocked signals; main sigwait()s them */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (sim_db_open(&s) < 0 || sim_db_apply_config(&s) < 0)
        goto out;
    if (sim_worker_start(&s) < 0)
        goto out;
    if (sim_http_start(&s) < 0)
        goto out;
    printf("listening on %u\n", s.port);
    fflush(stdout);
    fprintf(stderr, "isload-sim: serving %s (%s)\n", s.base_url,
            cfg.db_path ? cfg.db_path : "in-memory database");
    while (sigwait(&sigs, &sig) != 0)
        ;
    fprintf(stderr, "isload-sim: signal %d, stopping\n", sig);
    rc = 0;
out:
    sim_http_stop(&s);
    sim_worker_stop(&s);
    sim_transform_free(&s);
    sim_db_close(&s);
    sim_auth_free(&s);
    sim_fault_free(&s);
    pthread_cond_destroy(&s.worker_cond);
    pthread_mutex_destroy(&s.fault_lock);
    pthread_mutex_destroy(&s.auth_lock);
    pthread_mutex_destroy(&s.db_lock);
    sim_config_free(&cfg);
    return rc;
}
