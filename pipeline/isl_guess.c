/*
 * isl_guess.c: value-kind guessing for `isload init` (see isl_guess.h).
 *
 * Every value added updates a handful of "could this column still be X"
 * flags and counters in constant time, plus a table of distinct values
 * (for enums, boolean spellings and key uniqueness). The table stops
 * growing once it can no longer matter: when the column has repeated or
 * empty values (so it cannot be a key) and more distinct values than an
 * enum may have. A 10,000-row sample of a wide file therefore costs at
 * most one copy of the key-like columns.
 *
 * Dates: each format belongs to a "shape" group (m/d/Y and d/m/Y share
 * one). A value keeps alive, within its group, only the formats it
 * matches, so one "13/02/2020" rules out m/d/Y for the whole column. At
 * the end each group seen contributes its first live format to "from".
 */
#include "isl_setup.h"
#include "isl_guess.h"
#include "isl_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- formats ------------------------------------------------------------ */

struct fmt {
    const char *f; /* strptime-style format, as the date stages take it */
    int group;     /* formats of one group accept the same shapes */
};

static const struct fmt date_fmts[] = {
    {"%Y-%m-%d", 0}, {"%m/%d/%Y", 1}, {"%d/%m/%Y", 1},
    {"%d.%m.%Y", 2}, {"%Y/%m/%d", 3},
};

static const struct fmt dt_fmts[] = {
    {"%Y-%m-%d %H:%M:%S", 0}, {"%Y-%m-%dT%H:%M:%SZ", 1},
    {"%Y-%m-%dT%H:%M:%S", 2}, {"%Y-%m-%d %H:%M", 3},
    {"%m/%d/%Y %H:%M", 4},    {"%d/%m/%Y %H:%M", 4},
    {"%m/%d/%Y %H:%M:%S", 5}, {"%d/%m/%Y %H:%M:%S", 5},
    {"%d.%m.%Y %H:%M", 6},
};

/* Fixed digits: Y 4, M S 2; m d H 1 or 2. Ranges checked, not calendars:
 * 02/30 passes here and the date stage rejects it, which is the point. */
