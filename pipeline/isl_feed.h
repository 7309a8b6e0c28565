/*
 * isl_feed.h: feed definitions: how one feed is read, which fields it has,
 * which stages each field goes through, where it goes and what identifies
 * a row. The format is described in docs/feeds.md and, as a JSON Schema,
 * in schemas/feed.schema.json; isl_feed_load checks the same rules and
 * reports every mistake with its JSON path before any input is read.
 */
#ifndef ISL_FEED_H
#define ISL_FEED_H

#include "isl_setup.h"
#include "isl_reader.h"

#include <jansson.h>

struct isl_buf;
struct isl_error;
struct tf_stage;

#define ISL_FEED_MAX_ROW_BYTES 8126 /* ServiceNow skips larger rows */

struct isl_feed_field {
    const char *column;       /* staging column the value is sent as */
    const char *source;       /* input field name (default: column) */
    const char *label;        /* column label, for --keys label (or NULL) */
    bool required;            /* empty after the stages rejects the row */
    struct tf_stage **stages; /* value stages, in order (owned) */
    size_t nstages;
};

struct isl_feed_target {
    const char *table;  /* target table, e.g. sys_user; NULL if none */
    const char **match; /* pairs: target field, staging column */
    size_t nmatch;
    const char **fields; /* pairs: target field, staging column */
    size_t nfields;
};

struct isl_feed {
    json_t *doc; /* the parsed file; owns every string below */
    char *path;  /* where it was loaded from */
    const char *name;
    const char *staging_table;
    struct isl_reader_opts input; /* reader options from "input" */
    const char **columns_opt;     /* storage for input.columns */
    const char **key;             /* key columns */
    size_t nkey;
    bool passthrough; /* also send unlisted input fields as they are */
    bool allow_null;  /* let the literal NULL through */
    size_t max_row_bytes;
    struct isl_feed_field *fields;
    size_t nfields;
    struct tf_stage **row_stages; /* owned, includes the implicit unique */
    size_t nrow_stages;
    bool has_deferred; /* some row stage decides after the whole input */
    struct isl_feed_target target;
    /* "missing": {"values": {...}}: what `load --delta --missing
     * deactivate` sends for keys gone from the export */
    const char **missing_values; /* pairs: staging column, value */
    size_t nmissing_values;
};

/*
 * Load and check the feed at path. On error returns ISL_ECONFIG (or
 * ISL_EIO), err holds the first mistake, and every mistake found is
 * appended to `all` (one line each, "path: json.path: message"), when
 * all is not NULL. *out belongs to the caller (isl_feed_free).
 */
int isl_feed_load(struct isl_feed **out, const char *path, struct isl_buf *all,
                  struct isl_error *err);

/* True when column is one of the feed's key columns. */
bool isl_feed_is_key(const struct isl_feed *feed, const char *column);

/* Index of the field whose column is `column`, or -1. */
int isl_feed_column_index(const struct isl_feed *feed, const char *column);

void isl_feed_free(struct isl_feed *feed);

#endif
