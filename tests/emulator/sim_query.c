/*
 * sim_query.c: compiles a ServiceNow encoded query (sysparm_query) into an
 * SQLite WHERE clause and ORDER BY list for one table.
 *
 *   a=1^b=2^ORc=3^NQd=4^ORDERBYe^ORDERBYDESCf
 *   -> ((a = ?1) AND ((b = ?2) OR (c = ?3))) OR ((d = ?4))
 *      ORDER BY "e", "f" DESC
 *
 * "^NQ" separates OR'ed groups, "^" separates AND'ed terms and a term
 * starting with "OR" is OR'ed with the term before it. Field names are
 * [a-z0-9_], so the upper-case operator that follows ends the name.
 * Terms naming an unknown field, or using an unknown operator, are dropped
 * and q->invalid is set: a real instance silently ignores them too. Values
 * are always bound as parameters.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1

#include "sim.h"

#include <stdlib.h>
#include <string.h>

enum op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_NOTIN,
    OP_LIKE,
    OP_NOTLIKE,
    OP_STARTS,
    OP_ENDS,
    OP_EMPTY,
    OP_NOTEMPTY,
    OP_ANYTHING,
    OP_EMPTYSTRING,
    OP_BETWEEN,
};

/* Longer spellings first so that "!=" wins over "=" and so on. */
static const struct {
    const char *text;
    enum op op;
    bool unary;
} ops[] = {
    {"ISNOTEMPTY", OP_NOTEMPTY, true},
    {"ISEMPTY", OP_EMPTY, true},
    {"ANYTHING", OP_ANYTHING, true},
    {"EMPTYSTRING", OP_EMPTYSTRING, true},
    {"STARTSWITH", OP_STARTS, false},
    {"ENDSWITH", OP_ENDS, false},
    {"NOT LIKE", OP_NOTLIKE, false},
    {"NOTLIKE", OP_NOTLIKE, false},
    {"LIKE", OP_LIKE, false},
    {"NOT IN", OP_NOTIN, false},
    {"NOTIN", OP_NOTIN, false},
    {"IN", OP_IN, false},
    {"BETWEEN", OP_BETWEEN, false},
    {"!=", OP_NE, false},
    {"<=", OP_LE, false},
    {">=", OP_GE, false},
    {"=", OP_EQ, false},
    {"<", OP_LT, false},
    {">", OP_GT, false},
};

/* Notes that an index on column c (with cs's collation) would serve this
 * term. */
static void want_index(struct sim_query *q, const struct sim_col *c, bool cs)
{
    q->indexes =
        sim_xrealloc(q->indexes, (q->nindexes + 1) * sizeof(*q->indexes));
    q->indexes[q->nindexes].col = c->name;
    q->indexes[q->nindexes].nocase = !cs;
    q->nindexes++;
}

/* Parameters are kept back to back in q->arena (offsets in q->poff while
 * compiling, pointers in q->params after), not one allocation each: an IN
 * list of a readback has hundreds. */
static void add_param(struct sim_query *q, const char *v)
{
    if (q->nparams == q->capparams) {
        q->capparams = q->capparams ? q->capparams * 2 : 8;
        q->poff = sim_xrealloc(q->poff, q->capparams * sizeof(size_t));
    }
    q->poff[q->nparams++] = q->arena.len;
    sim_str_addn(&q->arena, v, strlen(v) + 1);
}

void sim_query_free(struct sim_query *q)
{
    free(q->indexes);
    free(q->poff);
    free(q->params);
    sim_str_free(&q->arena);
    sim_str_free(&q->where);
    sim_str_free(&q->order);
    memset(q, 0, sizeof(*q));
}

/* Adds a parameter and returns its number. */
static size_t param(struct sim_query *q, const char *v)
{
    add_param(q, v);
    return q->nparams;
}

static char *like_pattern(const char *v, bool prefix, bool suffix)
{
    struct sim_str p = {0};

    if (prefix)
        sim_str_add(&p, "%");
    for (; *v; v++) {
        if (*v == '%' || *v == '_' || *v == '\\')
            sim_str_add(&p, "\\");
        sim_str_addn(&p, v, 1);
    }
    if (suffix)
        sim_str_add(&p, "%");
    if (!p.p)
        sim_str_add(&p, "");
    return p.p;
}

