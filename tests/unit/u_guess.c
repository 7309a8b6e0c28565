/*
 * u_guess.c: the value-kind guesser behind `isload init`: every kind, the
 * day/month decision, mixed columns, the stages written, names and keys.
 */
#include "isl_setup.h"
#include "t.h"
#include "isl_guess.h"

#include <jansson.h>

/* A guess over a NULL-terminated list of values (each added `times`). */
static struct isl_guess *guess(const char *name, const char *const *v,
                               int times)
{
    struct isl_guess *g = NULL;

    T_INTEQ(isl_guess_new(&g, name), 0);
    for (int t = 0; g && t < times; t++)
        for (size_t i = 0; v[i]; i++)
            T_INTEQ(isl_guess_add(g, v[i], strlen(v[i])), 0);
    return g;
}

/* The stages of a finished guess as compact JSON (static buffer). */
static const char *stages(const struct isl_guess_result *r)
{
    static char buf[1024];
    json_t *s = isl_guess_stages(r);
    char *d = s ? json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

    snprintf(buf, sizeof(buf), "%s", d ? d : "(null)");
    free(d);
    json_decref(s);
    return buf;
}

/* Kind and stages of one column in one go. */
static void check(const char *name, const char *const *v, int times,
                  enum isl_guess_kind kind, const char *want)
{
    struct isl_guess *g = guess(name, v, times);
    const struct isl_guess_result *r = isl_guess_finish(g);

    T_STREQ(isl_guess_kind_name(r->kind), isl_guess_kind_name(kind));
    T_STREQ(stages(r), want);
    isl_guess_free(g);
}

static void test_numbers(void)
{
    static const char *const ints[] = {"1", "-20", "+300", " 42 ", NULL};
    static const char *const dot[] = {"1.5", "-0.25", "3", ".5", NULL};
    static const char *const comma[] = {"1,5", "2", "1000,25", NULL};
    static const char *const both[] = {"1,5", "2.5", NULL};
    static const char *const lz[] = {"01067", "10115", "80331", NULL};
    static const char *const lng[] = {"4111111111111111", "1", NULL};
    static const char *const exp[] = {"1.5e-07", "2E3", "0.1", NULL};

    check("n", ints, 1, ISL_GUESS_NUMBER, "[\"trim\",{\"number\":{}}]");
    check("n", dot, 1, ISL_GUESS_NUMBER, "[\"trim\",{\"number\":{}}]");
    check("n", comma, 1, ISL_GUESS_NUMBER,
          "[\"trim\",{\"number\":{\"decimal\":\",\"}}]");
    check("n", exp, 1, ISL_GUESS_NUMBER, "[\"trim\",{\"number\":{}}]");
    check("n", both, 1, ISL_GUESS_TEXT, "[\"trim\",{\"length\":{\"max\":40}}]");
    check("zip", lz, 1, ISL_GUESS_TEXT, "[\"trim\",{\"length\":{\"max\":40}}]");
    check("card", lng, 1, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":40}}]");
    {
        struct isl_guess *g = guess("zip", lz, 1);
        const struct isl_guess_result *r = isl_guess_finish(g);

        T_CHECK(strstr(r->why, "leading zeros") != NULL);
        T_CHECK(r->integers == false);
        isl_guess_free(g);
        g = guess("n", ints, 1);
        r = isl_guess_finish(g);
        T_CHECK(r->integers);
        isl_guess_free(g);
    }
}

