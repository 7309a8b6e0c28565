/*
 * in_csv.c: the CSV reader: a hand-written tokenizer for the common case,
 * libcsv for escape-character mode.
 *
 * Two paths produce the same rows, positions and errors:
 *
 * 1. The fast path (no escape character; delimiter and quote not CR/LF)
 *    scans each 64 KiB chunk itself and writes field bytes straight into
 *    rowbuf (NUL-separated values, offsets in offs/lens). It replaced
 *    libcsv here because feeding libcsv one line at a time, with an
 *    is_space callback called per byte, cost more than half the reader's
 *    time. Its states are libcsv's, with spaces never trimmed:
 *
 *      S_ROW     no record open. CR/LF: blank line, skipped. Anything
 *                else starts a record here (its line and offset are the
 *                row's position) and is handled as in S_FSTART.
 *      S_FSTART  at a field start. delim: empty field. CR/LF: empty
 *                field, end of record. quote: -> S_Q. else -> S_UNQ.
 *      S_UNQ     unquoted field. delim ends the field, CR/LF the record;
 *                everything else, a quote included, is taken literally.
 *      S_Q       quoted field. quote -> S_QQ (the quote is kept for now);
 *                everything else, CR/LF and delim included, is data.
 *      S_QQ      a quote in a quoted field. delim/CR/LF: drop that quote,
 *                end the field (and record). quote: a doubled quote, one
 *                is kept, -> S_Q. Anything else is kept after the quote
 *                and the field stays quoted (-> S_Q): libcsv's non-strict
 *                reading, so "abc"x,y is one field abc"x,y... up to the
 *                next quote.
 *
 *    Runs of ordinary bytes are found with a byte-class table and copied
 *    with one memcpy; a sentinel LF after the chunk ends every scan.
 *    next() returns as soon as a record ends; a record can span chunks.
 *
 * 2. With an escape character, libcsv is the parser and stays the
 *    reference for the fast path. libcsv knows nothing of lines, so we
 *    feed it one line segment at a time (bytes up to and including one CR
 *    or LF) and keep the line count ourselves:
 *
 *      chunk from isl_input -> split at CR/LF -> escape rewrite -> csv_parse
 *          cb_field: copy value into rowbuf (NUL-separated), note its offset
 *          cb_record: mark the row ready
 *
 *    Because a record can only end at a line end, at most one record ends
 *    per segment, so next() returns after the segment that completed one.
 *    A record starts on the first non-blank segment fed while no record is
 *    open; that segment's line and byte offset are the row's position.
 *    Blank lines are skipped; libcsv does not trim spaces (is_space off).
 *
 * Both paths count lines the same way (CR, LF and CR LF each end one
 * line), start a record at its first byte (its line and byte offset are
 * the row's position) and note the line of the quote that is open (the
 * fast path when the quote is read; the libcsv path at each segment end,
 * where a quote still open was opened on this line unless the same field
 * was already quoted). Memory stays bounded on both: the fast path stops
 * keeping a field's bytes once the record cannot fit; the libcsv path
 * empties libcsv's buffer at a segment end once a field is past
 * max_field. tests/fuzz/fuzz_in_csv_paths.c and tests/unit/
 * u_in_csv_paths.c check that both (opts.csv_libcsv forces libcsv) give
 * the same rows, positions and errors, whatever the read size
 * (opts.read_chunk).
 *
 * Errors: a record with more or fewer fields than the header is a row
 * error (or padded, when lenient); invalid UTF-8 is a row error naming the
 * field; a field or record past its size cap is a row error, and the bytes
 * held for it are dropped so memory stays bounded; an unterminated quote
 * at end of file is a parse error naming the line where the quote opened.
 */
#include "isl_setup.h"
#include "isl_reader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_input.h"
#include "isl_utf8.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

/* libcsv parser states (libcsv.c); FIELD_BEGUN + quoted = inside quotes,
 * MIGHT_HAVE_ENDED = just after a quote inside quotes (held in entry_buf) */
#define LIBCSV_FIELD_BEGUN 2
#define LIBCSV_MIGHT_HAVE_ENDED 3

/* fast path states, see the top comment */
enum { S_ROW, S_FSTART, S_UNQ, S_Q, S_QQ };

/* byte classes for the fast path */
#define C_DELIM 1
#define C_QUOTE 2
#define C_TERM 4

struct csv_ctx {
    struct csv_parser parser;
    bool parser_ready;

