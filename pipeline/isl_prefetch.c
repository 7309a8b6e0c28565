/*
 * isl_prefetch.c: the stream of rows read ahead on a second thread (see
 * isl_prefetch.h).
 *
 *     reading thread:  isl_stream_next -> copy into blocks[tail]
 *     caller:          isl_prefetch_next hands out rows of blocks[head]
 *
 * NBLOCKS blocks of up to BLOCK_ROWS rows (or BLOCK_TEXT bytes of text,
 * and at least one row) sit between the two. A block belongs to the
 * reading thread until it is counted as filled, then to the caller until
 * it is released; count and head change under mu only. Each block holds
 * copies of its rows: the field array, the text of the values, and the
 * names, which are interned per input (a name seen at the same position
 * in the row before is found with one compare), so the chain's
 * pointer-equality fast path for names keeps working. A row's file name
 * points at its isl_source, which lives until close.
 *
 * The stream's return codes travel with the rows: ISL_EROW rows carry
 * their error in the block; the end of the stream (ISL_EOF or a fatal
 * error) ends the last block, and the thread stops there. Close sets stop,
 * wakes the thread if it waits for room, and makes stop_pipe readable:
 * readers of pipes poll it (isl_input_open's stop_fd), so the thread also
 * stops while a pipe delivers nothing. Then it is joined.
 */
#include "isl_setup.h"
#include "isl_prefetch.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_row.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NBLOCKS 4
#define BLOCK_ROWS 256
#define BLOCK_TEXT (1024 * 1024)
#define MAX_INTERNED 256 /* names per input; more are copied per row */

/* The reading thread's copy of one input's details and names. */
struct source {
    struct isl_source pub;
    struct source *next;
    size_t input; /* isl_stream_input of it */
    char **names; /* interned names (owned) */
    size_t nnames;
    const char **atpos; /* interned name last seen at each field position */
    size_t natpos;
};

/* Where a field's strings are while the block fills (text may move). */
struct field_at {
    size_t name; /* offset in text, or SIZE_MAX: fields[i].name is interned */
    size_t value;
};

struct block {
    struct isl_row *rows;
    const struct source **src; /* per row */
    int *rc;                   /* per row: ISL_OK or ISL_EROW */
    size_t nrows;
    struct isl_field *fields;
    struct field_at *at;
    size_t nfields, afields;
    struct isl_buf text;
    struct isl_buf errs; /* struct isl_error of the ISL_EROW rows */
    int end;             /* 0, or ISL_EOF / < 0 after the last row */
    struct isl_error end_err;
    uint64_t bytes_read, bytes_total;
};

struct isl_prefetch {
    /* the reading thread's */
    struct isl_stream *stream;
    struct isl_reader_opts opts; /* the caller's, plus stop_fd */
    struct source *sources;      /* newest first */
    struct source *cur_src;
    bool src_failed; /* a source for an input without rows: no memory */

    /* shared, under mu (stop also read without it between rows) */
    pthread_mutex_t mu;
    pthread_cond_t filled, freed;
    struct block blocks[NBLOCKS];
    size_t head, count;
    atomic_bool stop;
    int stop_pipe[2];
    pthread_t thread;
    bool started;

    /* the caller's */
    struct block *cur; /* block being handed out, or NULL */
    size_t pos;        /* next row of cur */
    size_t err_pos;    /* next error of cur */
    const struct source *last_src;
    uint64_t bytes_read, bytes_total;
};

/* ---- the reading thread ---- */

static const char *intern_slow(struct source *s, size_t pos, const char *name)
{
    char *copy;

    for (size_t i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i], name) == 0)
            return s->atpos[pos] = s->names[i];
    if (s->nnames == MAX_INTERNED)
        return NULL;
    if (!(copy = strdup(name)))
        return NULL;
    s->names[s->nnames++] = copy;
    return s->atpos[pos] = copy;
}