static void test_dates(void)
{
    static const char *const iso[] = {"2024-01-31", "1999-12-01", NULL};
    static const char *const mdy[] = {"01/31/2024", "2/3/2020", NULL};
    static const char *const dmy[] = {"31/01/2024", "02/03/2020", NULL};
    static const char *const dot[] = {"31.01.2024", "1.2.2020", NULL};
    static const char *const ymd[] = {"2024/01/31", NULL};
    static const char *const mixed[] = {"2024-01-31", "12/25/2020", NULL};
    static const char *const bad[] = {"2024-13-01", "2024-01-02", NULL};

    check(
        "d", iso, 1, ISL_GUESS_DATE,
        "[\"trim\",{\"date\":{\"from\":[\"%Y-%m-%d\"],\"to\":\"%Y-%m-%d\"}}]");
    check(
        "d", mdy, 1, ISL_GUESS_DATE,
        "[\"trim\",{\"date\":{\"from\":[\"%m/%d/%Y\"],\"to\":\"%Y-%m-%d\"}}]");
    check(
        "d", dmy, 1, ISL_GUESS_DATE,
        "[\"trim\",{\"date\":{\"from\":[\"%d/%m/%Y\"],\"to\":\"%Y-%m-%d\"}}]");
    check(
        "d", dot, 1, ISL_GUESS_DATE,
        "[\"trim\",{\"date\":{\"from\":[\"%d.%m.%Y\"],\"to\":\"%Y-%m-%d\"}}]");
    check(
        "d", ymd, 1, ISL_GUESS_DATE,
        "[\"trim\",{\"date\":{\"from\":[\"%Y/%m/%d\"],\"to\":\"%Y-%m-%d\"}}]");
    /* two shapes in one column: both formats, in table order */
    check("d", mixed, 1, ISL_GUESS_DATE,
          "[\"trim\",{\"date\":{\"from\":[\"%Y-%m-%d\",\"%m/%d/%Y\"],"
          "\"to\":\"%Y-%m-%d\"}}]");
    check("d", bad, 1, ISL_GUESS_TEXT, "[\"trim\",{\"length\":{\"max\":40}}]");
}

static void test_ambiguous_dates(void)
{
    static const char *const amb[] = {"01/02/2020", "03/04/2021", NULL};
    static const char *const both[] = {"13/01/2020", "01/13/2020", NULL};
    static const char *const late[] = {"01/02/2020", "03/04/2021", "25/12/2021",
                                       NULL};
    struct isl_guess *g = guess("d", amb, 1);
    const struct isl_guess_result *r = isl_guess_finish(g);

    /* no day above 12: month first is assumed, and said */
    T_INTEQ(r->kind, ISL_GUESS_DATE);
    T_INTEQ(r->nformats, 1);
    T_STREQ(r->formats[0], "%m/%d/%Y");
    T_CHECK(r->ambiguous);
    T_CHECK(strstr(r->why, "ambiguous") != NULL);
    isl_guess_free(g);

    /* one late value decides for the whole column */
    g = guess("d", late, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_DATE);
    T_STREQ(r->formats[0], "%d/%m/%Y");
    T_CHECK(!r->ambiguous);
    isl_guess_free(g);

    /* day above 12 on both sides: no order fits every value */
    g = guess("d", both, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_TEXT);
    T_CHECK(strstr(r->why, "contradict") != NULL);
    isl_guess_free(g);
}

static void test_datetimes(void)
{
    static const char *const z[] = {"2024-01-02T03:04:05Z",
                                    "2024-12-31T23:59:59Z", NULL};
    static const char *const sp[] = {"2024-01-02 03:04:05", NULL};
    static const char *const us[] = {"12/31/2024 23:59", "1/2/2024 3:04", NULL};
    static const char *const dd[] = {"2024-01-02", "2024-01-02 03:04:05", NULL};
    struct isl_guess *g = guess("t", z, 1);
    const struct isl_guess_result *r = isl_guess_finish(g);

    T_INTEQ(r->kind, ISL_GUESS_DATETIME);
    T_CHECK(r->utc);
    T_STREQ(stages(r), "[\"trim\",{\"datetime\":{\"from\":[\"%Y-%m-%dT%H:%M:"
                       "%SZ\"],\"to\":\"%Y-%m-%d %H:%M:%S\",\"timezone\":"
                       "\"UTC\"}}]");
    isl_guess_free(g);
    g = guess("t", sp, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_DATETIME);
    T_CHECK(!r->utc);
    T_STREQ(r->formats[0], "%Y-%m-%d %H:%M:%S");
    isl_guess_free(g);
    g = guess("t", us, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_DATETIME);
    T_STREQ(r->formats[0], "%m/%d/%Y %H:%M");
    isl_guess_free(g);
    /* dates and date-times mixed: neither stage takes both */
    check("t", dd, 1, ISL_GUESS_TEXT, "[\"trim\",{\"length\":{\"max\":40}}]");
}

