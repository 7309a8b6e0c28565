/*
 * tf_util.c: helpers shared by the stage implementations (see tf_util.h).
 */
#include "isl_setup.h"
#include "tf_util.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tf_init_error(struct isl_error *err, const char *fmt, ...)
{
    va_list ap;

    err->code = ISL_ECONFIG;
    snprintf(err->where, sizeof(err->where), "feed");
    snprintf(err->rule, sizeof(err->rule), "feed");
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return ISL_ECONFIG;
}

int tf_reject(const struct tf_stage *st, struct isl_error *err, const char *fmt,
              ...)
{
    va_list ap;

    err->code = ISL_EROW;
    snprintf(err->where, sizeof(err->where), "%s", st->type->name);
    if (!err->rule[0])
        snprintf(err->rule, sizeof(err->rule), "%s", st->type->name);
    if (!err->field[0] && st->column)
        snprintf(err->field, sizeof(err->field), "%s", st->column);
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return TF_REJECT;
}

const char *tf_quote(char *buf, size_t size, const char *s, size_t len)
{
    size_t n = 0, take = len;
    bool cut = false;

    if (size < TF_QUOTE_MAX + 8) {
        buf[0] = '\0';
        return buf;
    }
    if (take > TF_QUOTE_MAX) {
        take = TF_QUOTE_MAX;
        while (take > 0 && ((unsigned char)s[take] & 0xC0) == 0x80)
            take--;
        cut = true;
    }
    buf[n++] = '\'';
    for (size_t i = 0; i < take; i++)
        buf[n++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (cut) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n++] = '\'';
    buf[n] = '\0';
    return buf;
}

int tf_emit(const struct tf_stage *st, struct isl_buf *out, const char *s,
            size_t len, struct isl_error *err)
{
    isl_buf_reset(out);
    if (isl_buf_add(out, s, len) < 0 || isl_buf_reserve(out, 0) < 0)
        return tf_reject(st, err,
                         "the result (%zu bytes) does not fit the "
                         "value buffer",
                         len);
    return TF_CHANGED;
}

size_t tf_list_size(const json_t *list)
{
    if (!list)
        return 0;
    if (json_is_string(list))
        return 1;
    return json_array_size(list);
}

const char *tf_list_get(const json_t *list, size_t i)
{
    if (json_is_string(list))
        return i == 0 ? json_string_value(list) : NULL;
    return json_string_value(json_array_get(list, i));
}

int tf_case_option(const char *value, const char *name, bool *insensitive,
                   struct isl_error *err)
{
    if (!value || strcmp(value, "sensitive") == 0) {
        *insensitive = false;
        return 0;
    }
    if (strcmp(value, "insensitive") == 0) {
        *insensitive = true;
        return 0;
    }
    return tf_init_error(
        err, ".%s: '%s' is not \"sensitive\" or \"insensitive\"", name, value);
}

size_t tf_utf8_count(const char *s, size_t len)
{
    size_t n = len, i = 0;

    /* a word at a time: subtract the 10xxxxxx bytes */
    for (; i + 8 <= len; i += 8) {
        uint64_t w = tf_load8(s + i);

        w = (w >> 7) & ~(w >> 6) & TF_ONES;
        n -= (size_t)((w * TF_ONES) >> 56);
    }
    if (i < len) {
        uint64_t w = tf_load_part(s + i, len - i);

        w = (w >> 7) & ~(w >> 6) & TF_ONES;
        n -= (size_t)((w * TF_ONES) >> 56);
    }
    return n;
}

size_t tf_utf8_prefix(const char *s, size_t len, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == max)
                return i;
            n++;
        }
    }
    return len;
}

int tf_row_find(const struct tf_row *row, const char *name, int *cache)
{
    if (*cache >= 0 && (size_t)*cache < row->n &&
        strcmp(row->columns[*cache], name) == 0)
        return *cache;
    for (size_t i = 0; i < row->n; i++) {
        if (strcmp(row->columns[i], name) == 0) {
            *cache = (int)i;
            return (int)i;
        }
    }
    return -1;
}

size_t tf_case_at(char *s, size_t len, size_t i, bool upper)
{
    unsigned char c = (unsigned char)s[i];

    if (c < 0x80) {
        s[i] = upper ? tf_ascii_upper(s[i]) : tf_ascii_lower(s[i]);
        return 1;
    }
    if (c == 0xC3 && i + 1 < len) {
        unsigned char d = (unsigned char)s[i + 1];

        if (upper && d >= 0xA0 && d <= 0xBE && d != 0xB7)
            s[i + 1] = (char)(d - 0x20);
        else if (!upper && d >= 0x80 && d <= 0x9E && d != 0x97)
            s[i + 1] = (char)(d + 0x20);
        return 2;
    }
    return 1;
}
