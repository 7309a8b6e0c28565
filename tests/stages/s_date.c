/*
 * s_date.c: tests of the date and datetime stages: every directive, the
 * strictness rules (impossible dates, whole value consumed), output
 * formats, time zones (DST gap and overlap, offsets in the value) and
 * every init error.
 */
#include "isl_setup.h"
#include "s_util.h"
#include "t.h"

#include <string.h>

#define US_DATES "{\"date\": {\"from\": [\"%m/%d/%Y\", \"%Y-%m-%d\"]}}"

static void test_date_basic(void)
{
    struct tf_stage *st = s_new(US_DATES, TF_VALUE);
    const char *out;

    T_STREQ(s_apply(st, "02/03/2021"), "2021-02-03");
    T_STREQ(s_apply(st, "2/3/2021"), "2021-02-03");
    T_INTEQ(s_value(st, "2021-02-03", &out), TF_PASS);
    T_INTEQ(s_value(st, "", &out), TF_PASS);
    T_STREQ(s_apply(st, "2021-2-3"), "2021-02-03");
    T_STREQ(s_apply(st, "02/30/2021"),
            "<reject: '02/30/2021' is not a valid date (tried %m/%d/%Y, "
            "%Y-%m-%d)>");
    T_STREQ(s_err.rule, "date");
    T_STREQ(s_err.field, "u_col");
    T_STREQ(s_apply(st, "2023-02-29"),
            "<reject: '2023-02-29' is not a valid date (tried %m/%d/%Y, "
            "%Y-%m-%d)>");
    T_STREQ(s_apply(st, "2024-02-29"), "2024-02-29");
    T_STREQ(s_apply(st, "2000-02-29"), "2000-02-29");
    T_CHECK(strncmp(s_apply(st, "1900-02-29"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "2021-04-31"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "2021-13-01"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "2021-00-01"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "2021-01-00"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "2021-02-03x"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, " 2021-02-03"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "21-02-03"), "<reject", 7) == 0);
    T_CHECK(strncmp(s_apply(st, "02/03/2021 10:00"), "<reject", 7) == 0);
    s_free(st);
    /* the default input format is ISO */
    T_STREQ(s_once("\"date\"", "2021-02-03"), "2021-02-03");
    T_CHECK(strncmp(s_once("\"date\"", "02/03/2021"), "<reject", 7) == 0);
    /* one format as a plain string */
    T_STREQ(s_once("{\"date\": {\"from\": \"%d.%m.%Y\"}}", "3.2.2021"),
            "2021-02-03");
}

static void test_date_directives(void)
{
    T_STREQ(s_once("{\"date\": {\"from\": \"%m/%d/%y\"}}", "03/04/21"),
            "2021-03-04");
    T_STREQ(s_once("{\"date\": {\"from\": \"%m/%d/%y\"}}", "03/04/99"),
            "1999-03-04");
    T_STREQ(s_once("{\"date\": {\"from\": \"%m/%d/%y\"}}", "03/04/69"),
            "1969-03-04");
    T_STREQ(s_once("{\"date\": {\"from\": \"%m/%d/%y\"}}", "03/04/68"),
            "2068-03-04");
    T_CHECK(
        strncmp(s_once("{\"date\": {\"from\": \"%m/%d/%y\"}}", "03/04/2021"),
                "<reject", 7) == 0);
    T_STREQ(s_once("{\"date\": {\"from\": \"%d %b %Y\"}}", "3 feb 2021"),
            "2021-02-03");
    T_STREQ(s_once("{\"date\": {\"from\": \"%d %b %Y\"}}", "3 FEBRUARY 2021"),
            "2021-02-03");
    T_CHECK(
        strncmp(s_once("{\"date\": {\"from\": \"%d %b %Y\"}}", "3 Febr 2021"),
                "<reject", 7) == 0);
    T_STREQ(s_once("{\"date\": {\"from\": \"%B %d, %Y\"}}", "March 1, 2020"),
            "2020-03-01");
    T_STREQ(s_once("{\"date\": {\"from\": \"%Y-%j\"}}", "2021-034"),
            "2021-02-03");
    T_STREQ(s_once("{\"date\": {\"from\": \"%Y-%j\"}}", "2020-366"),
            "2020-12-31");
    T_CHECK(strncmp(s_once("{\"date\": {\"from\": \"%Y-%j\"}}", "2021-366"),
                    "<reject", 7) == 0);
    T_STREQ(s_once("{\"date\": {\"from\": \"%F\"}}", "2021-02-03"),
            "2021-02-03");
    T_STREQ(s_once("{\"date\": {\"from\": \"%Y%m%d\"}}", "20210203"),
            "2021-02-03");
    T_STREQ(s_once("{\"date\": {\"from\": \"%Y-%m-%d%%\"}}", "2021-02-03%"),
            "2021-02-03");
    /* time directives are parsed; a date keeps only the date */
    T_STREQ(s_once("{\"date\": {\"from\": \"%Y-%m-%d %H:%M:%S\"}}",
                   "2021-02-03 23:59:59"),
            "2021-02-03");
    T_CHECK(strncmp(s_once("{\"date\": {\"from\": \"%Y-%m-%d %H:%M\"}}",
                           "2021-02-03 24:00"),
                    "<reject", 7) == 0);
    T_CHECK(strncmp(s_once("{\"date\": {\"from\": \"%Y-%m-%d %H:%M\"}}",
                           "2021-02-03 10:60"),
                    "<reject", 7) == 0);
}