static void add_list(struct sim_str *out, struct sim_query *q,
                     const char *value)
{
    char *copy = sim_xstrdup(value);
    char *save = NULL;
    size_t n = 0;

    sim_str_add(out, "(");
    for (char *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        char num[24];
        int len = snprintf(num, sizeof(num), "%s?%zu", n++ ? ", " : "",
                           param(q, item));
        sim_str_addn(out, num, (size_t)len);
    }
    if (!n)
        sim_str_add(out, "NULL");
    sim_str_add(out, ")");
    free(copy);
}

/* Compiles one term into out; returns false when it must be dropped. */
static bool compile_term(struct sim_str *out, struct sim_query *q,
                         const struct sim_table *t, const char *term, bool cs,
                         bool ne_empty)
{
    size_t flen = 0;
    char field[SIM_NAME_MAX + 1];
    const char *rest, *v;
    const char *coll = cs ? "" : " COLLATE NOCASE";
    const struct sim_col *c;
    size_t i;

    while ((term[flen] >= 'a' && term[flen] <= 'z') ||
           (term[flen] >= '0' && term[flen] <= '9') || term[flen] == '_')
        flen++;
    if (flen == 0 || flen > SIM_NAME_MAX || term[flen] == '.')
        return false; /* no field, or dot-walking (not emulated) */
    memcpy(field, term, flen);
    field[flen] = '\0';
    c = sim_db_col(t, field);
    if (!c)
        return false;
    rest = term + flen;
    for (i = 0; i < SIM_ARRAY_LEN(ops); i++)
        if (strncmp(rest, ops[i].text, strlen(ops[i].text)) == 0)
            break;
    if (i == SIM_ARRAY_LEN(ops))
        return false;
    v = rest + strlen(ops[i].text);
    if (ops[i].unary && *v)
        return false;

    switch (ops[i].op) {
    case OP_EQ:
        if (!*v)
            sim_str_addf(out, "(\"%s\" IS NULL OR \"%s\" = '')", field, field);
        else {
            sim_str_addf(out, "\"%s\" = ?%zu%s", field, param(q, v), coll);
            want_index(q, c, cs);
        }
        break;
    case OP_NE:
        if (!*v)
            sim_str_addf(out, "(\"%s\" IS NOT NULL AND \"%s\" != '')", field,
                         field);
        else if (ne_empty)
            sim_str_addf(out, "(\"%s\" IS NULL OR \"%s\" != ?%zu%s)", field,
                         field, param(q, v), coll);
        else
            sim_str_addf(out, "\"%s\" != ?%zu%s", field, param(q, v), coll);
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        static const char *const sym[] = {"<", "<=", ">", ">="};
        sim_str_addf(out, "\"%s\" %s ?%zu", field, sym[ops[i].op - OP_LT],
                     param(q, v));
        break;
    }
    case OP_IN:
        sim_str_addf(out, "\"%s\"%s IN ", field, coll);
        add_list(out, q, v);
        want_index(q, c, cs);
        break;
    case OP_NOTIN:
        sim_str_addf(out, "(\"%s\" IS NULL OR \"%s\"%s NOT IN ", field, field,
                     coll);
        add_list(out, q, v);
        sim_str_add(out, ")");
        break;
    case OP_LIKE:
    case OP_NOTLIKE:
    case OP_STARTS:
    case OP_ENDS: {
        bool contains = ops[i].op == OP_LIKE || ops[i].op == OP_NOTLIKE;
        char *pat = like_pattern(v, contains || ops[i].op == OP_ENDS,
                                 contains || ops[i].op == OP_STARTS);
        size_t pn = param(q, pat);
        free(pat);
        if (ops[i].op == OP_NOTLIKE)
            sim_str_addf(out,
                         "(\"%s\" IS NULL OR \"%s\" NOT LIKE ?%zu"
                         " ESCAPE '\\')",
                         field, field, pn);
        else if (cs && ops[i].op == OP_STARTS) {
            size_t vn = param(q, v);
            sim_str_addf(out, "substr(\"%s\", 1, length(?%zu)) = ?%zu", field,
                         vn, vn);
        } else if (cs && ops[i].op == OP_ENDS) {
            size_t vn = param(q, v);
            sim_str_addf(out, "substr(\"%s\", -length(?%zu)) = ?%zu", field, vn,
                         vn);
        } else /* LIKE is case-insensitive, as "contains" is on MySQL */
            sim_str_addf(out, "\"%s\" LIKE ?%zu ESCAPE '\\'", field, pn);
        break;
    }
    case OP_EMPTY:
        sim_str_addf(out, "(\"%s\" IS NULL OR \"%s\" = '')", field, field);
        break;
    case OP_NOTEMPTY:
        sim_str_addf(out, "(\"%s\" IS NOT NULL AND \"%s\" != '')", field,
                     field);
        break;
    case OP_ANYTHING:
        sim_str_add(out, "1");
        break;
    case OP_EMPTYSTRING:
        sim_str_addf(out, "\"%s\" = ''", field);
        break;
    case OP_BETWEEN: {
        const char *at = strchr(v, '@');
        char *lo;
        if (!at)
            return false;
        lo = sim_xstrndup(v, (size_t)(at - v));
        sim_str_addf(out, "\"%s\" BETWEEN ?%zu", field, param(q, lo));
        sim_str_addf(out, " AND ?%zu", param(q, at + 1));
        free(lo);
        break;
    }
    }
    return true;
}

