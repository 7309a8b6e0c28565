/*
 * fuzz_in_csv_paths.c: libFuzzer target proving that the CSV reader's two
 * paths agree. The bytes become a file that is read, with each option set
 * below, by the hand-written tokenizer and by libcsv (csv_libcsv), each
 * with 64 KiB reads and with small reads (1 to 64 bytes, derived from the
 * input so a crash file replays the same way). Any difference in return
 * codes, rows, values, positions or error messages aborts (see
 * csv_trace.h). With an escape character only libcsv reads, so its small
 * and large reads are compared.
 *
 * FUZZ_CSV_SET=N (environment) runs only option set N, to spend a whole
 * run on one set.
 */
#include "isl_setup.h"
#include "csv_trace.h"

#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const two_cols[] = {"a", "b"};

static const struct isl_reader_opts sets[] = {
    {.format = ISL_FMT_CSV}, /* delimiter sniffed */
    {.format = ISL_FMT_CSV,
     .delimiter = ',',
     .max_field = 16,
     .max_record = 64},
    {.format = ISL_FMT_CSV, .delimiter = '\t', .lenient = true},
    {.format = ISL_FMT_CSV, .delimiter = ';', .quote = '\'', .no_header = true},
    {.format = ISL_FMT_CSV,
     .delimiter = '|',
     .no_header = true,
     .columns = two_cols,
     .ncolumns = 2,
     .lenient = true,
     .max_field = 5,
     .max_record = 20},
    {.format = ISL_FMT_CSV,
     .delimiter = ',',
     .encoding = "windows-1252",
     .max_field = 3,
     .max_record = 3},
    {.format = ISL_FMT_CSV,
     .delimiter = ' ',
     .quote = 'x',
     .lenient = true,
     .max_field = 1,
     .max_record = 8},
    {.format = ISL_FMT_CSV,
     .delimiter = ',',
     .escape = '\\',
     .max_field = 16,
     .max_record = 64},
    {.format = ISL_FMT_CSV,
     .delimiter = ';',
     .quote = '\'',
     .escape = '\'',
     .lenient = true},
};

static struct isl_buf traces[4];

static uint32_t hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Read path with set s both ways and abort on any difference. */
static void check_set(const char *path, size_t s, uint32_t h)
{
    struct isl_reader_opts o = sets[s];
    char what[64];
    int bad = 0;

    snprintf(what, sizeof(what), "option set %zu", s);
    csv_trace(&traces[0], path, &o);
    o.read_chunk = 1 + h % 64;
    csv_trace(&traces[1], path, &o);
    bad |= csv_trace_diff(what, "64 KiB reads", &traces[0], "small reads",
                          &traces[1]);
    if (!o.escape) {
        o.csv_libcsv = true;
        o.read_chunk = 0;
        csv_trace(&traces[2], path, &o);
        bad |=
            csv_trace_diff(what, "tokenizer", &traces[0], "libcsv", &traces[2]);
        o.read_chunk = 1 + (h >> 8) % 64;
        csv_trace(&traces[3], path, &o);
        bad |= csv_trace_diff(what, "tokenizer", &traces[0],
                              "libcsv, small reads", &traces[3]);
    }
    if (bad)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_in_csv_paths_XXXXXX";
    const char *only = getenv("FUZZ_CSV_SET");
    int fd = mkstemp(path);
    uint32_t h = hash(data, size);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    if (!traces[0].cap)
        for (size_t i = 0; i < ISL_ARRAY_LEN(traces); i++)
            isl_buf_init(&traces[i], (size_t)1 << 30);
    for (size_t s = 0; s < ISL_ARRAY_LEN(sets); s++)
        if (!only || (size_t)atoi(only) == s)
            check_set(path, s, h);
    unlink(path);
    return 0;
}
