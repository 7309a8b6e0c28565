/*
 * isl_input.c: file/stdin byte source with gzip and encoding conversion
 * (see isl_input.h for the layering).
 *
 * Buffers: raw[] holds bytes read from the fd; plain bytes come from raw[]
 * directly, or, for gzip, from isl_gunzip, which inflates in a second
 * thread (raw[] then belongs to it); when an encoding is set, plain bytes
 * are staged in conv[] and iconv'd into the caller's buffer. head[] keeps
 * the first decoded bytes for peeking and is drained by the first reads.
 */
#include "isl_setup.h"
#include "isl_input.h"
#include "isl_error.h"
#include "isl_gunzip.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_SIZE ISL_GUNZIP_RAW_SIZE
#define CONV_SIZE (64 * 1024)

struct isl_input {
    char *name;
    int fd;
    bool owns_fd;
    uint64_t raw_size;
    bool regular; /* a regular file: reads never wait */
    int stop_fd;  /* -1, or readable when reading should stop */

    unsigned char *raw; /* bytes from the fd (plain mode) */
    size_t raw_len;     /* valid bytes in raw */
    size_t raw_pos;     /* next unread byte in raw */
    uint64_t raw_off;   /* bytes read from the fd so far */
    bool raw_eof;

    bool gzip;
    struct isl_gunzip *gz; /* the inflater, when gzip */

    iconv_t cd; /* (iconv_t)-1 when no conversion */
    char *encoding;
    char *conv; /* plain bytes waiting for iconv */
    size_t conv_len;
    uint64_t conv_off; /* plain bytes converted so far (for errors) */

    char *head; /* first decoded bytes, for peek */
    size_t head_len, head_pos;
    bool head_filled;
    bool read_started;
};

static int io_error(struct isl_input *in, struct isl_error *err,
                    const char *what)
{
    isl_error_set(err, ISL_EIO, "input", "%s: %s", what, strerror(errno));
    isl_error_at(err, in->name, 0, in->raw_off);
    return ISL_EIO;
}

/* Before reading a pipe or terminal: wait until it has bytes, or fail
 * with "read stopped" once stop_fd is readable (the reading thread is
 * being shut down, see isl_prefetch.c). */
static int wait_readable(struct isl_input *in, struct isl_error *err)
{
    struct pollfd p[2] = {{.fd = in->fd, .events = POLLIN},
                          {.fd = in->stop_fd, .events = POLLIN}};

    if (in->regular || in->stop_fd < 0)
        return 0;
    while (poll(p, 2, -1) < 0)
        if (errno != EINTR)
            return io_error(in, err, "poll failed");
    if (p[1].revents) {
        errno = ECANCELED;
        return io_error(in, err, "read stopped");
    }
    return 0;
}