    bool fast;          /* the hand-written tokenizer, not libcsv */
    int st;             /* its state, S_* */
    size_t flen;        /* length of the open field (libcsv's entry_pos) */
    bool fdrop;         /* the open field's bytes are not being kept */
    size_t keep;        /* keep field bytes while record_bytes + flen <= keep */
    uint64_t chunk_off; /* byte offset of chunk[0] */
    unsigned char cls[256]; /* C_* of each byte */

    char *chunk; /* bytes from the input */
    size_t chunk_cap, chunk_len, chunk_pos;
    bool input_eof, finished;
    bool has_cr; /* the current chunk contains a CR */
    char *esc;   /* escape rewrite buffer */
    bool esc_pending;

    uint64_t line;        /* line of the next segment (1-based) */
    uint64_t offset;      /* byte offset of the next segment */
    bool prev_cr;         /* the byte before the next segment (libcsv path) or
                             before chunk[0] (fast path) is a CR */
    uint64_t fields_seen; /* cb_field calls, dropped fields included */

    bool in_record;    /* a record has started and not ended */
    uint64_t rec_line; /* where the open record started */
    uint64_t rec_offset;
    uint64_t records;    /* records completed (header included) */
    uint64_t quote_line; /* line where the open quote started, or 0 */
    bool row_ready;
    bool row_out; /* a row was returned; its values are in rowbuf */

    struct isl_buf rowbuf; /* values of the open record, NUL-separated */
    size_t *offs;          /* value offsets in rowbuf */
    size_t *lens;
    size_t nfields, afields;
    size_t record_bytes;
    bool oversize;         /* a field or the record passed its cap */
    size_t oversize_field; /* 1-based field that did, 0 = record */

    bool header_done;
    char **names; /* column names (header or configured) */
    size_t nnames, anames;
    size_t ncols; /* columns from the header */

    struct isl_field *fields;
    size_t afields_out;
    struct isl_row row;
};

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void cb_field(void *s, size_t len, void *data)
{
    struct isl_reader *r = data;
    struct csv_ctx *c = r->ctx;

    c->fields_seen++;
    if (c->oversize)
        return;
    if (c->nfields == c->afields) {
        size_t n = c->afields ? c->afields * 2 : 32;
        size_t *o = realloc(c->offs, n * sizeof(*o));
        size_t *l = o ? realloc(c->lens, n * sizeof(*l)) : NULL;

        if (o)
            c->offs = o;
        if (!o || !l) {
            c->oversize = true; /* reported as a row error, see finish */
            return;
        }
        c->lens = l;
        c->afields = n;
    }
    c->record_bytes += len + 1;
    if (len > r->opts.max_field || c->record_bytes > r->opts.max_record) {
        c->oversize = true;
        c->oversize_field = len > r->opts.max_field ? c->nfields + 1 : 0;
        return;
    }
    c->offs[c->nfields] = c->rowbuf.len;
    c->lens[c->nfields] = len;
    if (isl_buf_reserve(&c->rowbuf, len + 1) < 0) {
        c->oversize = true;
        return;
    }
    if (len)
        memcpy(c->rowbuf.data + c->rowbuf.len, s, len);
    c->rowbuf.len += len;
    c->rowbuf.data[c->rowbuf.len++] = '\0'; /* NUL-separated values */
    c->rowbuf.data[c->rowbuf.len] = '\0';
    c->nfields++;
}

static void cb_record(int term, void *data)
{
    struct isl_reader *r = data;
    struct csv_ctx *c = r->ctx;

    (void)term;
    c->row_ready = true;
    c->in_record = false;
    c->records++;
}

static int add_name(struct csv_ctx *c, const char *name, size_t len)
{
    if (c->nnames == c->anames) {
        size_t n = c->anames ? c->anames * 2 : 16;
        char **p = realloc(c->names, n * sizeof(*p));

        if (!p)
            return ISL_ENOMEM;
        c->names = p;
        c->anames = n;
    }
    c->names[c->nnames] = strndup(name, len);
    if (!c->names[c->nnames])
        return ISL_ENOMEM;
    c->nnames++;
    return 0;
}

/* Names for fields past the header: "_extra_1", ... The array may move,
 * so the columns published in r are pointed at it again. */