static void test_date_output(void)
{
    T_STREQ(s_once("{\"date\": {\"to\": \"%d.%m.%Y\"}}", "2021-02-03"),
            "03.02.2021");
    T_STREQ(s_once("{\"date\": {\"to\": \"%B %d, %Y\"}}", "2021-02-03"),
            "February 03, 2021");
    T_STREQ(s_once("{\"date\": {\"to\": \"%b %y (%j)\"}}", "2021-02-03"),
            "Feb 21 (034)");
    T_STREQ(s_once("{\"date\": {\"to\": \"%F %T %I%p %%\"}}", "2021-02-03"),
            "2021-02-03 00:00:00 12AM %");
}

static void test_date_init_errors(void)
{
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%Q\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[0]: unknown directive %Q in "
            "'%Q'");
    T_STREQ(s_fail("{\"date\": {\"from\": \"%Y-%m-%e\"}}", TF_VALUE),
            "fields[0].stages[0].date.from: unknown directive %e in "
            "'%Y-%m-%e'");
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%Y-%m\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[0]: '%Y-%m' needs a year (%Y or "
            "%y) and a day (%m and %d, or %j)");
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%m/%d\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[0]: '%m/%d' needs a year (%Y or "
            "%y) and a day (%m and %d, or %j)");
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%Y-%m-%d %\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[0]: '%Y-%m-%d %' ends with a "
            "lone %");
    T_STREQ(s_fail("{\"date\": {\"from\": [\"%F %I:%M\"]}}", TF_VALUE),
            "fields[0].stages[0].date.from[0]: '%F %I:%M': %I and %p go "
            "together");
    T_STREQ(s_fail("{\"date\": {\"to\": \"%Q\"}}", TF_VALUE),
            "fields[0].stages[0].date.to: unknown directive %Q in '%Q'");
    T_STREQ(s_fail("{\"date\": {\"to\": \"%f\"}}", TF_VALUE),
            "fields[0].stages[0].date.to: %f cannot be used in output");
    T_STREQ(s_fail("{\"date\": {\"timezone\": \"UTC\"}}", TF_VALUE),
            "fields[0].stages[0].date.timezone: unknown option (expected "
            "one of from, to)");
}

#define DT(extra) "{\"datetime\": {\"from\": \"%Y-%m-%d %H:%M\"" extra "}}"
#define NY ", \"timezone\": \"America/New_York\""

static void test_datetime_utc(void)
{
    struct tf_stage *st = s_new("\"datetime\"", TF_VALUE);
    const char *out;

    T_INTEQ(s_value(st, "2021-02-03 10:30:00", &out), TF_PASS);
    T_STREQ(s_apply(st, "2021-02-03T10:30:00"), "2021-02-03 10:30:00");
    T_STREQ(s_apply(st, "2021-02-03T10:30:00+01:00"), "2021-02-03 09:30:00");
    T_STREQ(s_apply(st, "2021-02-03T10:30:00Z"), "2021-02-03 10:30:00");
    T_STREQ(s_apply(st, "2021-02-03T01:30:00+0200"), "2021-02-02 23:30:00");
    T_STREQ(s_apply(st, "2021-02-03T23:30:00-05"), "2021-02-04 04:30:00");
    T_STREQ(s_apply(st, "2021-02-03"),
            "<reject: '2021-02-03' is not a valid date and time (tried "
            "%Y-%m-%d %H:%M:%S, %Y-%m-%dT%H:%M:%S, %Y-%m-%dT%H:%M:%S%z)>");
    T_STREQ(s_err.rule, "datetime");
    T_CHECK(strncmp(s_apply(st, "2021-02-03T10:30:00+24:00"), "<reject", 7) ==
            0);
    s_free(st);
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%Y-%m-%dT%H:%M:%S.%f%z\"}}",
                   "2021-02-03T10:30:00.123Z"),
            "2021-02-03 10:30:00");
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%m/%d/%Y %I:%M %p\"}}",
                   "02/03/2021 12:30 AM"),
            "2021-02-03 00:30:00");
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%m/%d/%Y %I:%M %p\"}}",
                   "02/03/2021 12:30 pm"),
            "2021-02-03 12:30:00");
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%m/%d/%Y %I:%M %p\"}}",
                   "02/03/2021 1:05 PM"),
            "2021-02-03 13:05:00");
    T_CHECK(strncmp(s_once("{\"datetime\": {\"from\": \"%m/%d/%Y %I:%M "
                           "%p\"}}",
                           "02/03/2021 13:05 PM"),
                    "<reject", 7) == 0);
    /* a date alone is midnight */
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%F\"}}", "2021-02-03"),
            "2021-02-03 00:00:00");
    T_STREQ(s_once("{\"datetime\": {\"to\": \"%Y-%m-%dT%H:%M:%S%z\"}}",
                   "2021-02-03T10:30:00+01:00"),
            "2021-02-03T09:30:00+0000");
    T_STREQ(s_once("{\"datetime\": {\"timezone\": \"UTC\"}}",
                   "2021-02-03 10:30:00"),
            "2021-02-03 10:30:00");
}