/* Refill raw[] from the fd. Sets raw_eof at end of file. */
static int raw_fill(struct isl_input *in, struct isl_error *err)
{
    ssize_t n;

    if (wait_readable(in, err) < 0)
        return ISL_EIO;
    do {
        n = read(in->fd, in->raw, RAW_SIZE);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return io_error(in, err, "read failed");
    in->raw_len = (size_t)n;
    in->raw_pos = 0;
    in->raw_off += (uint64_t)n;
    if (n == 0)
        in->raw_eof = true;
    return 0;
}

/* Read plain (decompressed, not yet converted) bytes. */
static int plain_read(struct isl_input *in, char *buf, size_t cap, size_t *got,
                      struct isl_error *err)
{
    int rc;

    if (in->gz)
        return isl_gunzip_read(in->gz, buf, cap, got, err);
    *got = 0;
    if (in->raw_pos == in->raw_len) {
        if (in->raw_eof)
            return 0;
        if ((rc = raw_fill(in, err)) < 0)
            return rc;
    }
    *got = in->raw_len - in->raw_pos;
    if (*got > cap)
        *got = cap;
    memcpy(buf, in->raw + in->raw_pos, *got);
    in->raw_pos += *got;
    return 0;
}

/* Read converted bytes (iconv mode). */
static int conv_read(struct isl_input *in, char *buf, size_t cap, size_t *got,
                     struct isl_error *err)
{
    *got = 0;
    while (*got == 0) {
        size_t more = 0, inleft, outleft = cap, before;
        char *inp, *outp = buf;
        int rc;

        if (in->conv_len < CONV_SIZE) {
            rc = plain_read(in, in->conv + in->conv_len,
                            CONV_SIZE - in->conv_len, &more, err);
            if (rc < 0)
                return rc;
            in->conv_len += more;
        }
        if (in->conv_len == 0)
            return 0;
        inp = in->conv;
        inleft = before = in->conv_len;
        if (iconv(in->cd, &inp, &inleft, &outp, &outleft) == (size_t)-1 &&
            errno != E2BIG) {
            size_t done = before - inleft;

            if (errno == EINVAL && more > 0 && outp == buf) {
                /* incomplete sequence at the end: wait for more bytes */
                memmove(in->conv, inp, inleft);
                in->conv_len = inleft;
                in->conv_off += done;
                continue;
            }
            if (errno == EILSEQ || errno == EINVAL) {
                if (outp != buf) {
                    /* deliver what converted; the error comes next time */
                    memmove(in->conv, inp, inleft);
                    in->conv_len = inleft;
                    in->conv_off += done;
                    *got = (size_t)(outp - buf);
                    return 0;
                }
                isl_error_set(err, ISL_EENCODING, "input",
                              "byte 0x%02x is not valid %s",
                              (unsigned char)*inp, in->encoding);
                isl_error_at(err, in->name, 0, in->conv_off + done);
                return ISL_EENCODING;
            }
            return io_error(in, err, "encoding conversion failed");
        }
        memmove(in->conv, inp, inleft);
        in->conv_len = inleft;
        in->conv_off += before - inleft;
        *got = (size_t)(outp - buf);
        if (*got == 0 && more == 0 && inleft > 0) {
            isl_error_set(err, ISL_EENCODING, "input",
                          "incomplete %s sequence at end of input",
                          in->encoding);
            isl_error_at(err, in->name, 0, in->conv_off);
            return ISL_EENCODING;
        }
    }
    return 0;
}

static int decoded_read(struct isl_input *in, char *buf, size_t cap,
                        size_t *got, struct isl_error *err)
{
    if (in->cd != (iconv_t)-1)
        return conv_read(in, buf, cap, got, err);
    return plain_read(in, buf, cap, got, err);
}

static bool is_utf8_name(const char *enc)
{
    return !enc || !*enc || strcasecmp(enc, "utf-8") == 0 ||
           strcasecmp(enc, "utf8") == 0;
}

/* Convert from encoding from now on (the bytes not yet read included). */
static int start_conversion(struct isl_input *in, const char *encoding,
                            struct isl_error *err)
{
    in->cd = iconv_open("UTF-8", encoding);
    if (in->cd == (iconv_t)-1)
        return isl_error_set(err, ISL_ECONFIG, "input", "unknown encoding '%s'",
                             encoding);
    in->encoding = strdup(encoding);
    in->conv = malloc(CONV_SIZE);
    if (!in->encoding || !in->conv)
        return isl_error_set(err, ISL_ENOMEM, "input", "out of memory");
    return 0;
}

/*
 * UTF-8 was asked for: look at the first bytes for a UTF-16 or UTF-32
 * byte order mark. It is never valid UTF-8, and such files are common
 * (Excel's "Unicode Text", Windows PowerShell's Out-File): convert from
 * what the mark says (iconv's "UTF-16" and "UTF-32" read the mark and
 * drop it). The bytes looked at stay first in head[] or conv[].
 */
static int detect_utf_bom(struct isl_input *in, struct isl_error *err)
{
    const unsigned char *p;
    const char *enc = NULL;
    size_t got;
    int rc;

    if (!(in->head = malloc(ISL_INPUT_PEEK_MAX)))
        return isl_error_set(err, ISL_ENOMEM, "input", "out of memory");
    while (in->head_len < 4) {
        if ((rc = plain_read(in, in->head + in->head_len, 4 - in->head_len,
                             &got, err)) < 0)
            return rc;
        if (got == 0)
            break;
        in->head_len += got;
    }
    p = (const unsigned char *)in->head;
    if (in->head_len >= 4 && (memcmp(p, "\xFF\xFE\0\0", 4) == 0 ||
                              memcmp(p, "\0\0\xFE\xFF", 4) == 0))
        enc = "UTF-32";
    else if (in->head_len >= 2 &&
             (memcmp(p, "\xFF\xFE", 2) == 0 || memcmp(p, "\xFE\xFF", 2) == 0))
        enc = "UTF-16";
    if (!enc)
        return 0;
    if ((rc = start_conversion(in, enc, err)) < 0)
        return rc;
    memcpy(in->conv, in->head, in->head_len);
    in->conv_len = in->head_len;
    in->head_len = 0;
    return 0;
}

int isl_input_open(struct isl_input **out, const char *path,
                   const char *encoding, int stop_fd, struct isl_error *err)
{
    struct isl_input *in = calloc(1, sizeof(*in));
    bool is_stdin = strcmp(path, "-") == 0;
    struct stat st;
    int rc = ISL_ENOMEM;

    *out = NULL;
    if (!in)
        return isl_error_set(err, ISL_ENOMEM, "input", "out of memory");
    in->fd = -1;
    in->stop_fd = stop_fd;
    in->cd = (iconv_t)-1;
    in->name = strdup(is_stdin ? "<stdin>" : path);
    in->raw = malloc(RAW_SIZE);
    if (!in->name || !in->raw)
        goto fail;
    if (is_stdin) {
        in->fd = 0;
    } else {
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            rc = isl_error_set(err, ISL_EIO, "input", "cannot open: %s",
                               strerror(errno));
            isl_error_at(err, in->name, 0, UINT64_MAX);
            goto fail;
        }
        in->owns_fd = true;
        if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            rc = isl_error_set(err, ISL_EIO, "input",
                               "cannot read: is a directory");
            isl_error_at(err, in->name, 0, UINT64_MAX);
            goto fail;
        }
    }
    if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        in->raw_size = (uint64_t)st.st_size;
        in->regular = true;
    }

    /* gzip is recognised by its magic bytes. */
    if ((rc = raw_fill(in, err)) < 0)
        goto fail;
    while (!in->raw_eof && in->raw_len < 2) {
        /* a pipe may deliver a single byte first */
        ssize_t n;

        if ((rc = wait_readable(in, err)) < 0)
            goto fail;
        n = read(in->fd, in->raw + in->raw_len, RAW_SIZE - in->raw_len);
        if (n <= 0)
            break;
        in->raw_len += (size_t)n;
        in->raw_off += (uint64_t)n;
    }
    if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
        unsigned char *raw = in->raw;

        in->gzip = true;
        in->raw = NULL; /* the inflater's now */
        if ((rc = isl_gunzip_open(&in->gz, in->fd, in->name, raw, in->raw_len,
                                  stop_fd, err)) < 0) {
            isl_error_at(err, in->name, 0, UINT64_MAX);
            goto fail;
        }
    }

    rc = is_utf8_name(encoding) ? detect_utf_bom(in, err)
                                : start_conversion(in, encoding, err);
    if (rc < 0)
        goto fail;
    *out = in;
    return 0;