static void test_email_phone(void)
{
    static const char *const em[] = {"Ann.Lee@Example.com", "b@x.org", NULL};
    static const char *const notem[] = {"a@b", "x@y.com", NULL};
    static const char *const ph[] = {"(555) 748-2542", "+1 555 238 2408",
                                     "555.260.3028", NULL};
    static const char *const notph[] = {"(555) 748-2542", "12-34", NULL};
    static const char *const intl[] = {"+49 30 1234567", "+1-555-238-2408",
                                       NULL};
    static const char *const local[] = {"748-2542", "555-0100", NULL};

    check("mail", em, 1, ISL_GUESS_EMAIL,
          "[\"trim\",\"lower\",\"email\",{\"length\":{\"max\":40}}]");
    check("mail", notem, 1, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":40}}]");
    check("tel", ph, 1, ISL_GUESS_PHONE,
          "[\"trim\",{\"phone\":{\"country\":\"1\"}}]");
    check("tel", notph, 1, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":40}}]");
    check("tel", intl, 1, ISL_GUESS_PHONE,
          "[\"trim\",{\"phone\":{\"country\":\"1\"}}]");
    /* 7 digits without a country code: too like codes and dates */
    check("tel", local, 1, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":40}}]");
}

static void test_booleans(void)
{
    static const char *const yn[] = {"Y", "N", "Y", NULL};
    static const char *const yes[] = {"Yes", "yes", NULL};
    static const char *const tf[] = {"TRUE", "false", NULL};
    static const char *const bits[] = {"1", "0", "1", NULL};

    check("Active", yn, 1, ISL_GUESS_BOOLEAN,
          "[\"trim\",{\"boolean\":{\"true\":[\"Y\"],\"false\":[\"N\"]}}]");
    /* one side only: its partner is added, in the same case */
    check("x", yes, 1, ISL_GUESS_BOOLEAN,
          "[\"trim\",{\"boolean\":{\"true\":[\"Yes\",\"yes\"],"
          "\"false\":[\"No\"]}}]");
    check("x", tf, 1, ISL_GUESS_BOOLEAN,
          "[\"trim\",{\"boolean\":{\"true\":[\"TRUE\"],\"false\":"
          "[\"false\"]}}]");
    /* 0/1 is a flag only when the name says so */
    check("Count", bits, 1, ISL_GUESS_NUMBER, "[\"trim\",{\"number\":{}}]");
    check("Is Active", bits, 1, ISL_GUESS_BOOLEAN,
          "[\"trim\",{\"boolean\":{\"true\":[\"1\"],\"false\":[\"0\"]}}]");
    check("enabled", bits, 1, ISL_GUESS_BOOLEAN,
          "[\"trim\",{\"boolean\":{\"true\":[\"1\"],\"false\":[\"0\"]}}]");
}

static void test_enum(void)
{
    static const char *const dept[] = {"SALES", "HR", "ENG", "hr", NULL};
    static const char *const once[] = {
        "SALES", "HR",    "ENG",   "SALES", "HR",    "ENG", "SALES", "HR",
        "ENG",   "SALES", "HR",    "ENG",   "SALES", "HR",  "ENG",   "SALES",
        "HR",    "ENG",   "SALES", "HR",    "MKT",   NULL};
    static const char *const many[] = {"a", "b", "c", "d", "e", "f", "g",
                                       "h", "i", "j", "k", "l", "m", NULL};
    struct isl_guess *g;
    const struct isl_guess_result *r;

    /* 20 values, case-only repeats folded */
    check("Dept", dept, 5, ISL_GUESS_ENUM,
          "[\"trim\",{\"enum\":{\"values\":[\"ENG\",\"HR\",\"SALES\"],"
          "\"case\":\"insensitive\"}}]");
    /* fewer than 20 values: text */
    check("Dept", dept, 4, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":40}}]");
    /* a value seen once: text, and the reason names it */
    g = guess("Dept", once, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_TEXT);
    T_CHECK(strstr(r->why, "'MKT' only once") != NULL);
    isl_guess_free(g);
    /* 13 distinct values: too many */
    check("x", many, 3, ISL_GUESS_TEXT, "[\"trim\",{\"length\":{\"max\":40}}]");
}

