/*
 * sim_auth.c: who is calling, and may they? Basic auth, OAuth 2.0 bearer
 * tokens issued by POST /oauth_token.do (password, refresh_token and
 * client_credentials grants; tokens live in memory only), x-sn-apikey
 * keys, role checks for import set loading and table ACLs.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 into a malloc'd NUL-terminated string, NULL if bad. */
static char *b64_decode(const char *in)
{
    size_t n = strlen(in);
    char *out = sim_xmalloc(n + 1);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;

    for (size_t i = 0; i < n; i++) {
        int v;
        if (in[i] == '=')
            break;
        v = b64val(in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    out[o] = '\0';
    return out;
}

bool sim_user_has_role(const struct sim_user *u, const char *role)
{
    if (!u)
        return false;
    for (size_t i = 0; i < u->nroles; i++)
        if (strcmp(u->roles[i], role) == 0 || strcmp(u->roles[i], "admin") == 0)
            return true;
    return false;
}

static const struct sim_user *
check_password(const struct sim *s, const char *name, const char *password)
{
    const struct sim_user *u = sim_config_user(s->cfg, name);

    if (!u || !u->active || !password || strcmp(u->password, password) != 0)
        return NULL;
    return u;
}

const struct sim_user *sim_auth_check(struct sim *s, const struct sim_req *r)
{
    const char *h = sim_req_header(r, "Authorization");
    const struct sim_user *u = NULL;

    if (h && strncasecmp(h, "Basic ", 6) == 0) {
        char *dec = b64_decode(h + 6);
        char *colon = dec ? strchr(dec, ':') : NULL;
        if (colon) {
            *colon = '\0';
            u = check_password(s, dec, colon + 1);
        }
        free(dec);
        return u;
    }
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        const char *tok = h + 7;
        int64_t now = (int64_t)time(NULL);
        pthread_mutex_lock(&s->auth_lock);
        for (size_t i = 0; i < s->ntokens; i++) {
            struct sim_token *t = &s->tokens[i];
            if (strcmp(t->access, tok) == 0 && t->access_expiry > now) {
                u = sim_config_user(s->cfg, t->user);
                break;
            }
        }
        pthread_mutex_unlock(&s->auth_lock);
        return u && u->active ? u : NULL;
    }
    h = sim_req_header(r, "x-sn-apikey");
    if (h) {
        for (size_t i = 0; i < s->cfg->nkeys; i++)
            if (strcmp(s->cfg->keys[i].key, h) == 0)
                u = sim_config_user(s->cfg, s->cfg->keys[i].user);
        return u && u->active ? u : NULL;
    }
    return NULL;
}

bool sim_auth_can_import(const struct sim *s, const struct sim_user *u,
                         bool insert_multiple)
{
    if (insert_multiple && s->cfg->insert_multiple_optimize)
        return sim_user_has_role(u, "import_transformer");
    return sim_user_has_role(u, "import_set_loader") ||
           sim_user_has_role(u, "import_admin");
}

bool sim_auth_acl(const struct sim *s, const struct sim_user *u,
                  const struct sim_table *t, enum sim_acl_op op)
{
    const struct sim_table_conf *c = t->conf;

    (void)s;
    if (t->kind == SIM_KIND_META && op != SIM_ACL_READ)
        return false; /* generated from the config: nobody writes them */
    if (sim_user_has_role(u, "admin"))
        return true;
    if (c && c->has_acl[op]) {
        if (c->nacl[op] == 0)
            return true;
        for (size_t i = 0; i < c->nacl[op]; i++)
            if (sim_user_has_role(u, c->acl[op][i]))
                return true;
        return false;
    }
    if (t->kind == SIM_KIND_DATA || t->kind == SIM_KIND_META)
        return true;
    /* import tables: loaders read their results, import_admin owns them */
    if (op == SIM_ACL_READ)
        return sim_user_has_role(u, "import_set_loader") ||
               sim_user_has_role(u, "import_transformer") ||
               sim_user_has_role(u, "import_admin");
    return sim_user_has_role(u, "import_admin");
}

/* --- OAuth ----------------------------------------------------------------*/

struct form {
    char *grant_type, *username, *password, *client_id, *client_secret,
        *refresh_token;
};

static void form_parse(struct form *f, const char *body)
{
    char *copy = sim_xstrdup(body ? body : "");
    char *save = NULL;

    memset(f, 0, sizeof(*f));
    for (char *kv = strtok_r(copy, "&", &save); kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        char **slot = NULL;
        if (!eq)
            continue;
        *eq = '\0';
        sim_form_decode(kv);
        if (strcmp(kv, "grant_type") == 0)
            slot = &f->grant_type;
        else if (strcmp(kv, "username") == 0)
            slot = &f->username;
        else if (strcmp(kv, "password") == 0)
            slot = &f->password;
        else if (strcmp(kv, "client_id") == 0)
            slot = &f->client_id;
        else if (strcmp(kv, "client_secret") == 0)
            slot = &f->client_secret;
        else if (strcmp(kv, "refresh_token") == 0)
            slot = &f->refresh_token;
        if (slot && !*slot) {
            sim_form_decode(eq + 1);
            *slot = sim_xstrdup(eq + 1);
        }
    }
    free(copy);
}

static void form_free(struct form *f)
{
    free(f->grant_type);
    free(f->username);
    free(f->password);
    free(f->client_id);
    free(f->client_secret);
    free(f->refresh_token);
}

static void oauth_error(struct sim_resp *resp, int status, const char *error,
                        const char *description)
{
    sim_resp_json(resp, status,
                  json_pack("{s:s, s:s}", "error_description", description,
                            "error", error));
}

static void new_token_string(char out[65])
{
    sim_sys_id(out);
    sim_sys_id(out + 32);
}

static void prune_tokens(struct sim *s, int64_t now)
{
    size_t w = 0;

    for (size_t i = 0; i < s->ntokens; i++) {
        struct sim_token *t = &s->tokens[i];
        if (t->access_expiry <= now && t->refresh_expiry <= now) {
            free(t->user);
            free(t->client_id);
            continue;
        }
        s->tokens[w++] = *t;
    }
    s->ntokens = w;
}

static struct sim_token *token_add(struct sim *s, const char *user,
                                   const char *client_id, bool refresh,
                                   int64_t now)
{
    struct sim_token *t;

    prune_tokens(s, now);
    if (s->ntokens == s->captokens) {
        s->captokens = s->captokens ? s->captokens * 2 : 16;
        s->tokens = sim_xrealloc(s->tokens, s->captokens * sizeof(*t));
    }
    t = &s->tokens[s->ntokens++];
    memset(t, 0, sizeof(*t));
    new_token_string(t->access);
    if (refresh)
        new_token_string(t->refresh);
    t->user = sim_xstrdup(user);
    t->client_id = sim_xstrdup(client_id);
    t->access_expiry = now + s->cfg->access_token_ttl;
    t->refresh_expiry = refresh ? now + s->cfg->refresh_token_ttl : 0;
    return t;
}

static void token_response(struct sim_resp *resp, const struct sim_token *t,
                           bool with_refresh, int64_t now)
{
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:I}", "access_token", t->access, "scope",
                  "useraccount", "token_type", "Bearer", "expires_in",
                  (json_int_t)(t->access_expiry - now));

    if (with_refresh && t->refresh[0])
        json_object_set_new(body, "refresh_token", json_string(t->refresh));
    sim_resp_json(resp, 200, body);
}