/* The interned copy of name at field position pos, or NULL (copy it). */
static const char *intern(struct source *s, size_t pos, const char *name)
{
    if (pos >= s->natpos) {
        size_t n = pos + 16;
        const char **a = realloc(s->atpos, n * sizeof(*a));

        if (!a)
            return NULL;
        memset(a + s->natpos, 0, (n - s->natpos) * sizeof(*a));
        s->atpos = a;
        s->natpos = n;
    }
    if (s->atpos[pos] && strcmp(s->atpos[pos], name) == 0)
        return s->atpos[pos];
    return intern_slow(s, pos, name);
}

static void source_free(struct source *s)
{
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
    free(s->atpos);
    if (s->pub.columns)
        for (size_t i = 0; i < s->pub.ncolumns; i++)
            free((char *)s->pub.columns[i]);
    free((void *)s->pub.columns);
    free((char *)s->pub.name);
    free(s);
}

/* The source for the stream's current input, made when it changes. */
static struct source *source_now(struct isl_prefetch *p)
{
    size_t input = isl_stream_input(p->stream);
    const struct isl_reader *r = isl_stream_reader(p->stream);
    const char *const *cols;
    size_t ncols;
    struct source *s;

    if (p->cur_src && p->cur_src->input == input)
        return p->cur_src;
    if (!(s = calloc(1, sizeof(*s))))
        return NULL;
    s->next = p->sources;
    p->sources = s;
    s->input = input;
    s->pub.format = isl_reader_format(r);
    s->pub.delimiter = isl_reader_delimiter(r);
    if (!(s->pub.name = strdup(isl_reader_name(r))) ||
        !(s->names = malloc(MAX_INTERNED * sizeof(*s->names))))
        return NULL;
    ncols = isl_reader_columns(r, &cols);
    if (ncols) {
        char **c = calloc(ncols, sizeof(*c));

        if (!c)
            return NULL;
        s->pub.columns = (const char *const *)c;
        s->pub.ncolumns = ncols;
        for (size_t i = 0; i < ncols; i++)
            if (!(c[i] = strdup(cols[i])))
                return NULL;
    }
    return p->cur_src = s;
}

/* An input ended: one that gave no row still gets its source, so the
 * caller can check its header (isl_prefetch_input); for one that gave
 * rows, source_now has it already. */
static void input_ended(void *arg)
{
    struct isl_prefetch *p = arg;

    if (!source_now(p))
        p->src_failed = true;
}

/* Copy row (with its rc and error) into b. */
static int block_add(struct block *b, struct source *s,
                     const struct isl_row *row, int rc,
                     const struct isl_error *err)
{
    size_t r = b->nrows;

    if (b->nfields + row->n > b->afields) {
        size_t n = b->afields ? b->afields : 1024;
        struct isl_field *f;
        struct field_at *at;

        while (n < b->nfields + row->n)
            n *= 2;
        if (!(f = realloc(b->fields, n * sizeof(*f))))
            return ISL_ENOMEM;
        b->fields = f;
        if (!(at = realloc(b->at, n * sizeof(*at))))
            return ISL_ENOMEM;
        b->at = at;
        b->afields = n;
    }
    if (rc == ISL_EROW && isl_buf_add(&b->errs, err, sizeof(*err)) < 0)
        return ISL_ENOMEM;
    b->rows[r].pos = row->pos;
    b->rows[r].pos.file = s->pub.name;
    b->rows[r].n = row->n;
    b->src[r] = s;
    b->rc[r] = rc;
    for (size_t i = 0; i < row->n; i++) {
        const struct isl_field *f = &row->fields[i];
        struct isl_field *to = &b->fields[b->nfields];
        struct field_at *at = &b->at[b->nfields];

        to->len = f->len;
        to->name = intern(s, i, f->name);
        at->name = SIZE_MAX;
        if (!to->name) {
            at->name = b->text.len;
            if (isl_buf_add(&b->text, f->name, strlen(f->name) + 1) < 0)
                return ISL_ENOMEM;
        }
        at->value = b->text.len;
        if (isl_buf_add(&b->text, f->value, f->len) < 0 ||
            isl_buf_addc(&b->text, '\0') < 0)
            return ISL_ENOMEM;
        b->nfields++;
    }
    b->nrows++;
    return 0;
}