static void test_mixed_and_empty(void)
{
    static const char *const mixed[] = {"12", "13", "14", "n/a", NULL};
    static const char *const empties[] = {"", "  ", "NULL", NULL};
    static const char *const some[] = {"abc", "", "NULL", NULL};
    struct isl_guess *g = guess("x", mixed, 1);
    const struct isl_guess_result *r = isl_guess_finish(g);

    T_INTEQ(r->kind, ISL_GUESS_TEXT);
    T_STREQ(stages(r), "[\"trim\",{\"length\":{\"max\":40}}]");
    T_CHECK(strstr(r->why, "mixed: 3 of 4 values are numbers, not 'n/a'") !=
            NULL);
    isl_guess_free(g);

    g = guess("x", empties, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->kind, ISL_GUESS_EMPTY);
    T_STREQ(stages(r), "[\"trim\"]");
    T_INTEQ(r->empty, 3);
    T_INTEQ(r->nulls, 1);
    T_CHECK(!r->required);
    isl_guess_free(g);

    g = guess("x", some, 1);
    T_INTEQ(isl_guess_add(g, NULL, 0), 0); /* missing counts as empty */
    r = isl_guess_finish(g);
    T_INTEQ(r->values, 4);
    T_INTEQ(r->empty, 3);
    T_CHECK(!r->required && !r->unique);
    isl_guess_free(g);
}

static void test_lengths(void)
{
    static const char *const long_[] = {
        "a value that is rather longer than forty characters", NULL};
    static const char *const utf8[] = {"\xc3\xa9\xc3\xa9\xc3\xa9", NULL};
    struct isl_guess *g;
    const struct isl_guess_result *r;

    T_INTEQ(isl_guess_length_max(0), 40);
    T_INTEQ(isl_guess_length_max(40), 40);
    T_INTEQ(isl_guess_length_max(41), 80);
    T_INTEQ(isl_guess_length_max(81), 100);
    T_INTEQ(isl_guess_length_max(255), 255);
    T_INTEQ(isl_guess_length_max(256), 1000);
    T_INTEQ(isl_guess_length_max(4000), 4000);
    T_INTEQ(isl_guess_length_max(4001), 8000);
    check("x", long_, 1, ISL_GUESS_TEXT,
          "[\"trim\",{\"length\":{\"max\":80}}]");
    g = guess("x", utf8, 1);
    r = isl_guess_finish(g);
    T_INTEQ(r->max_chars, 3); /* characters, not bytes */
    isl_guess_free(g);
}

static void test_snake(void)
{
    char b[64];

    T_INTEQ(isl_guess_snake(b, sizeof(b), "Employee ID", 30), 11);
    T_STREQ(b, "employee_id");
    isl_guess_snake(b, sizeof(b), "employeeId", 30);
    T_STREQ(b, "employee_id");
    isl_guess_snake(b, sizeof(b), "  --Weird__Name!! ", 30);
    T_STREQ(b, "weird_name");
    isl_guess_snake(b, sizeof(b), "location.site", 30);
    T_STREQ(b, "location_site");
    isl_guess_snake(b, sizeof(b), "Bestellung Lieferadresse Postleitzahl", 30);
    T_STREQ(b, "bestellung_lieferadresse_postl");
    isl_guess_snake(b, sizeof(b), "abcdefghi jklm", 10); /* no trailing _ */
    T_STREQ(b, "abcdefghi");
    T_INTEQ(isl_guess_snake(b, sizeof(b), "\xe6\x97\xa5\xe6\x9c\xac", 30), 0);
    T_STREQ(b, "");
    isl_guess_snake(b, 4, "abcdef", 30); /* size wins over max */
    T_STREQ(b, "abc");
}