static bool fmt_match(const char *s, size_t n, const char *f)
{
    size_t i = 0;

    for (; *f; f++) {
        int lo, hi, mind, maxd, v = 0, nd = 0;

        if (*f != '%') {
            if (i >= n || s[i] != *f)
                return false;
            i++;
            continue;
        }
        f++;
        switch (*f) {
        case 'Y':
            mind = 4, maxd = 4, lo = 1000, hi = 9999;
            break;
        case 'm':
            mind = 1, maxd = 2, lo = 1, hi = 12;
            break;
        case 'd':
            mind = 1, maxd = 2, lo = 1, hi = 31;
            break;
        case 'H':
            mind = 1, maxd = 2, lo = 0, hi = 23;
            break;
        case 'M':
            mind = 2, maxd = 2, lo = 0, hi = 59;
            break;
        case 'S':
            mind = 2, maxd = 2, lo = 0, hi = 60;
            break;
        default:
            return false;
        }
        while (i < n && nd < maxd && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (s[i++] - '0'), nd++;
        if (nd < mind || v < lo || v > hi)
            return false;
    }
    return i == n;
}

/* Per-table state: which formats are still alive, which groups seen. */
struct fmtstate {
    bool maybe;      /* every non-empty value matched some format */
    uint32_t alive;  /* bit per format */
    uint32_t groups; /* bit per group seen */
    uint64_t hits;   /* values that matched */
};

static bool fmt_add(struct fmtstate *st, const struct fmt *t, size_t nt,
                    const char *s, size_t n)
{
    uint32_t mask = 0, gmask = 0;

    for (size_t i = 0; i < nt; i++)
        if (fmt_match(s, n, t[i].f)) {
            mask |= 1u << i;
            gmask |= 1u << t[i].group;
        }
    if (!mask) {
        st->maybe = false;
        return false;
    }
    st->hits++;
    st->groups |= gmask;
    for (size_t i = 0; i < nt; i++)
        if ((gmask >> t[i].group & 1) && !(mask >> i & 1))
            st->alive &= ~(1u << i);
    return true;
}

/* Fill r->formats; false if some group seen has no live format. */
static bool fmt_finish(const struct fmtstate *st, const struct fmt *t,
                       size_t nt, struct isl_guess_result *r)
{
    r->nformats = 0;
    for (int g = 0; g < 32; g++) {
        int live = 0;

        if (!(st->groups >> g & 1))
            continue;
        for (size_t i = 0; i < nt; i++) {
            if (t[i].group != g || !(st->alive >> i & 1))
                continue;
            if (live++ == 0 && r->nformats < ISL_ARRAY_LEN(r->formats))
                r->formats[r->nformats++] = t[i].f;
        }
        if (!live)
            return false;
        if (live > 1)
            r->ambiguous = true;
    }
    return r->nformats > 0;
}

/* ---- distinct values ------------------------------------------------- */

struct slot {
    char *s; /* NUL-terminated copy, NULL = free slot */
    size_t len;
    uint64_t hash;
    uint64_t count;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* ---- the accumulator -------------------------------------------------- */

#define MAX_BOOL_WORDS 16

/* The checks every value goes through, for the "mixed" explanation. */
enum { CK_BOOL, CK_DATE, CK_NUM, CK_EMAIL, CK_PHONE, NCHECKS };

struct isl_guess {
    char name[128]; /* snake-cased source name, for hints */
    bool done;
    struct isl_guess_result res;
    uint64_t nonempty;

    bool maybe_bool, maybe_num, maybe_email, maybe_phone;
    uint64_t hits[NCHECKS]; /* values that passed each check */
    char miss[NCHECKS][48]; /* first value that failed it */
    bool bool_digits;       /* saw "0" or "1" */
    bool num_lz;            /* an integer with a leading zero */
    bool num_long;          /* an integer of more than 15 digits */
    char num_dec;           /* decimal separator seen, 0 none */
    bool dt_utc;            /* every datetime carried a Z */
    struct fmtstate date, dt;

    char *bwords[MAX_BOOL_WORDS]; /* distinct boolean spellings */
    bool btrue[MAX_BOOL_WORDS];
    size_t nbwords;

    struct slot *tab; /* distinct values, open addressing */
    size_t ntab, cap;
    bool tracking; /* tab still complete */
    bool dup;      /* some value seen twice */

    const char **lists; /* storage behind words_* and enum_values */
};

int isl_guess_new(struct isl_guess **out, const char *name)
{
    struct isl_guess *g = calloc(1, sizeof(*g));

    *out = NULL;
    if (!g)
        return ISL_ENOMEM;
    isl_guess_snake(g->name, sizeof(g->name), name ? name : "",
                    sizeof(g->name) - 1);
    g->maybe_bool = g->maybe_num = g->maybe_email = g->maybe_phone = true;
    g->date.maybe = g->dt.maybe = true;
    g->date.alive = g->dt.alive = ~0u;
    g->dt_utc = true;
    g->tracking = true;
    *out = g;
    return 0;
}

void isl_guess_free(struct isl_guess *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->cap; i++)
        free(g->tab[i].s);
    free(g->tab);
    for (size_t i = 0; i < g->nbwords; i++)
        free(g->bwords[i]);
    free(g->lists);
    free(g);
}

static void tab_drop(struct isl_guess *g)
{
    for (size_t i = 0; i < g->cap; i++)
        free(g->tab[i].s);
    free(g->tab);
    g->tab = NULL;
    g->ntab = g->cap = 0;
    g->tracking = false;
}

static struct slot *tab_find(struct slot *tab, size_t cap, uint64_t h,
                             const char *s, size_t n)
{
    size_t i = (size_t)h & (cap - 1);

    while (tab[i].s && !(tab[i].hash == h && tab[i].len == n &&
                         memcmp(tab[i].s, s, n) == 0))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static int tab_add(struct isl_guess *g, const char *s, size_t n)
{
    uint64_t h = fnv1a(s, n);
    struct slot *sl;

    if (g->ntab * 2 >= g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct slot *t = calloc(cap, sizeof(*t));

        if (!t)
            return ISL_ENOMEM;
        for (size_t i = 0; i < g->cap; i++)
            if (g->tab[i].s)
                *tab_find(t, cap, g->tab[i].hash, g->tab[i].s, g->tab[i].len) =
                    g->tab[i];
        free(g->tab);
        g->tab = t;
        g->cap = cap;
    }
    sl = tab_find(g->tab, g->cap, h, s, n);
    if (sl->s) {
        sl->count++;
        g->dup = true;
        return 0;
    }
    if (!(sl->s = malloc(n + 1)))
        return ISL_ENOMEM;
    memcpy(sl->s, s, n);
    sl->s[n] = '\0';
    sl->len = n;
    sl->hash = h;
    sl->count = 1;
    g->ntab++;
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Boolean vocabulary, lower case; even index true, odd false. */
static const char *const bool_vocab[] = {"true", "false", "yes", "no",
                                         "y",    "n",     "1",   "0"};

static int bool_word(const char *s, size_t n)
{
    for (size_t i = 0; i < ISL_ARRAY_LEN(bool_vocab); i++) {
        size_t k = strlen(bool_vocab[i]);
        size_t j = 0;

        if (k != n)
            continue;
        while (j < n && lower(s[j]) == bool_vocab[i][j])
            j++;
        if (j == n)
            return (int)i;
    }
    return -1;
}

static bool add_bool(struct isl_guess *g, const char *s, size_t n)
{
    int w = bool_word(s, n);
    size_t i;

    if (w < 0) {
        g->maybe_bool = false;
        return false;
    }
    if (w >= 6)
        g->bool_digits = true;
    if (!g->maybe_bool)
        return true;
    for (i = 0; i < g->nbwords; i++)
        if (strlen(g->bwords[i]) == n && memcmp(g->bwords[i], s, n) == 0)
            return true;
    if (i == MAX_BOOL_WORDS || !(g->bwords[i] = malloc(n + 1))) {
        g->maybe_bool = false;
        return true;
    }
    memcpy(g->bwords[i], s, n);
    g->bwords[i][n] = '\0';
    g->btrue[i] = w % 2 == 0;
    g->nbwords++;
    return true;
}

/* [+-]? digits? ([.,] digits)?, at least one digit before or after. */
static bool add_num(struct isl_guess *g, const char *s, size_t n)
{
    size_t i = 0, ni, nf = 0, lead;
    char sep = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    ni = lead = i;
    while (i < n && is_digit(s[i]))
        i++;
    ni = i - ni;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        sep = s[i++];
        while (i < n && is_digit(s[i]))
            i++, nf++;
        if (!nf) {
            g->maybe_num = false;
            return false;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E') && ni + nf > 0 &&
        sep != ',') { /* 1.5e-07, as JSON readers write small numbers */
        size_t ne = 0;

        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < n && is_digit(s[i]))
            i++, ne++;
        if (!ne) {
            g->maybe_num = false;
            return false;
        }
        if (!sep)
            sep = '.', nf = 1; /* not an integer any more */
    }
    if (i != n || ni + nf == 0) {
        g->maybe_num = false;
        return false;
    }
    if (ni > 1 && s[lead] == '0')
        g->num_lz = true;
    if (!sep && ni > 15)
        g->num_long = true;
    if (sep) {
        if (g->num_dec && g->num_dec != sep)
            g->maybe_num = false;
        g->num_dec = sep;
    }
    return true;
}

static bool looks_email(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    size_t dom, i;
    bool dot = false;

    if (!at || at == s || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
        return false;
    for (i = 0; i < n; i++)
        if (is_space(s[i]) || s[i] == ',' || s[i] == ';' || s[i] == '<' ||
            s[i] == '>')
            return false;
    dom = (size_t)(at - s) + 1;
    if (dom >= n || s[dom] == '.' || s[n - 1] == '.')
        return false;
    for (i = dom; i < n; i++) {
        if (s[i] == '.') {
            if (s[i - 1] == '.')
                return false;
            dot = true;
        }
    }
    return dot;
}

static bool looks_phone(const char *s, size_t n)
{
    size_t digits = 0, punct = 0;

    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            digits++;
        else if (s[i] == '+' && i == 0)
            punct++;
        else if (s[i] == '-' || s[i] == '(' || s[i] == ')' || s[i] == '.' ||
                 s[i] == ' ')
            punct++;
        else
            return false;
    }
    /* 10 digits unless international: keeps 2024-13-01 and 12-34 out */
    return digits >= (s[0] == '+' ? 7u : 10u) && digits <= 15 && punct > 0 &&
           is_digit(s[n - 1]);
}

static size_t utf8_chars(const char *s, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Count a passed check, or keep the first value that failed it. */
static void tally(struct isl_guess *g, int ck, bool ok, const char *s, size_t n)
{
    size_t k = sizeof(g->miss[ck]) - 1;

    if (ok) {
        g->hits[ck]++;
        return;
    }
    if (g->miss[ck][0])
        return;
    if (n < k)
        k = n;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--; /* do not cut a UTF-8 sequence */
    memcpy(g->miss[ck], s, k);
    g->miss[ck][k] = '\0';
}

int isl_guess_add(struct isl_guess *g, const char *value, size_t len)
{
    const char *s = value;
    size_t n = value ? len : 0;
    size_t chars;
    bool dt, d, ok;

    if (g->done)
        return 0;
    g->res.values++;
    while (n && is_space(*s))
        s++, n--;
    while (n && is_space(s[n - 1]))
        n--;
    if (n == 4 && (memcmp(s, "NULL", 4) == 0 || memcmp(s, "null", 4) == 0)) {
        g->res.nulls++; /* an export's "no value", not a value */
        n = 0;
    }
    if (n == 0) {
        g->res.empty++;
        return 0;
    }
    g->nonempty++;
    chars = utf8_chars(s, n);
    if (chars > g->res.max_chars)
        g->res.max_chars = chars;
    tally(g, CK_BOOL, add_bool(g, s, n), s, n);
    dt = fmt_add(&g->dt, dt_fmts, ISL_ARRAY_LEN(dt_fmts), s, n);
    if (dt && s[n - 1] != 'Z')
        g->dt_utc = false;
    d = fmt_add(&g->date, date_fmts, ISL_ARRAY_LEN(date_fmts), s, n);
    tally(g, CK_DATE, dt || d, s, n);
    tally(g, CK_NUM, add_num(g, s, n), s, n);
    ok = looks_email(s, n);
    g->maybe_email = g->maybe_email && ok;
    tally(g, CK_EMAIL, ok, s, n);
    ok = looks_phone(s, n);
    g->maybe_phone = g->maybe_phone && ok;
    tally(g, CK_PHONE, ok, s, n);
    if (g->tracking) {
        if (tab_add(g, s, n) < 0)
            return ISL_ENOMEM;
        /* neither a key (repeats or empties) nor an enum (too many) */
        if ((g->dup || g->res.empty) && g->ntab > ISL_GUESS_ENUM_MAX)
            tab_drop(g);
    }
    return 0;
}

/* ---- finishing ---------------------------------------------------------- */

static bool has_token(const char *snake, const char *const *words)
{
    const char *p = snake;

    while (*p) {
        size_t n = strcspn(p, "_");

        for (const char *const *w = words; *w; w++)
            if (strlen(*w) == n && strncmp(p, *w, n) == 0)
                return true;
        p += n;
        while (*p == '_')
            p++;
    }
    return false;
}

static bool flag_name(const char *snake)
{
    static const char *const words[] = {
        "is",       "has",     "can",     "active", "inactive", "enabled",
        "disabled", "flag",    "deleted", "locked", "valid",    "visible",
        "bool",     "boolean", "yn",      NULL};

    return has_token(snake, words);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool eq_nocase(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b))
        a++, b++;
    return *a == '\0' && *b == '\0';
}

/* The other word of a boolean pair, in the same case style as w. */
static const char *bool_partner(const char *w)
{
    static const char *const pairs[][3] = {
        /* lower, Capital, UPPER for each vocabulary word */
        {"true", "True", "TRUE"}, {"false", "False", "FALSE"},
        {"yes", "Yes", "YES"},    {"no", "No", "NO"},
        {"y", "Y", "Y"},          {"n", "N", "N"},
        {"1", "1", "1"},          {"0", "0", "0"},
    };
    int i = bool_word(w, strlen(w));
    int style = 0;

    if (i < 0)
        return NULL;
    if (w[0] >= 'A' && w[0] <= 'Z')
        style = (w[1] >= 'A' && w[1] <= 'Z') || !w[1] ? 2 : 1;
    return pairs[i ^ 1][style];
}

static bool finish_bool(struct isl_guess *g, struct isl_guess_result *r)
{
    size_t nt = 0, nf = 0;
    const char **p;

    if (!g->maybe_bool || !g->nonempty || g->nbwords == 0)
        return false;
    if (g->bool_digits && !flag_name(g->name))
        return false;
    p = calloc(g->nbwords + 2, sizeof(*p));
    if (!p)
        return false;
    g->lists = p;
    for (size_t i = 0; i < g->nbwords; i++)
        nt += g->btrue[i];
    nf = g->nbwords - nt;
    r->words_true = p;
    r->words_false = p + (nt ? nt : 1);
    for (size_t i = 0, a = 0, b = 0; i < g->nbwords; i++) {
        if (g->btrue[i])
            r->words_true[a++] = g->bwords[i];
        else
            r->words_false[b++] = g->bwords[i];
    }
    /* only one side seen: add its partner so the other value passes */
    if (!nt)
        r->words_true[nt++] = bool_partner(r->words_false[0]);
    if (!nf)
        r->words_false[nf++] = bool_partner(r->words_true[0]);
    r->ntrue = nt;
    r->nfalse = nf;
    snprintf(r->why, sizeof(r->why), "%s%llu values are boolean words",
             g->bool_digits ? "name suggests a flag and " : "",
             (unsigned long long)g->nonempty);
    return true;
}

static bool finish_enum(struct isl_guess *g, struct isl_guess_result *r)
{
    const char **p;
    size_t n = 0, k = 0;

    if (!g->tracking || g->ntab > ISL_GUESS_ENUM_MAX ||
        g->nonempty < ISL_GUESS_ENUM_MIN_ROWS)
        return false;
    for (size_t i = 0; i < g->cap; i++)
        if (g->tab[i].s && g->tab[i].count < 2)
            return false;
    p = calloc(g->ntab + 1, sizeof(*p));
    if (!p)
        return false;
    for (size_t i = 0; i < g->cap; i++)
        if (g->tab[i].s)
            p[n++] = g->tab[i].s;
    qsort(p, n, sizeof(*p), cmp_str);
    /* the enum stage compares without case: drop case-only repeats */
    for (size_t i = 0; i < n; i++) {
        bool seen = false;

        for (size_t j = 0; j < k && !seen; j++)
            seen = eq_nocase(p[j], p[i]);
        if (!seen)
            p[k++] = p[i];
    }
    g->lists = p;
    r->enum_values = p;
    r->nenum = k;
    snprintf(r->why, sizeof(r->why),
             "%zu distinct values, each repeated, in %llu values", k,
             (unsigned long long)g->nonempty);
    return true;
}

static void finish_text(struct isl_guess *g, struct isl_guess_result *r)
{
    static const char *const names[NCHECKS] = {[CK_BOOL] = "boolean words",
                                               [CK_DATE] =
                                                   "dates or date-times",
                                               [CK_NUM] = "numbers",
                                               [CK_EMAIL] = "e-mail addresses",
                                               [CK_PHONE] = "phone numbers"};
    int best = 0;

    r->kind = ISL_GUESS_TEXT;
    if (g->maybe_num && (g->num_lz || g->num_long)) {
        snprintf(r->why, sizeof(r->why), "digits %s: kept as text",
                 g->num_lz ? "with leading zeros" : "longer than 15");
        return;
    }
    if (g->hits[CK_DATE] == g->nonempty) {
        snprintf(r->why, sizeof(r->why),
                 "dates in formats that contradict each other: kept as text");
        return;
    }
    for (int i = 1; i < NCHECKS; i++)
        if (g->hits[i] > g->hits[best])
            best = i;
    if (g->hits[best] && g->hits[best] * 2 >= g->nonempty) {
        snprintf(r->why, sizeof(r->why),
                 "mixed: %llu of %llu values are %s, not '%s': kept as text",
                 (unsigned long long)g->hits[best],
                 (unsigned long long)g->nonempty, names[best], g->miss[best]);
        return;
    }
    if (g->tracking && g->ntab <= ISL_GUESS_ENUM_MAX && g->dup) {
        /* nearly an enum: say what was missing */
        const char *once = NULL;

        for (size_t i = 0; i < g->cap && !once; i++)
            if (g->tab[i].s && g->tab[i].count == 1)
                once = g->tab[i].s;
        if (g->nonempty < ISL_GUESS_ENUM_MIN_ROWS)
            snprintf(r->why, sizeof(r->why),
                     "%zu distinct values, but an enum needs a sample of "
                     "%d values",
                     g->ntab, ISL_GUESS_ENUM_MIN_ROWS);
        else if (once)
            snprintf(r->why, sizeof(r->why),
                     "%zu distinct values, but '%.40s' only once: not an "
                     "enum",
                     g->ntab, once);
    }
}

const struct isl_guess_result *isl_guess_finish(struct isl_guess *g)
{
    struct isl_guess_result *r = &g->res;

    if (g->done)
        return r;
    g->done = true;
    r->required = r->values > 0 && r->empty == 0;
    r->unique = r->required && g->tracking && !g->dup;
    if (!g->nonempty) {
        r->kind = ISL_GUESS_EMPTY;
        snprintf(r->why, sizeof(r->why), "no values in the sample");
    } else if (finish_bool(g, r)) {
        r->kind = ISL_GUESS_BOOLEAN;
    } else if (g->dt.maybe && g->dt.hits &&
               fmt_finish(&g->dt, dt_fmts, ISL_ARRAY_LEN(dt_fmts), r)) {
        r->kind = ISL_GUESS_DATETIME;
        r->utc = g->dt_utc;
        snprintf(r->why, sizeof(r->why), "%llu values are date-times%s",
                 (unsigned long long)g->nonempty,
                 r->ambiguous ? "; day/month order ambiguous, assumed "
                                "month first"
                              : "");
    } else if (g->date.maybe && g->date.hits &&
               fmt_finish(&g->date, date_fmts, ISL_ARRAY_LEN(date_fmts), r)) {
        r->kind = ISL_GUESS_DATE;
        snprintf(r->why, sizeof(r->why), "%llu values are dates%s",
                 (unsigned long long)g->nonempty,
                 r->ambiguous ? "; no day above 12, so day/month order "
                                "ambiguous: assumed month first"
                              : "");
    } else if (g->maybe_num && !g->num_lz && !g->num_long) {
        r->kind = ISL_GUESS_NUMBER;
        r->integers = !g->num_dec;
        r->decimal = g->num_dec;
        snprintf(r->why, sizeof(r->why), "%llu values are %s",
                 (unsigned long long)g->nonempty,
                 g->num_dec ? "decimal numbers" : "integers");
    } else if (g->maybe_email) {
        r->kind = ISL_GUESS_EMAIL;
        snprintf(r->why, sizeof(r->why), "%llu values are e-mail addresses",
                 (unsigned long long)g->nonempty);
    } else if (g->maybe_phone) {
        r->kind = ISL_GUESS_PHONE;
        snprintf(r->why, sizeof(r->why),
                 "%llu values are phone numbers; country code 1 assumed",
                 (unsigned long long)g->nonempty);
    } else if (finish_enum(g, r)) {
        r->kind = ISL_GUESS_ENUM;
    } else {
        finish_text(g, r);
    }
    if (r->kind != ISL_GUESS_DATE && r->kind != ISL_GUESS_DATETIME) {
        r->nformats = 0;
        r->ambiguous = false;
    }
    if (r->kind == ISL_GUESS_TEXT || r->kind == ISL_GUESS_EMAIL)
        r->length_max = isl_guess_length_max(r->max_chars);
    return r;
}

/* ---- stages ------------------------------------------------------------ */

static json_t *str_array(const char *const *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* {name: opts}, stealing opts. */
static json_t *stage(const char *name, json_t *opts)
{
    json_t *o;

    if (!opts)
        return NULL;
    o = json_object();
    if (!o || json_object_set_new(o, name, opts) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *isl_guess_stages(const struct isl_guess_result *r)
{
    json_t *st = json_array();
    json_t *s = NULL;
    bool ok;

    if (!st)
        return NULL;
    ok = json_array_append_new(st, json_string("trim")) == 0;
    switch (r->kind) {
    case ISL_GUESS_BOOLEAN:
        s = stage("boolean",
                  json_pack("{s:o,s:o}", "true",
                            str_array(r->words_true, r->ntrue), "false",
                            str_array(r->words_false, r->nfalse)));
        break;
    case ISL_GUESS_DATETIME:
        s = stage("datetime",
                  json_pack("{s:o,s:s,s:s}", "from",
                            str_array(r->formats, r->nformats), "to",
                            "%Y-%m-%d %H:%M:%S", "timezone", "UTC"));
        break;
    case ISL_GUESS_DATE:
        s = stage("date", json_pack("{s:o,s:s}", "from",
                                    str_array(r->formats, r->nformats), "to",
                                    "%Y-%m-%d"));
        break;
    case ISL_GUESS_NUMBER:
        s = stage("number", r->decimal == ','
                                ? json_pack("{s:s}", "decimal", ",")
                                : json_object());
        break;
    case ISL_GUESS_EMAIL:
        ok = ok && json_array_append_new(st, json_string("lower")) == 0 &&
             json_array_append_new(st, json_string("email")) == 0;
        break;
    case ISL_GUESS_PHONE:
        s = stage("phone", json_pack("{s:s}", "country", "1"));
        break;
    case ISL_GUESS_ENUM:
        s = stage("enum", json_pack("{s:o,s:s}", "values",
                                    str_array(r->enum_values, r->nenum), "case",
                                    "insensitive"));
        break;
    case ISL_GUESS_EMPTY:
    case ISL_GUESS_TEXT:
        break;
    }
    if (s)
        ok = ok && json_array_append_new(st, s) == 0;
    else if (r->kind != ISL_GUESS_EMAIL && r->kind != ISL_GUESS_EMPTY &&
             r->kind != ISL_GUESS_TEXT)
        ok = false;
    if (ok && r->length_max) {
        s = stage("length",
                  json_pack("{s:I}", "max", (json_int_t)r->length_max));
        ok = s && json_array_append_new(st, s) == 0;
    }
    if (!ok) {
        json_decref(st);
        return NULL;
    }
    return st;
}

/* ---- names and keys ----------------------------------------------------- */

const char *isl_guess_kind_name(enum isl_guess_kind k)
{
    static const char *const names[] = {
        [ISL_GUESS_EMPTY] = "empty",       [ISL_GUESS_BOOLEAN] = "boolean",
        [ISL_GUESS_DATETIME] = "datetime", [ISL_GUESS_DATE] = "date",
        [ISL_GUESS_NUMBER] = "number",     [ISL_GUESS_EMAIL] = "email",
        [ISL_GUESS_PHONE] = "phone",       [ISL_GUESS_ENUM] = "enum",
        [ISL_GUESS_TEXT] = "text",
    };

    return (size_t)k < ISL_ARRAY_LEN(names) ? names[k] : "?";
}

size_t isl_guess_snake(char *out, size_t size, const char *in, size_t max)
{
    size_t n = 0;
    bool gap = false, prev_lower = false;

    if (size == 0)
        return 0;
    if (max > size - 1)
        max = size - 1;
    for (const char *p = in; *p && n < max; p++) {
        char c = *p;
        bool up = c >= 'A' && c <= 'Z';
        bool alnum = up || (c >= 'a' && c <= 'z') || is_digit(c);

        if (!alnum) {
            gap = true;
            prev_lower = false;
            continue;
        }
        if (up && prev_lower) /* employeeId -> employee_id */
            gap = true;
        if (gap && n > 0) {
            if (n + 1 >= max)
                break;
            out[n++] = '_';
        }
        gap = false;
        out[n++] = lower(c);
        prev_lower = (c >= 'a' && c <= 'z') || is_digit(c);
    }
    while (n > 0 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    return n;
}

size_t isl_guess_length_max(size_t chars)
{
    /* 40 is ServiceNow's default length for a new string column; the
     * others are the lengths its column form offers most often. Longer
     * values are truncated silently by the instance, so state it. */
    static const size_t steps[] = {40, 80, 100, 255, 1000, 4000};

    for (size_t i = 0; i < ISL_ARRAY_LEN(steps); i++)
        if (chars <= steps[i])
            return steps[i];
    return (chars + 3999) / 4000 * 4000;
}

int isl_guess_key_score(const char *name, const char **why)
{
    static const struct {
        const char *words[5];
        int score;
    } hints[] = {
        {{"id", "sysid", "guid", "uuid", NULL}, 4},
        {{"number", "num", "nr", NULL, NULL}, 3},
        {{"key", "code", "tag", NULL, NULL}, 2},
        {{"email", "mail", NULL, NULL, NULL}, 1},
    };
    char snake[128];

    isl_guess_snake(snake, sizeof(snake), name, sizeof(snake) - 1);
    for (size_t i = 0; i < ISL_ARRAY_LEN(hints); i++) {
        const char *w[6] = {0};

        memcpy(w, hints[i].words, sizeof(hints[i].words));
        if (has_token(snake, w)) {
            if (why) {
                *why = NULL;
                for (size_t j = 0; j < 5 && w[j] && !*why; j++) {
                    const char *one[2] = {w[j], NULL};

                    if (has_token(snake, one))
                        *why = w[j];
                }
            }
            return hints[i].score;
        }
    }
    if (why)
        *why = NULL;
    return 0;
}

size_t isl_guess_key_candidates(const struct isl_guess_result *const *res,
                                const char *const *names, size_t n, size_t *idx)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const struct isl_guess_result *r = res[i];

        if (!r->unique || r->max_chars > 255 || r->kind == ISL_GUESS_DATE ||
            r->kind == ISL_GUESS_DATETIME || r->kind == ISL_GUESS_BOOLEAN ||
            r->kind == ISL_GUESS_EMPTY ||
            (r->kind == ISL_GUESS_NUMBER && !r->integers))
            continue;
        idx[k++] = i;
    }
    /* insertion sort, stable: best score first, then leftmost */
    for (size_t i = 1; i < k; i++) {
        size_t v = idx[i], j = i;
        int sv = isl_guess_key_score(names[v], NULL);

        while (j > 0 && isl_guess_key_score(names[idx[j - 1]], NULL) < sv) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    return k;
}