/* The text is where it will stay: point the rows and fields into it. */
static void block_seal(struct block *b)
{
    for (size_t i = 0; i < b->nfields; i++) {
        if (b->at[i].name != SIZE_MAX)
            b->fields[i].name = b->text.data + b->at[i].name;
        b->fields[i].value = b->text.data + b->at[i].value;
    }
    for (size_t r = 0, k = 0; r < b->nrows; k += b->rows[r++].n)
        b->rows[r].fields = b->fields + k;
}

static void block_reset(struct block *b)
{
    b->nrows = b->nfields = 0;
    b->end = 0;
    isl_buf_reset(&b->text);
    isl_buf_reset(&b->errs);
}

/* Fill b from the stream; returns with b->end set when the stream ended. */
static void block_fill(struct isl_prefetch *p, struct block *b)
{
    struct isl_error err;

    block_reset(b);
    isl_error_clear(&err); /* once: readers fill all of it on an error */
    while (b->nrows < BLOCK_ROWS && b->text.len < BLOCK_TEXT &&
           !atomic_load_explicit(&p->stop, memory_order_relaxed)) {
        const struct isl_row *row;
        struct source *s;
        int rc;

        rc = isl_stream_next(p->stream, &row, &err);
        if (p->src_failed)
            rc = isl_error_set(&err, ISL_ENOMEM, "prefetch", "out of memory");
        if (rc == ISL_EOF || (rc < 0 && rc != ISL_EROW)) {
            b->end = rc;
            b->end_err = err;
            break;
        }
        if (!(s = source_now(p)) || block_add(b, s, row, rc, &err) < 0) {
            b->end = isl_error_set(&b->end_err, ISL_ENOMEM, "prefetch",
                                   "out of memory");
            break;
        }
    }
    block_seal(b);
    b->bytes_read = isl_stream_bytes_read(p->stream);
    b->bytes_total = isl_stream_bytes_total(p->stream);
}

static void *reading_thread(void *arg)
{
    struct isl_prefetch *p = arg;
    size_t tail = 0;

    for (;;) {
        struct block *b = &p->blocks[tail];
        bool end;

        pthread_mutex_lock(&p->mu);
        while (p->count == NBLOCKS && !atomic_load(&p->stop))
            pthread_cond_wait(&p->freed, &p->mu);
        pthread_mutex_unlock(&p->mu);
        if (atomic_load(&p->stop))
            return NULL;
        block_fill(p, b);
        end = b->end != 0;
        pthread_mutex_lock(&p->mu);
        p->count++;
        pthread_cond_signal(&p->filled);
        pthread_mutex_unlock(&p->mu);
        if (end)
            return NULL;
        tail = (tail + 1) % NBLOCKS;
    }
}

/* ---- the caller ---- */

static void block_free(struct block *b)
{
    free(b->rows);
    free((void *)b->src);
    free(b->rc);
    free(b->fields);
    free(b->at);
    isl_buf_free(&b->errs);
    isl_buf_free(&b->text);
}

int isl_prefetch_open(struct isl_prefetch **out, const char *const *paths,
                      size_t npaths, const struct isl_reader_opts *opts,
                      struct isl_error *err)
{
    struct isl_prefetch *p = calloc(1, sizeof(*p));
    int rc = ISL_ENOMEM;