static void add_order(struct sim_query *q, const struct sim_table *t,
                      const char *field, bool desc)
{
    if (!sim_db_col(t, field)) {
        q->invalid = true;
        return;
    }
    sim_str_add(&q->order, q->order.len ? ", " : "ORDER BY ");
    sim_str_addf(&q->order, "\"%s\"%s", field, desc ? " DESC" : "");
}

/* Compiles one ^NQ group into out; returns the number of terms kept. */
static size_t compile_group(struct sim_str *out, struct sim_query *q,
                            const struct sim_table *t, char *group, bool cs,
                            bool ne_empty)
{
    size_t kept = 0;
    bool in_clause = false;
    char *p = group;

    while (p) {
        char *caret = strchr(p, '^');
        char *tok = p;
        bool is_or = false;
        struct sim_str term = {0};

        if (caret)
            *caret = '\0';
        p = caret ? caret + 1 : NULL;
        if (strncmp(tok, "ORDERBYDESC", 11) == 0) {
            add_order(q, t, tok + 11, true);
            continue;
        }
        if (strncmp(tok, "ORDERBY", 7) == 0) {
            add_order(q, t, tok + 7, false);
            continue;
        }
        if (strncmp(tok, "OR", 2) == 0 && tok[2] >= 'a' && tok[2] <= 'z') {
            is_or = true;
            tok += 2;
        }
        if (!*tok || strcmp(tok, "EQ") == 0)
            continue;
        if (!compile_term(&term, q, t, tok, cs, ne_empty)) {
            q->invalid = true;
            sim_str_free(&term);
            continue;
        }
        if (is_or && in_clause) {
            /* reopen the previous clause: "(a" -> "(a OR b" */
            out->p[--out->len] = '\0'; /* drop ')' */
            sim_str_addf(out, " OR (%s))", term.p);
        } else {
            sim_str_addf(out, "%s((%s))", kept ? " AND " : "", term.p);
            in_clause = true;
        }
        kept++;
        sim_str_free(&term);
    }
    return kept;
}

void sim_query_compile(struct sim_query *q, const struct sim_table *t,
                       const char *encoded, bool case_sensitive,
                       bool ne_matches_empty)
{
    char *copy;
    char *p;
    size_t groups = 0;
    bool match_all = false;
    struct sim_str where = {0};

    memset(q, 0, sizeof(*q));
    if (!encoded || !*encoded)
        return;
    copy = sim_xstrdup(encoded);
    p = copy;
    while (p) {
        char *nq = strstr(p, "^NQ");
        struct sim_str g = {0};
        if (nq)
            *nq = '\0';
        if (compile_group(&g, q, t, p, case_sensitive, ne_matches_empty)) {
            sim_str_addf(&where, "%s(%s)", groups ? " OR " : "", g.p);
            groups++;
        } else {
            match_all = true; /* an empty group matches every row */
        }
        sim_str_free(&g);
        p = nq ? nq + 3 : NULL;
    }
    if (groups && !match_all)
        sim_str_add(&q->where, where.p);
    sim_str_free(&where);
    free(copy);
    q->params = sim_xcalloc(q->nparams + 1, sizeof(char *));
    for (size_t i = 0; i < q->nparams; i++)
        q->params[i] = q->arena.p + q->poff[i];
}