static int ensure_names(struct isl_reader *r, struct csv_ctx *c, size_t n)
{
    char tmp[32];

    while (c->nnames < n) {
        int k =
            snprintf(tmp, sizeof(tmp), "_extra_%zu", c->nnames - c->ncols + 1);
        if (add_name(c, tmp, (size_t)k) < 0)
            return ISL_ENOMEM;
    }
    if (r->columns)
        r->columns = (const char *const *)c->names;
    return 0;
}

static char sniff_delimiter(const char *p, size_t n, char quote)
{
    static const char cand[] = {',', ';', '\t', '|'};
    size_t count[4] = {0};
    bool inq = false;
    size_t best = 0;

    for (size_t i = 0; i < n; i++) {
        char ch = p[i];

        if (ch == quote)
            inq = !inq;
        else if (!inq && (ch == '\n' || ch == '\r'))
            break;
        else if (!inq)
            for (size_t k = 0; k < 4; k++)
                if (ch == cand[k])
                    count[k]++;
    }
    for (size_t k = 1; k < 4; k++)
        if (count[k] > count[best])
            best = k;
    return cand[best];
}

static int csv_open(struct isl_reader *r, struct isl_error *err)
{
    struct csv_ctx *c = r->ctx;
    const struct isl_reader_opts *o = &r->opts;

    if (csv_init(&c->parser, CSV_STRICT_FINI) != 0)
        return isl_error_set(err, ISL_ENOMEM, "in_csv", "out of memory");
    c->parser_ready = true;
    if (!o->delimiter) {
        const char *p;
        size_t n;
        int rc = isl_input_peek(r->in, &p, &n, err);

        if (rc < 0)
            return rc;
        r->opts.delimiter = sniff_delimiter(p, n, o->quote);
    }
    if (r->opts.delimiter == r->opts.quote)
        return isl_error_set(err, ISL_ECONFIG, "in_csv",
                             "delimiter and quote are the same character");
    csv_set_delim(&c->parser, (unsigned char)r->opts.delimiter);
    csv_set_quote(&c->parser, (unsigned char)r->opts.quote);
    csv_set_space_func(&c->parser, no_space);
    c->fast = !o->escape && !o->csv_libcsv && r->opts.delimiter != '\r' &&
              r->opts.delimiter != '\n' && r->opts.quote != '\r' &&
              r->opts.quote != '\n';
    c->cls[(unsigned char)r->opts.delimiter] |= C_DELIM;
    c->cls[(unsigned char)r->opts.quote] |= C_QUOTE;
    c->cls['\r'] |= C_TERM;
    c->cls['\n'] |= C_TERM;
    /* one byte over max_record: a kept field may still lose a quote */
    c->keep = r->opts.max_record < SIZE_MAX ? r->opts.max_record + 1 : SIZE_MAX;
    c->chunk_cap = o->read_chunk && o->read_chunk < CHUNK_SIZE ? o->read_chunk
                                                               : CHUNK_SIZE;
    c->chunk = malloc(c->chunk_cap + 1); /* + the fast path's sentinel */
    if (o->escape)
        c->esc = malloc(2 * c->chunk_cap);
    if (!c->chunk || (o->escape && !c->esc))
        return isl_error_set(err, ISL_ENOMEM, "in_csv", "out of memory");
    isl_buf_init(&c->rowbuf, r->opts.max_record + 1024);
    c->line = 1;
    if (o->no_header || o->ncolumns) {
        for (size_t i = 0; i < o->ncolumns; i++)
            if (add_name(c, o->columns[i], strlen(o->columns[i])) < 0)
                return isl_error_set(err, ISL_ENOMEM, "in_csv",
                                     "out of memory");
        c->ncols = c->nnames;
        c->header_done = o->no_header;
        if (c->header_done) {
            r->columns = (const char *const *)c->names;
            r->ncolumns = c->ncols;
        }
    }
    return 0;
}

/*
 * Rewrite backslash-style escapes into doubled quotes, which libcsv
 * understands: E+quote -> quote quote, E+E -> E. Returns the new length.
 */
static size_t rewrite_escapes(struct isl_reader *r, struct csv_ctx *c,
                              const char *s, size_t n)
{
    char e = r->opts.escape, q = r->opts.quote;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        char ch = s[i];

        if (c->esc_pending) {
            c->esc_pending = false;
            if (ch == q) {
                c->esc[k++] = q;
                c->esc[k++] = q;
                continue;
            }
            if (ch != e)
                c->esc[k++] = e;
            c->esc[k++] = ch;
            continue;
        }
        if (ch == e) {
            c->esc_pending = true;
            continue;
        }
        c->esc[k++] = ch;
    }
    return k;
}