    *out = NULL;
    if (!p)
        return isl_error_set(err, ISL_ENOMEM, "prefetch", "out of memory");
    p->stop_pipe[0] = p->stop_pipe[1] = -1;
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->filled, NULL);
    pthread_cond_init(&p->freed, NULL);
    for (size_t i = 0; i < NBLOCKS; i++) {
        struct block *b = &p->blocks[i];

        isl_buf_init(&b->text, SIZE_MAX);
        b->rows = malloc(BLOCK_ROWS * sizeof(*b->rows));
        b->src = malloc(BLOCK_ROWS * sizeof(*b->src));
        b->rc = malloc(BLOCK_ROWS * sizeof(*b->rc));
        isl_buf_init(&b->errs, SIZE_MAX);
        if (!b->rows || !b->src || !b->rc)
            goto fail;
    }
    if (pipe(p->stop_pipe) < 0) {
        rc = ISL_EIO;
        goto fail;
    }
    fcntl(p->stop_pipe[0], F_SETFD, FD_CLOEXEC);
    fcntl(p->stop_pipe[1], F_SETFD, FD_CLOEXEC);
    p->opts = *opts;
    p->opts.stop_fd = p->stop_pipe[0];
    if ((rc = isl_stream_open(&p->stream, paths, npaths, &p->opts, err)) < 0)
        goto fail;
    isl_stream_on_end(p->stream, input_ended, p);
    if ((errno = pthread_create(&p->thread, NULL, reading_thread, p)) != 0) {
        rc = ISL_EIO;
        goto fail;
    }
    p->started = true;
    *out = p;
    return 0;
fail:
    if (rc == ISL_ENOMEM)
        isl_error_set(err, ISL_ENOMEM, "prefetch", "out of memory");
    else if (rc == ISL_EIO)
        isl_error_set(err, ISL_EIO, "prefetch",
                      "cannot start the reading thread: %s", strerror(errno));
    isl_prefetch_close(p);
    return rc;
}

int isl_prefetch_next(struct isl_prefetch *p, const struct isl_row **row,
                      struct isl_error *err)
{
    struct block *b;
    size_t r;

    for (;;) {
        if (p->cur && p->pos < p->cur->nrows)
            break;
        if (p->cur && p->cur->end) {
            *err = p->cur->end_err;
            *row = NULL;
            return p->cur->end;
        }
        pthread_mutex_lock(&p->mu);
        if (p->cur) { /* done with it: give it back */
            p->head = (p->head + 1) % NBLOCKS;
            p->count--;
            pthread_cond_signal(&p->freed);
        }
        while (p->count == 0)
            pthread_cond_wait(&p->filled, &p->mu);
        p->cur = &p->blocks[p->head];
        pthread_mutex_unlock(&p->mu);
        p->pos = p->err_pos = 0;
        p->bytes_read = p->cur->bytes_read;
        p->bytes_total = p->cur->bytes_total;
    }
    b = p->cur;
    r = p->pos++;
    *row = &b->rows[r];
    p->last_src = b->src[r];
    if (b->rc[r] == ISL_EROW)
        memcpy(err, b->errs.data + sizeof(*err) * p->err_pos++, sizeof(*err));
    return b->rc[r];
}

const struct isl_source *isl_prefetch_source(const struct isl_prefetch *p)
{
    return p->last_src ? &p->last_src->pub : NULL;
}

const struct isl_source *isl_prefetch_input(const struct isl_prefetch *p,
                                            size_t i)
{
    for (const struct source *s = p->sources; s; s = s->next)
        if (s->input == i)
            return &s->pub;
    return NULL;
}

uint64_t isl_prefetch_bytes_read(const struct isl_prefetch *p)
{
    return p->bytes_read;
}

uint64_t isl_prefetch_bytes_total(const struct isl_prefetch *p)
{
    return p->bytes_total;
}

void isl_prefetch_close(struct isl_prefetch *p)
{
    struct source *s, *next;

    if (!p)
        return;
    if (p->started) {
        pthread_mutex_lock(&p->mu);
        atomic_store(&p->stop, true);
        pthread_cond_signal(&p->freed);
        pthread_mutex_unlock(&p->mu);
        if (write(p->stop_pipe[1], "x", 1) < 0) {
            /* a full or broken pipe still leaves the read end readable */
        }
        pthread_join(p->thread, NULL);
    }
    isl_stream_close(p->stream);
    for (s = p->sources; s; s = next) {
        next = s->next;
        source_free(s);
    }
    for (size_t i = 0; i < NBLOCKS; i++)
        block_free(&p->blocks[i]);
    if (p->stop_pipe[0] >= 0)
        close(p->stop_pipe[0]);
    if (p->stop_pipe[1] >= 0)
        close(p->stop_pipe[1]);
    pthread_cond_destroy(&p->filled);
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
