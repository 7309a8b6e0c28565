/*
 * out_format.c: request bodies and URLs for the loader (see out_format.h).
 */
#include "isl_setup.h"
#include "out_format.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_jsonw.h"
#include "isl_row.h"

#include <stdio.h>
#include <string.h>

int out_format_record(struct isl_buf *b, const struct isl_row *row,
                      const char *const *labels, const char *corr_col,
                      const char *corr_val)
{
    int rc;

    if ((rc = isl_buf_addc(b, '{')) < 0)
        return rc;
    for (size_t i = 0; i < row->n; i++) {
        const struct isl_field *f = &row->fields[i];
        const char *key = labels && labels[i] ? labels[i] : f->name;

        if ((i && (rc = isl_buf_addc(b, ',')) < 0) ||
            (rc = isl_jsonw_string(b, key, strlen(key))) < 0 ||
            (rc = isl_buf_addc(b, ':')) < 0 ||
            (rc = isl_jsonw_string(b, f->value, f->len)) < 0)
            return rc;
    }
    if (corr_col) {
        if ((row->n && (rc = isl_buf_addc(b, ',')) < 0) ||
            (rc = isl_jsonw_string(b, corr_col, strlen(corr_col))) < 0 ||
            (rc = isl_buf_addc(b, ':')) < 0 ||
            (rc = isl_jsonw_string(b, corr_val, strlen(corr_val))) < 0)
            return rc;
    }
    return isl_buf_addc(b, '}');
}

int out_format_batch_open(struct isl_buf *b)
{
    return isl_buf_adds(b, "{\"records\":[");
}

int out_format_batch_close(struct isl_buf *b)
{
    return isl_buf_adds(b, "]}");
}

int out_format_urlencode(struct isl_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (; *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            rc = isl_buf_addc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = isl_buf_add(b, esc, 3);
        }
    }
    return rc;
}

const char *out_format_corr(char *buf, size_t n, const char *run_id,
                            uint64_t row_no)
{
    snprintf(buf, n, "%s-%llu", run_id, (unsigned long long)row_no);
    return buf;
}

bool out_format_in_value_ok(const char *v)
{
    return *v && !strchr(v, ',') && !strchr(v, '^');
}

int out_format_in_term(struct isl_buf *q, const char *field,
                       const char *const *vals, size_t n)
{
    int rc = 0;

    if (q->len)
        rc |= isl_buf_addc(q, '^');
    rc |= isl_buf_adds(q, field);
    rc |= isl_buf_adds(q, "IN");
    for (size_t i = 0; i < n; i++) {
        if (i)
            rc |= isl_buf_addc(q, ',');
        rc |= isl_buf_adds(q, vals[i]);
    }
    return rc ? ISL_ENOMEM : 0;
}

int out_format_table_get(struct isl_buf *url, const char *table,
                         const char *query, const char *const *fields,
                         size_t nfields, size_t limit)
{
    int rc = isl_buf_addf(url, "/api/now/table/%s?sysparm_query=", table);

    rc |= out_format_urlencode(url, query);
    rc |= isl_buf_adds(url, "&sysparm_fields=");
    for (size_t i = 0; i < nfields; i++) {
        if (i)
            rc |= isl_buf_adds(url, "%2C");
        rc |= out_format_urlencode(url, fields[i]);
    }
    rc |= isl_buf_addf(
        url, "&sysparm_limit=%zu&sysparm_exclude_reference_link=true", limit);
    return rc ? ISL_ENOMEM : 0;
}

int out_format_key_json(struct isl_buf *b, const struct isl_row *row,
                        const char *const *key_cols, size_t nkey)
{
    int rc = isl_buf_addc(b, '{');

    for (size_t k = 0; k < nkey && rc == 0; k++) {
        const struct isl_field *f = isl_row_find(row, key_cols[k]);

        rc |= k ? isl_buf_addc(b, ',') : 0;
        rc |= isl_jsonw_string(b, key_cols[k], strlen(key_cols[k]));
        rc |= isl_buf_addc(b, ':');
        rc |= isl_jsonw_string(b, f ? f->value : "", f ? f->len : 0);
    }
    rc |= isl_buf_addc(b, '}');
    return rc ? ISL_ENOMEM : 0;
}