/* True while libcsv is inside a quoted field (its quote still open, or
 * just after a quote that may be the closing one). */
static bool libcsv_in_quotes(const struct csv_parser *p)
{
    return p->quoted && (p->pstate == LIBCSV_FIELD_BEGUN ||
                         p->pstate == LIBCSV_MIGHT_HAVE_ENDED);
}

/* Feed one segment (ending at most at one CR/LF) to libcsv. */
static int feed(struct isl_reader *r, struct csv_ctx *c, const char *s,
                size_t n, struct isl_error *err)
{
    char last = s[n - 1];
    bool terminated = last == '\n' || last == '\r';
    bool blank = n == 1 && terminated;
    bool was_quoted = libcsv_in_quotes(&c->parser);
    uint64_t seen = c->fields_seen;
    size_t len = n, held;

    if (!c->in_record && !blank) {
        c->in_record = true;
        c->rec_line = c->line;
        c->rec_offset = c->offset;
        c->record_bytes = 0;
    }
    if (c->esc) {
        len = rewrite_escapes(r, c, s, n);
        s = c->esc;
    }
    if (len && csv_parse(&c->parser, s, len, cb_field, cb_record, r) != len)
        return isl_reader__parse_error(r, err, c->line, c->offset, "%s",
                                       csv_strerror(csv_error(&c->parser)));
    /* a quote still open was opened on this line unless the same field
     * was already quoted when the segment began */
    if (!libcsv_in_quotes(&c->parser))
        c->quote_line = 0;
    else if (!was_quoted || c->fields_seen != seen)
        c->quote_line = c->line;
    /* a runaway field: drop what libcsv holds (but a quote that may be
     * the closing one, which libcsv takes back off when the field ends) */
    held = c->parser.entry_pos;
    if (c->parser.pstate == LIBCSV_MIGHT_HAVE_ENDED)
        held--;
    if (held > r->opts.max_field) {
        if (!c->oversize) { /* the first field or record to fail wins */
            c->oversize = true;
            c->oversize_field = c->nfields + 1;
        }
        c->parser.entry_pos -= held;
    }
    if (c->parser.entry_size > c->parser.blk_size * 8)
        c->parser.blk_size = c->parser.entry_size / 2;
    c->offset += n;
    /* CR, LF and CR LF each end one line */
    if (last == '\r' || (last == '\n' && !(c->prev_cr && n == 1)))
        c->line++;
    c->prev_cr = last == '\r';
    return 0;
}

/* Next segment of the chunk: up to and including the next CR or LF. */
static size_t next_segment(struct csv_ctx *c)
{
    const char *p = c->chunk + c->chunk_pos;
    size_t left = c->chunk_len - c->chunk_pos;
    const char *e;

    if (c->prev_cr && left && *p == '\n')
        return 1;
    if (!c->has_cr) {
        e = memchr(p, '\n', left);
        return e ? (size_t)(e - p) + 1 : left;
    }
    for (size_t i = 0; i < left; i++)
        if (p[i] == '\n' || p[i] == '\r')
            return i + 1;
    return left;
}

/*
 * The fast path.
 */

/* Add n bytes to the open field, keeping them while the record can
 * still fit; past that the field is bound to fail a size cap. */
static inline void fast_add(struct csv_ctx *c, const unsigned char *s, size_t n)
{
    if (!c->fdrop) {
        if (!c->oversize && c->record_bytes + c->flen + n <= c->keep &&
            isl_buf_reserve(&c->rowbuf, c->flen + n + 1) == 0)
            memcpy(c->rowbuf.data + c->rowbuf.len + c->flen, s, n);
        else
            c->fdrop = true;
    }
    c->flen += n;
}