static void test_datetime_zones(void)
{
    struct tf_stage *st = s_new(DT(NY), TF_VALUE);

    T_CHECK(st != NULL);
    if (!st)
        return;
    T_STREQ(s_apply(st, "2021-01-15 10:00"), "2021-01-15 15:00:00");
    T_STREQ(s_apply(st, "2021-07-15 10:00"), "2021-07-15 14:00:00");
    T_STREQ(s_apply(st, "2021-12-31 22:00"), "2022-01-01 03:00:00");
    /* spring forward: 02:00-02:59 does not exist */
    T_STREQ(s_apply(st, "2021-03-14 01:59"), "2021-03-14 06:59:00");
    T_STREQ(s_apply(st, "2021-03-14 02:30"),
            "<reject: '2021-03-14 02:30' does not exist in America/New_York "
            "(the clocks skip it)>");
    T_STREQ(s_apply(st, "2021-03-14 03:00"), "2021-03-14 07:00:00");
    /* fall back: 01:30 happens twice; the earlier (EDT) one is taken */
    T_STREQ(s_apply(st, "2021-11-07 01:30"), "2021-11-07 05:30:00");
    T_STREQ(s_apply(st, "2021-11-07 02:30"), "2021-11-07 07:30:00");
    /* far from now: rules still apply */
    T_STREQ(s_apply(st, "2090-07-01 12:00"), "2090-07-01 16:00:00");
    T_STREQ(s_apply(st, "1975-01-15 12:00"), "1975-01-15 17:00:00");
    s_free(st);
    T_STREQ(s_once("{\"datetime\": {\"from\": \"%d.%m.%Y %H:%M\", "
                   "\"timezone\": \"Europe/Berlin\"}}",
                   "31.12.2021 23:30"),
            "2021-12-31 22:30:00");
    T_STREQ(s_once(DT(", \"timezone\": \"Asia/Kolkata\""), "2021-01-01 00:00"),
            "2020-12-31 18:30:00");
    T_STREQ(
        s_once(DT(", \"timezone\": \"Australia/Sydney\""), "2021-01-01 00:00"),
        "2020-12-31 13:00:00");
}

static void test_datetime_init_errors(void)
{
    T_STREQ(s_fail(DT(", \"timezone\": \"Mars/Olympus\""), TF_VALUE),
            "fields[0].stages[0].datetime.timezone: unknown time zone "
            "'Mars/Olympus' (expected an IANA name such as "
            "America/New_York, or UTC)");
    T_STREQ(s_fail(DT(", \"timezone\": \"../../etc/passwd\""), TF_VALUE),
            "fields[0].stages[0].datetime.timezone: unknown time zone "
            "'../../etc/passwd' (expected an IANA name such as "
            "America/New_York, or UTC)");
    T_STREQ(s_fail(DT(", \"timezone\": 5"), TF_VALUE),
            "fields[0].stages[0].datetime.timezone: expected a string");
    T_STREQ(s_fail("{\"datetime\": {\"from\": [\"%H:%M\"]}}", TF_VALUE),
            "fields[0].stages[0].datetime.from[0]: '%H:%M' needs a year (%Y "
            "or %y) and a day (%m and %d, or %j)");
    T_STREQ(s_fail("{\"datetime\": {\"to\": \"%Y %K\"}}", TF_VALUE),
            "fields[0].stages[0].datetime.to: unknown directive %K in '%Y "
            "%K'");
}

TEST_LIST = {
    {"date_basic", test_date_basic},
    {"date_directives", test_date_directives},
    {"date_output", test_date_output},
    {"date_init_errors", test_date_init_errors},
    {"datetime_utc", test_datetime_utc},
    {"datetime_zones", test_datetime_zones},
    {"datetime_init_errors", test_datetime_init_errors},
    {NULL, NULL},
};
