/*
 * isl_rejects.c: the rejects file writer (see isl_rejects.h).
 */
#include "isl_setup.h"
#include "isl_rejects.h"
#include "isl_buf.h"
#include "isl_chain.h"
#include "isl_error.h"
#include "isl_jsonw.h"
#include "isl_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct isl_rejects {
    FILE *f;
    char *path;
    bool started;
    enum isl_format format;
    char delim;
    char **header; /* CSV header of the rejects file (input columns) */
    size_t nheader;
    struct isl_buf b;
};

int isl_rejects_open(struct isl_rejects **out, const char *path,
                     struct isl_error *err)
{
    struct isl_rejects *w = calloc(1, sizeof(*w));

    *out = NULL;
    if (!w)
        return isl_error_set(err, ISL_ENOMEM, "rejects", "out of memory");
    w->f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    w->path = strdup(path);
    isl_buf_init(&w->b, (size_t)1 << 30);
    if (!w->f || !w->path) {
        isl_error_set(err, ISL_EIO, "rejects",
                      "cannot write the rejects "
                      "file");
        isl_error_at(err, path, 0, UINT64_MAX);
        if (w->f && w->f != stdout)
            fclose(w->f);
        free(w->path);
        free(w);
        return ISL_EIO;
    }
    *out = w;
    return 0;
}

static int csv_value(struct isl_buf *b, const char *s, size_t n, char delim)
{
    bool quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    int rc;

    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote)
        return isl_buf_add(b, s, n);
    if ((rc = isl_buf_addc(b, '"')) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' && (rc = isl_buf_addc(b, '"')) < 0)
            return rc;
        if ((rc = isl_buf_addc(b, s[i])) < 0)
            return rc;
    }
    return isl_buf_addc(b, '"');
}

static const char *const reason_cols[] = {"isload_file", "isload_line",
                                          "isload_rule", "isload_column",
                                          "isload_reason"};

static int start(struct isl_rejects *w, enum isl_format format, char delim,
                 const char *const *columns, size_t ncolumns)
{
    w->started = true;
    w->format = format;
    w->delim = delim ? delim : ',';
    if (format == ISL_FMT_XML)
        return fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<isload_rejects>\n",
                     w->f) < 0
                   ? -1
                   : 0;
    if (format != ISL_FMT_CSV)
        return 0;
    w->header = calloc(ncolumns + 1, sizeof(char *));
    if (!w->header)
        return -1;
    for (size_t i = 0; i < ncolumns; i++) {
        if (!(w->header[i] = strdup(columns[i])))
            return -1;
        w->nheader++;
        if (i && isl_buf_addc(&w->b, w->delim) < 0)
            return -1;
        if (csv_value(&w->b, columns[i], strlen(columns[i]), w->delim) < 0)
            return -1;
    }
    for (size_t i = 0; i < ISL_ARRAY_LEN(reason_cols); i++)
        if ((ncolumns || i) && isl_buf_addc(&w->b, w->delim) < 0)
            return -1;
        else if (isl_buf_adds(&w->b, reason_cols[i]) < 0)
            return -1;
    return isl_buf_addc(&w->b, '\n');
}

/* Reasons joined: "rule1: msg1; rule2: msg2" and their columns. */
static void join_reasons(struct isl_buf *rules, struct isl_buf *cols,
                         struct isl_buf *msgs, const struct isl_verdict *v)
{
    for (size_t i = 0; i < v->nreasons; i++) {
        const char *sep = i ? "; " : "";

        isl_buf_addf(rules, "%s%s", sep, v->reasons[i].rule);
        isl_buf_addf(cols, "%s%s", sep, v->reasons[i].column);
        isl_buf_addf(msgs, "%s%s", sep, v->reasons[i].message);
    }
}

static int write_csv(struct isl_rejects *w, const struct isl_verdict *v)
{
    const struct isl_row *in = v->in;
    struct isl_buf rules, cols, msgs, extra;
    char line[32];
    int rc = 0;

    isl_buf_init(&rules, 1 << 20);
    isl_buf_init(&cols, 1 << 20);
    isl_buf_init(&msgs, 1 << 20);
    isl_buf_init(&extra, 1 << 24);
    for (size_t i = 0; i < w->nheader; i++) {
        const struct isl_field *f = isl_row_find(in, w->header[i]);

        if (i)
            isl_buf_addc(&w->b, w->delim);
        if (f)
            csv_value(&w->b, f->value, f->len, w->delim);
    }
    /* values the header has no column for go with the reason */
    for (size_t i = 0; i < in->n; i++) {
        bool known = false;

        for (size_t k = 0; k < w->nheader && !known; k++)
            known = strcmp(w->header[k], in->fields[i].name) == 0;
        if (!known)
            isl_buf_addf(&extra, "%s%s=%s", extra.len ? ", " : "",
                         in->fields[i].name, in->fields[i].value);
    }
    join_reasons(&rules, &cols, &msgs, v);
    if (extra.len)
        isl_buf_addf(&msgs, " (values past the header: %s)", extra.data);
    snprintf(
        line, sizeof(line), "%llu",
        (unsigned long long)(in->pos.line ? in->pos.line : in->pos.record));
    {
        const char *vals[] = {in->pos.file ? in->pos.file : "", line,
                              rules.data ? rules.data : "",
                              cols.data ? cols.data : "",
                              msgs.data ? msgs.data : ""};

        for (size_t i = 0; i < ISL_ARRAY_LEN(vals); i++) {
            if ((w->nheader || i) && isl_buf_addc(&w->b, w->delim) < 0)
                rc = -1;
            if (csv_value(&w->b, vals[i], strlen(vals[i]), w->delim) < 0)
                rc = -1;
        }
    }
    if (isl_buf_addc(&w->b, '\n') < 0)
        rc = -1;
    isl_buf_free(&rules);
    isl_buf_free(&cols);
    isl_buf_free(&msgs);
    isl_buf_free(&extra);
    return rc;
}