/* The open field ends: what cb_field does, on bytes already in place. */
static void fast_field(struct isl_reader *r, struct csv_ctx *c)
{
    size_t len = c->flen;

    c->flen = 0;
    if (c->oversize) {
        c->fdrop = false;
        return;
    }
    if (c->nfields == c->afields) {
        size_t n = c->afields ? c->afields * 2 : 32;
        size_t *o = realloc(c->offs, n * sizeof(*o));
        size_t *l = o ? realloc(c->lens, n * sizeof(*l)) : NULL;

        if (o)
            c->offs = o;
        if (!o || !l) {
            c->oversize = true;
            c->fdrop = false;
            return;
        }
        c->lens = l;
        c->afields = n;
    }
    c->record_bytes += len + 1;
    if (len > r->opts.max_field || c->record_bytes > r->opts.max_record) {
        c->oversize = true;
        c->oversize_field = len > r->opts.max_field ? c->nfields + 1 : 0;
        c->fdrop = false;
        return;
    }
    if (c->fdrop || isl_buf_reserve(&c->rowbuf, len + 1) < 0) {
        c->oversize = true; /* out of memory */
        c->fdrop = false;
        return;
    }
    c->offs[c->nfields] = c->rowbuf.len;
    c->lens[c->nfields] = len;
    c->rowbuf.len += len;
    c->rowbuf.data[c->rowbuf.len++] = '\0';
    c->rowbuf.data[c->rowbuf.len] = '\0';
    c->nfields++;
}

static inline void fast_record(struct csv_ctx *c)
{
    c->row_ready = true;
    c->in_record = false;
    c->records++;
    c->st = S_ROW;
}

/* A CR or LF was taken (p is just past it): count the line. CR, LF and
 * CR LF each end one line. */
static inline void fast_term(struct csv_ctx *c, const unsigned char *base,
                             const unsigned char *p)
{
    if (p[-1] == '\r' || !(p - 1 > base ? p[-2] == '\r' : c->prev_cr))
        c->line++;
}

/* Scan the chunk from chunk_pos until a record ends or the chunk does. */
static void fast_scan(struct isl_reader *r, struct csv_ctx *c)
{
    const unsigned char *base = (const unsigned char *)c->chunk;
    const unsigned char *p = base + c->chunk_pos;
    const unsigned char *end = base + c->chunk_len;
    const unsigned char *cls = c->cls;
    const unsigned char *q;
    unsigned char ch;

    for (;;) {
        switch (c->st) {
        case S_ROW:
            if (p == end)
                goto done;
            if (cls[*p] & C_TERM) { /* blank line */
                fast_term(c, base, ++p);
                continue;
            }
            c->in_record = true;
            c->rec_line = c->line;
            c->rec_offset = c->chunk_off + (uint64_t)(p - base);
            c->record_bytes = 0;
            c->st = S_FSTART;
            /* fall through */
        case S_FSTART:
            if (p == end)
                goto done;
            ch = *p;
            if (cls[ch] & C_TERM) {
                p++;
                fast_field(r, c);
                fast_record(c);
                fast_term(c, base, p);
                goto done;
            }
            if (cls[ch] & C_DELIM) {
                p++;
                fast_field(r, c);
                continue;
            }
            if (cls[ch] & C_QUOTE) {
                p++;
                c->quote_line = c->line;
                c->st = S_Q;
                continue;
            }
            c->st = S_UNQ;
            /* fall through */
        case S_UNQ:
            q = p;
            while (!(cls[*q] & (C_DELIM | C_TERM)))
                q++;
            if (q != p)
                fast_add(c, p, (size_t)(q - p));
            p = q;
            if (p == end)
                goto done;
            ch = *p++;
            fast_field(r, c);
            if (cls[ch] & C_TERM) {
                fast_record(c);
                fast_term(c, base, p);
                goto done;
            }
            c->st = S_FSTART;
            continue;
        case S_Q:
            q = p;
            while (!(cls[*q] & (C_QUOTE | C_TERM)))
                q++;
            if (q != p)
                fast_add(c, p, (size_t)(q - p));
            p = q;
            if (p == end)
                goto done;
            ch = *p++;
            fast_add(c, &ch, 1); /* CR/LF is data; a quote is kept for now */
            if (cls[ch] & C_QUOTE)
                c->st = S_QQ;
            else
                fast_term(c, base, p);
            continue;
        case S_QQ:
            if (p == end)
                goto done;
            ch = *p++;
            if (cls[ch] & (C_DELIM | C_TERM)) {
                c->flen--; /* drop the closing quote */
                fast_field(r, c);
                if (cls[ch] & C_DELIM) {
                    c->st = S_FSTART;
                    continue;
                }
                fast_record(c);
                fast_term(c, base, p);
                goto done;
            }
            if (!(cls[ch] & C_QUOTE)) /* "abc"x: x is kept, still quoted */
                fast_add(c, &ch, 1);
            c->st = S_Q;
            continue;
        }
    }
done:
    c->chunk_pos = (size_t)(p - base);
}