fail:
    if (rc == ISL_ENOMEM)
        isl_error_set(err, ISL_ENOMEM, "input", "out of memory");
    isl_input_close(in);
    return rc;
}

int isl_input_peek(struct isl_input *in, const char **p, size_t *n,
                   struct isl_error *err)
{
    if (!in->head_filled) {
        int rc;

        if (!in->head)
            in->head = malloc(ISL_INPUT_PEEK_MAX);
        if (!in->head)
            return isl_error_set(err, ISL_ENOMEM, "input", "out of memory");
        in->head_filled = true;
        while (in->head_len < ISL_INPUT_PEEK_MAX) {
            size_t got;

            rc = decoded_read(in, in->head + in->head_len,
                              ISL_INPUT_PEEK_MAX - in->head_len, &got, err);
            if (rc < 0)
                return rc;
            if (got == 0)
                break;
            in->head_len += got;
        }
        if (in->head_len >= 3 && memcmp(in->head, "\xEF\xBB\xBF", 3) == 0)
            in->head_pos = 3;
    }
    *p = in->head + in->head_pos;
    *n = in->head_len - in->head_pos;
    return 0;
}

int isl_input_read(struct isl_input *in, char *buf, size_t cap, size_t *got,
                   struct isl_error *err)
{
    if (!in->head_filled) {
        const char *p;
        size_t n;
        int rc = isl_input_peek(in, &p, &n, err);

        if (rc < 0)
            return rc;
    }
    in->read_started = true;
    if (in->head_pos < in->head_len) {
        size_t n = in->head_len - in->head_pos;

        if (n > cap)
            n = cap;
        memcpy(buf, in->head + in->head_pos, n);
        in->head_pos += n;
        *got = n;
        if (in->head_pos == in->head_len) {
            free(in->head);
            in->head = NULL;
            in->head_len = in->head_pos = 0;
        }
        return 0;
    }
    return decoded_read(in, buf, cap, got, err);
}

const char *isl_input_name(const struct isl_input *in)
{
    return in->name;
}

bool isl_input_is_gzip(const struct isl_input *in)
{
    return in->gzip;
}

bool isl_input_is_converted(const struct isl_input *in)
{
    return in->cd != (iconv_t)-1;
}

uint64_t isl_input_raw_offset(const struct isl_input *in)
{
    return in->gz ? isl_gunzip_raw_offset(in->gz) : in->raw_off;
}

uint64_t isl_input_raw_size(const struct isl_input *in)
{
    return in->raw_size;
}

void isl_input_close(struct isl_input *in)
{
    if (!in)
        return;
    isl_gunzip_close(in->gz); /* before the fd it reads is closed */
    if (in->cd != (iconv_t)-1)
        iconv_close(in->cd);
    if (in->owns_fd && in->fd >= 0)
        close(in->fd);
    free(in->head);
    free(in->conv);
    free(in->encoding);
    free(in->raw);
    free(in->name);
    free(in);
}