static int write_json(struct isl_rejects *w, const struct isl_verdict *v)
{
    struct isl_buf *b = &w->b;
    const struct isl_row *in = v->in;
    const char *file = in->pos.file ? in->pos.file : "";

    isl_buf_addc(b, '{');
    for (size_t i = 0; i < in->n; i++) {
        isl_jsonw_string(b, in->fields[i].name, strlen(in->fields[i].name));
        isl_buf_addc(b, ':');
        isl_jsonw_string(b, in->fields[i].value, in->fields[i].len);
        isl_buf_addc(b, ',');
    }
    isl_buf_adds(b, "\"isload_errors\":[");
    for (size_t i = 0; i < v->nreasons; i++) {
        const struct isl_reason *r = &v->reasons[i];

        isl_buf_adds(b, i ? ",{\"file\":" : "{\"file\":");
        isl_jsonw_string(b, file, strlen(file));
        isl_buf_addf(
            b, ",\"line\":%llu,\"rule\":",
            (unsigned long long)(in->pos.line ? in->pos.line : in->pos.record));
        isl_jsonw_string(b, r->rule, strlen(r->rule));
        isl_buf_adds(b, ",\"column\":");
        isl_jsonw_string(b, r->column, strlen(r->column));
        isl_buf_adds(b, ",\"reason\":");
        isl_jsonw_string(b, r->message, strlen(r->message));
        isl_buf_addc(b, '}');
    }
    return isl_buf_adds(b, "]}\n");
}

static void xml_text(struct isl_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<':
            isl_buf_adds(b, "&lt;");
            break;
        case '>':
            isl_buf_adds(b, "&gt;");
            break;
        case '&':
            isl_buf_adds(b, "&amp;");
            break;
        case '"':
            isl_buf_adds(b, "&quot;");
            break;
        default:
            isl_buf_addc(b, s[i]);
        }
    }
}

static bool xml_name_ok(const char *s)
{
    if (!*s ||
        !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int write_xml(struct isl_rejects *w, const struct isl_verdict *v)
{
    struct isl_buf *b = &w->b;
    const struct isl_row *in = v->in;

    isl_buf_addf(
        b, "  <record isload_line=\"%llu\" isload_file=\"",
        (unsigned long long)(in->pos.line ? in->pos.line : in->pos.record));
    xml_text(b, in->pos.file ? in->pos.file : "",
             in->pos.file ? strlen(in->pos.file) : 0);
    isl_buf_adds(b, "\">\n");
    for (size_t i = 0; i < in->n; i++) {
        const char *name = in->fields[i].name;

        if (name[0] == '@' || strchr(name, '.') || !xml_name_ok(name)) {
            isl_buf_adds(b, "    <isload_field name=\"");
            xml_text(b, name, strlen(name));
            isl_buf_adds(b, "\">");
            xml_text(b, in->fields[i].value, in->fields[i].len);
            isl_buf_adds(b, "</isload_field>\n");
            continue;
        }
        isl_buf_addf(b, "    <%s>", name);
        xml_text(b, in->fields[i].value, in->fields[i].len);
        isl_buf_addf(b, "</%s>\n", name);
    }
    for (size_t i = 0; i < v->nreasons; i++) {
        const struct isl_reason *r = &v->reasons[i];

        isl_buf_adds(b, "    <isload_error rule=\"");
        xml_text(b, r->rule, strlen(r->rule));
        isl_buf_adds(b, "\" column=\"");
        xml_text(b, r->column, strlen(r->column));
        isl_buf_adds(b, "\">");
        xml_text(b, r->message, strlen(r->message));
        isl_buf_adds(b, "</isload_error>\n");
    }
    return isl_buf_adds(b, "  </record>\n");
}

int isl_rejects_write(struct isl_rejects *w, const struct isl_verdict *v,
                      enum isl_format format, char delimiter,
                      const char *const *columns, size_t ncolumns)
{
    int rc;

    if (!w->started && start(w, format, delimiter, columns, ncolumns) < 0)
        return ISL_EIO;
    if (w->format == ISL_FMT_CSV)
        rc = write_csv(w, v);
    else if (w->format == ISL_FMT_XML)
        rc = write_xml(w, v);
    else
        rc = write_json(w, v);
    if (rc < 0)
        return ISL_ENOMEM;
    if (w->b.len && fwrite(w->b.data, 1, w->b.len, w->f) != w->b.len)
        return ISL_EIO;
    isl_buf_reset(&w->b);
    return 0;
}

int isl_rejects_close(struct isl_rejects *w, struct isl_error *err)
{
    int rc = 0;

    if (!w)
        return 0;
    if (w->started && w->format == ISL_FMT_XML)
        fputs("</isload_rejects>\n", w->f);
    if (ferror(w->f) || (w->f != stdout ? fclose(w->f) : fflush(w->f)) != 0) {
        rc = isl_error_set(err, ISL_EIO, "rejects",
                           "cannot write the rejects file");
        isl_error_at(err, w->path, 0, UINT64_MAX);
    }
    for (size_t i = 0; i < w->nheader; i++)
        free(w->header[i]);
    free(w->header);
    isl_buf_free(&w->b);
    free(w->path);
    free(w);
    return rc;
}