/* End of input on the fast path: what csv_fini does. Returns true for an
 * unterminated quote. */
static bool fast_fini(struct isl_reader *r, struct csv_ctx *c)
{
    switch (c->st) {
    case S_Q:
        return true;
    case S_QQ:
        c->flen--;
        /* fall through */
    case S_FSTART:
    case S_UNQ:
        fast_field(r, c);
        fast_record(c);
        break;
    default:
        break;
    }
    return false;
}

static int header_from_row(struct isl_reader *r, struct csv_ctx *c,
                           struct isl_error *err)
{
    for (size_t i = 0; i < c->nfields; i++) {
        const char *name = c->rowbuf.data + c->offs[i];

        if (c->lens[i] == 0)
            return isl_reader__parse_error(
                r, err, c->rec_line, c->rec_offset,
                "header column %zu has an empty name", i + 1);
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->names[k], name) == 0)
                return isl_reader__parse_error(
                    r, err, c->rec_line, c->rec_offset,
                    "duplicate column name '%s' (columns %zu and %zu)", name,
                    k + 1, i + 1);
        if (isl_utf8_valid_prefix(name, c->lens[i]) != c->lens[i])
            return isl_reader__parse_error(
                r, err, c->rec_line, c->rec_offset,
                "header column %zu is not valid UTF-8 (set an encoding such "
                "as windows-1252)",
                i + 1);
        if (add_name(c, name, c->lens[i]) < 0)
            return isl_error_set(err, ISL_ENOMEM, "in_csv", "out of memory");
    }
    c->ncols = c->nnames;
    c->header_done = true;
    r->columns = (const char *const *)c->names;
    r->ncolumns = c->ncols;
    return 0;
}

static int grow_fields(struct csv_ctx *c, size_t n)
{
    struct isl_field *f;

    if (n <= c->afields_out)
        return 0;
    f = realloc(c->fields, n * sizeof(*f));
    if (!f)
        return ISL_ENOMEM;
    c->fields = f;
    c->afields_out = n;
    return 0;
}

/* Turn the completed record into c->row; returns ISL_OK or ISL_EROW. */
static int build_row(struct isl_reader *r, struct csv_ctx *c,
                     struct isl_error *err)
{
    size_t n = c->nfields;
    bool utf8 = !isl_input_is_converted(r->in);

    c->row.pos.file = r->name;
    c->row.pos.line = c->rec_line;
    c->row.pos.offset = c->rec_offset;
    c->row.pos.record = c->records - (r->opts.no_header ? 0 : 1);
    if (!c->ncols && !c->nnames) {
        /* no header and no names: column_1, column_2, ... */
        char tmp[32];

        for (size_t i = 0; i < n; i++) {
            int k = snprintf(tmp, sizeof(tmp), "column_%zu", i + 1);
            if (add_name(c, tmp, (size_t)k) < 0)
                return isl_error_set(err, ISL_ENOMEM, "in_csv",
                                     "out of memory");
        }
        c->ncols = c->nnames;
        r->columns = (const char *const *)c->names;
        r->ncolumns = c->ncols;
    }
    if (r->opts.lenient && n < c->ncols)
        n = c->ncols;
    if (ensure_names(r, c, n) < 0 || grow_fields(c, n) < 0)
        return isl_error_set(err, ISL_ENOMEM, "in_csv", "out of memory");
    for (size_t i = 0; i < n; i++) {
        c->fields[i].name = c->names[i];
        if (i < c->nfields) {
            c->fields[i].value = c->rowbuf.data + c->offs[i];
            c->fields[i].len = c->lens[i];
        } else {
            c->fields[i].value = "";
            c->fields[i].len = 0;
        }
    }
    c->row.fields = c->fields;
    c->row.n = n;