void sim_auth_token_endpoint(struct sim *s, const struct sim_req *r,
                             struct sim_resp *resp)
{
    const char *ct = sim_req_header(r, "Content-Type");
    const struct sim_oauth_client *client = NULL;
    struct form f;
    int64_t now = (int64_t)time(NULL);

    if (strcmp(r->method, "POST") != 0) {
        oauth_error(resp, 405, "invalid_request", "method not allowed");
        return;
    }
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        /* the doc only says a JSON body "causes an unspecified error" */
        oauth_error(resp, 400, "server_error", "access_denied");
        return;
    }
    form_parse(&f, r->body);
    for (size_t i = 0; i < s->cfg->nclients; i++)
        if (f.client_id &&
            strcmp(s->cfg->clients[i].client_id, f.client_id) == 0)
            client = &s->cfg->clients[i];
    if (!client || !f.client_secret ||
        strcmp(client->client_secret, f.client_secret) != 0) {
        oauth_error(resp, 401, "server_error", "access_denied");
        goto out;
    }
    pthread_mutex_lock(&s->auth_lock);
    if (f.grant_type && strcmp(f.grant_type, "password") == 0) {
        struct sim_token *t = NULL;
        if (!check_password(s, f.username ? f.username : "", f.password)) {
            oauth_error(resp, 401, "server_error", "access_denied");
        } else {
            /* asking again before expiry returns the same access token */
            for (size_t i = 0; i < s->ntokens; i++)
                if (strcmp(s->tokens[i].user, f.username) == 0 &&
                    strcmp(s->tokens[i].client_id, f.client_id) == 0 &&
                    s->tokens[i].refresh[0] && s->tokens[i].access_expiry > now)
                    t = &s->tokens[i];
            if (!t)
                t = token_add(s, f.username, f.client_id, true, now);
            token_response(resp, t, true, now);
        }
    } else if (f.grant_type && strcmp(f.grant_type, "refresh_token") == 0) {
        struct sim_token *old = NULL;
        for (size_t i = 0; i < s->ntokens; i++)
            if (f.refresh_token && s->tokens[i].refresh[0] &&
                strcmp(s->tokens[i].refresh, f.refresh_token) == 0 &&
                strcmp(s->tokens[i].client_id, f.client_id) == 0 &&
                s->tokens[i].refresh_expiry > now)
                old = &s->tokens[i];
        if (!old || !sim_config_user(s->cfg, old->user) ||
            !sim_config_user(s->cfg, old->user)->active) {
            oauth_error(resp, 401, "server_error", "access_denied");
        } else {
            /* the refresh grant returns an access token only */
            char *user = sim_xstrdup(old->user); /* old may move */
            struct sim_token *t = token_add(s, user, f.client_id, false, now);
            token_response(resp, t, false, now);
            free(user);
        }
    } else if (f.grant_type &&
               strcmp(f.grant_type, "client_credentials") == 0) {
        const struct sim_user *u =
            client->cc_user ? sim_config_user(s->cfg, client->cc_user) : NULL;
        if (!s->cfg->client_credentials_enabled || !u || !u->active) {
            oauth_error(resp, 401, "server_error", "access_denied");
        } else {
            struct sim_token *t =
                token_add(s, u->name, f.client_id, false, now);
            token_response(resp, t, false, now);
        }
    } else {
        oauth_error(resp, 400, "unsupported_grant_type",
                    "grant type not supported");
    }
    pthread_mutex_unlock(&s->auth_lock);
out:
    form_free(&f);
}

void sim_auth_free(struct sim *s)
{
    for (size_t i = 0; i < s->ntokens; i++) {
        free(s->tokens[i].user);
        free(s->tokens[i].client_id);
    }
    free(s->tokens);
    s->tokens = NULL;
    s->ntokens = s->captokens = 0;
}
