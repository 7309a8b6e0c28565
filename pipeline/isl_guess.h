/*
 * isl_guess.h: guess what kind of values a column holds, from a sample,
 * and which value stages a starter feed should give it (`isload init`).
 *
 * One accumulator per column: isl_guess_add() every sampled value (the
 * empty string, or NULL, for a missing value), then isl_guess_finish()
 * classifies the column once. Values are classified after trimming, since
 * every guessed field starts with the "trim" stage; the literal NULL (or
 * null) counts as empty. The kinds, tried in this order (the first that
 * every non-empty value fits wins; one misfit makes the column text, and
 * the explanation names it):
 *
 *   empty     no non-empty value in the sample
 *   boolean   true/false, yes/no, y/n (any case); 0/1 only when the
 *             column name hints at a flag (active, is_..., enabled, ...)
 *   datetime  %Y-%m-%d %H:%M:%S, %Y-%m-%dT%H:%M:%SZ, ... (see .c)
 *   date      %Y-%m-%d, %m/%d/%Y, %d/%m/%Y, %d.%m.%Y, %Y/%m/%d; a value
 *             with a day above 12 decides between m/d and d/m
 *   number    integers and decimals with '.' or ',' (not both); integers
 *             with leading zeros or more than 15 digits stay text
 *   email     one '@', a dotted domain, no spaces
 *   phone     10 to 15 digits (7 after a leading +) with - ( ) . or
 *             spaces between them
 *   enum      at most 12 distinct values, each seen more than once, in a
 *             sample of at least 20 non-empty values
 *   text      anything else
 *
 * Nothing here reads files or knows about readers; cmd_init.c feeds it.
 */
#ifndef ISL_GUESS_H
#define ISL_GUESS_H

#include "isl_setup.h"

#include <jansson.h>

#define ISL_GUESS_ENUM_MAX 12      /* most distinct values an enum gets */
#define ISL_GUESS_ENUM_MIN_ROWS 20 /* fewest non-empty values for an enum */
#define ISL_GUESS_COLUMN_MAX 30    /* column name length after "u_" */

enum isl_guess_kind {
    ISL_GUESS_EMPTY = 0,
    ISL_GUESS_BOOLEAN,
    ISL_GUESS_DATETIME,
    ISL_GUESS_DATE,
    ISL_GUESS_NUMBER,
    ISL_GUESS_EMAIL,
    ISL_GUESS_PHONE,
    ISL_GUESS_ENUM,
    ISL_GUESS_TEXT,
};

/* What isl_guess_finish() concluded. Strings are owned by the guess. */
struct isl_guess_result {
    enum isl_guess_kind kind;
    uint64_t values;        /* values added, empty ones included */
    uint64_t empty;         /* empty, missing or NULL values */
    uint64_t nulls;         /* of which the literal NULL or null */
    size_t max_chars;       /* longest trimmed value, in characters */
    bool required;          /* at least one value and none empty */
    bool unique;            /* required, and no value seen twice */
    bool integers;          /* number: every value is an integer */
    char decimal;           /* number: '.' or ',' (0 for integers only) */
    const char *formats[8]; /* date/datetime: "from" formats, in order */
    size_t nformats;
    bool ambiguous;          /* date: day/month order not decided by the data */
    bool utc;                /* datetime: values carry a Z (UTC) suffix */
    const char **words_true; /* boolean: spellings meaning true */
    size_t ntrue;
    const char **words_false; /* boolean: spellings meaning false */
    size_t nfalse;
    const char **enum_values; /* enum: sorted distinct values */
    size_t nenum;
    size_t length_max; /* text, email: the suggested length max, else 0 */
    char why[256];     /* one line: why this kind (may be "" for text) */
};

struct isl_guess;

/*
 * New accumulator for the column whose source field is `name` (used for
 * name hints only). *out belongs to the caller (isl_guess_free).
 * Returns 0 or ISL_ENOMEM.
 */
int isl_guess_new(struct isl_guess **out, const char *name);

/*
 * Add one sampled value (len bytes; value NULL means missing). Returns 0
 * or ISL_ENOMEM. Calls after isl_guess_finish() are ignored.
 */
int isl_guess_add(struct isl_guess *g, const char *value, size_t len);

/*
 * Classify the column (once; later calls return the same result). The
 * result is borrowed from g. Never NULL: when memory runs out building a
 * boolean or enum word list, that kind is skipped.
 */
const struct isl_guess_result *isl_guess_finish(struct isl_guess *g);

/*
 * The value stages for a finished guess, as the JSON a feed's
 * "stages" array holds. New reference, or NULL when out of memory.
 */
json_t *isl_guess_stages(const struct isl_guess_result *r);

/* Free; accepts NULL. */
void isl_guess_free(struct isl_guess *g);

/* "text", "date", ... */
const char *isl_guess_kind_name(enum isl_guess_kind k);

/*
 * Snake-case `in` into out[size]: ASCII letters lowered, digits kept,
 * every other run of bytes becomes one '_', leading and trailing '_'
 * dropped, cut to at most max bytes (and trailing '_' dropped again).
 * Returns the length written (0 when nothing is left).
 */
size_t isl_guess_snake(char *out, size_t size, const char *in, size_t max);

/*
 * The suggested length max for a longest value of `chars` characters:
 * 40 (ServiceNow's default string column length) or the next of 80, 100,
 * 255, 1000, 4000, then multiples of 4000.
 */
size_t isl_guess_length_max(size_t chars);

/*
 * How much a column name suggests a key: 4 for an id (id, sys_id, guid,
 * uuid), 3 for number/num/nr, 2 for key/code/tag, 1 for email/mail,
 * else 0; whole words of the snake-cased name only. `why`
 * (may be NULL) gets the hint word.
 */
int isl_guess_key_score(const char *name, const char **why);

/*
 * Key candidates among n finished columns: those whose sampled values
 * are all non-empty and distinct, not dates, datetimes, booleans or
 * decimals, and at most 255 characters. Writes their indexes to idx[]
 * (room for n), best first: highest isl_guess_key_score of names[i],
 * then leftmost. Returns how many.
 */
size_t isl_guess_key_candidates(const struct isl_guess_result *const *res,
                                const char *const *names, size_t n,
                                size_t *idx);

#endif