static void test_key_candidates(void)
{
    static const char *const names[] = {
        "Name", "Start Date", "Email",  "Employee Number",
        "Code", "Record ID",  "Amount", "Dept"};
    static const char *const v[][4] = {
        {"Ann", "Ben", "Cy", NULL},                       /* unique text */
        {"2020-01-01", "2020-01-02", "2020-01-03", NULL}, /* a date */
        {"a@x.com", "b@x.com", "c@x.com", NULL},          /* unique email */
        {"100", "101", "102", NULL},                      /* unique integer */
        {"A", "", "C", NULL},                             /* has an empty */
        {"R1", "R2", "R3", NULL},                         /* unique id */
        {"1.5", "2.5", "3.5", NULL},                      /* decimals */
        {"HR", "HR", "IT", NULL},                         /* repeats */
    };
    struct isl_guess *g[8];
    const struct isl_guess_result *r[8];
    size_t idx[8], n;
    const char *why;

    for (size_t i = 0; i < 8; i++) {
        g[i] = guess(names[i], v[i], 1);
        r[i] = isl_guess_finish(g[i]);
    }
    n = isl_guess_key_candidates(r, names, 8, idx);
    T_INTEQ(n, 4);
    T_INTEQ(idx[0], 5); /* Record ID */
    T_INTEQ(idx[1], 3); /* Employee Number */
    T_INTEQ(idx[2], 2); /* Email */
    T_INTEQ(idx[3], 0); /* Name: no hint, leftmost of the rest */
    for (size_t i = 0; i < 8; i++)
        isl_guess_free(g[i]);

    T_INTEQ(isl_guess_key_score("Employee ID", &why), 4);
    T_STREQ(why, "id");
    T_INTEQ(isl_guess_key_score("EmployeeNumber", NULL), 3);
    T_INTEQ(isl_guess_key_score("Zip Code", NULL), 2);
    T_INTEQ(isl_guess_key_score("E-Mail", &why), 1);
    T_STREQ(why, "mail");
    T_INTEQ(isl_guess_key_score("paid", &why), 0); /* words, not letters */
    T_CHECK(why == NULL);
}

static void test_unique_tracking(void)
{
    /* many distinct values, one repeat at the very end: not unique */
    struct isl_guess *g = NULL;
    const struct isl_guess_result *r;
    char v[32];

    T_INTEQ(isl_guess_new(&g, "id"), 0);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(v, sizeof(v), "K%d", i);

        T_INTEQ(isl_guess_add(g, v, (size_t)n), 0);
    }
    T_INTEQ(isl_guess_add(g, "K17", 3), 0);
    r = isl_guess_finish(g);
    T_CHECK(r->required);
    T_CHECK(!r->unique);
    T_INTEQ(r->kind, ISL_GUESS_TEXT);
    /* finish is idempotent and later adds are ignored */
    T_INTEQ(isl_guess_add(g, "x", 1), 0);
    T_CHECK(isl_guess_finish(g) == r);
    T_INTEQ(r->values, 5001);
    isl_guess_free(g);
    isl_guess_free(NULL);
}

TEST_LIST = {
    {"numbers", test_numbers},
    {"dates", test_dates},
    {"ambiguous_dates", test_ambiguous_dates},
    {"datetimes", test_datetimes},
    {"email_phone", test_email_phone},
    {"booleans", test_booleans},
    {"enum", test_enum},
    {"mixed_and_empty", test_mixed_and_empty},
    {"lengths", test_lengths},
    {"snake", test_snake},
    {"key_candidates", test_key_candidates},
    {"unique_tracking", test_unique_tracking},
    {NULL, NULL},
};