    if (c->oversize) {
        if (c->oversize_field)
            return isl_reader__row_error(
                r, &c->row, err,
                c->oversize_field <= c->ncols ? c->names[c->oversize_field - 1]
                                              : NULL,
                "field_size", "value of field %zu is longer than %zu bytes",
                c->oversize_field, r->opts.max_field);
        return isl_reader__row_error(r, &c->row, err, NULL, "record_size",
                                     "record is longer than %zu bytes",
                                     r->opts.max_record);
    }
    if (c->nfields != c->ncols && !(r->opts.lenient && c->nfields < c->ncols))
        return isl_reader__row_error(r, &c->row, err, NULL, "field_count",
                                     "expected %zu fields, found %zu", c->ncols,
                                     c->nfields);
    /* one pass over all values; find the field only when one is bad */
    if (utf8 && c->rowbuf.len &&
        isl_utf8_valid_prefix(c->rowbuf.data, c->rowbuf.len) != c->rowbuf.len)
        for (size_t i = 0; i < c->nfields; i++) {
            size_t ok =
                isl_utf8_valid_prefix(c->fields[i].value, c->fields[i].len);
            if (ok != c->fields[i].len)
                return isl_reader__row_error(
                    r, &c->row, err, c->names[i], "encoding",
                    "invalid UTF-8 at byte %zu of the value (if the file is "
                    "not UTF-8, set its encoding, e.g. windows-1252)",
                    ok + 1);
        }
    return ISL_OK;
}

static int unterminated(struct isl_reader *r, struct csv_ctx *c,
                        struct isl_error *err)
{
    uint64_t line = c->quote_line ? c->quote_line : c->rec_line;

    return isl_reader__parse_error(
        r, err, line, c->rec_offset,
        "unterminated quoted field: the quote opened on line %llu is never "
        "closed",
        (unsigned long long)line);
}

static int csv_next(struct isl_reader *r, struct isl_row **out,
                    struct isl_error *err)
{
    struct csv_ctx *c = r->ctx;
    int rc;

    if (c->row_out) {
        c->row_out = false;
        c->nfields = 0;
        c->oversize = false;
        c->oversize_field = 0;
        c->record_bytes = 0;
        isl_buf_reset(&c->rowbuf);
    }
    for (;;) {
        if (c->row_ready) {
            c->row_ready = false;
            if (!c->header_done) {
                if (c->oversize)
                    return isl_reader__parse_error(
                        r, err, c->rec_line, c->rec_offset,
                        "header is longer than the size limit");
                rc = header_from_row(r, c, err);
                isl_buf_reset(&c->rowbuf);
                c->nfields = 0;
                if (rc < 0)
                    return rc;
                continue;
            }
            rc = build_row(r, c, err);
            *out = &c->row;
            c->row_out = true; /* rowbuf is reset on the next call */
            return rc;
        }
        if (c->finished)
            return ISL_EOF;
        if (c->chunk_pos == c->chunk_len) {
            size_t got = 0;

            c->prev_cr = c->chunk_len && c->chunk[c->chunk_len - 1] == '\r';
            if (!c->input_eof) {
                rc = isl_input_read(r->in, c->chunk, c->chunk_cap, &got, err);
                if (rc < 0)
                    return rc;
            }
            if (got == 0) {
                c->input_eof = true;
                c->finished = true;
                if (c->fast) {
                    if (fast_fini(r, c))
                        return unterminated(r, c, err);
                    continue;
                }
                if (c->esc_pending) {
                    c->esc_pending = false;
                    csv_parse(&c->parser, &r->opts.escape, 1, cb_field,
                              cb_record, r);
                }
                if ((c->parser.pstate == LIBCSV_FIELD_BEGUN &&
                     c->parser.quoted) ||
                    csv_fini(&c->parser, cb_field, cb_record, r) != 0)
                    return unterminated(r, c, err);
                continue;
            }
            c->chunk_off += c->chunk_len;
            c->chunk_len = got;
            c->chunk_pos = 0;
            if (c->fast)
                c->chunk[got] = '\n'; /* sentinel: ends every scan */
            else
                c->has_cr = memchr(c->chunk, '\r', got) != NULL;
        }
        if (c->fast) {
            fast_scan(r, c);
        } else {
            size_t n = next_segment(c);

            rc = feed(r, c, c->chunk + c->chunk_pos, n, err);
            c->chunk_pos += n;
            if (rc < 0)
                return rc;
        }
    }
}

static void csv_close(struct isl_reader *r)
{
    struct csv_ctx *c = r->ctx;

    if (c->parser_ready)
        csv_free(&c->parser);
    for (size_t i = 0; i < c->nnames; i++)
        free(c->names[i]);
    free(c->names);
    free(c->offs);
    free(c->lens);
    free(c->fields);
    free(c->chunk);
    free(c->esc);
    isl_buf_free(&c->rowbuf);
}

const struct isl_reader_type isl_in_csv = {
    .name = "csv",
    .format = ISL_FMT_CSV,
    .ctx_size = sizeof(struct csv_ctx),
    .open = csv_open,
    .next = csv_next,
    .close = csv_close,
};
