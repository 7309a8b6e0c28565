/*
 * fuzz_in_runfiles.c: libFuzzer target for the files a run leaves and a
 * later command reads back: the journal (`load --resume`), the manifest
 * (`rollback`) and the JSON Lines repair before appending. The bytes
 * become a file, read plain and gzip'd: no input may crash, hang or
 * leak, whatever it holds.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_journal.h"
#include "isl_jsonl.h"
#include "isl_loader.h"
#include "isl_manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_outcome(void *p, const struct isl_outcome *o)
{
    (void)o;
    (*(size_t *)p)++;
    return 0;
}

static int keep_action(void *p, json_t *a, uint64_t lineno)
{
    (void)a;
    (void)lineno;
    (*(size_t *)p)++;
    return 0;
}

static void read_all(const char *path)
{
    struct isl_journal_state st = {0};
    struct isl_manifest_info info = {0};
    struct isl_jsonl *j = NULL;
    struct isl_error err;
    json_t *head = NULL;
    size_t n = 0;

    isl_error_clear(&err);
    isl_journal_read(path, &st, count_outcome, &n, &err);
    isl_journal_state_free(&st);
    isl_manifest_read(path, &info, keep_action, &n, &err);
    json_decref(info.head);
    isl_manifest_head(path, &head, &err);
    json_decref(head);
    if (isl_jsonl_reopen(&j, path, NULL, NULL, &err) == 0) {
        isl_jsonl_write(j, "{}", 2);
        isl_jsonl_close(j, &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char plain[] = "/tmp/fuzz_runfiles_XXXXXX";
    char gz[64];
    int fd = mkstemp(plain);
    gzFile g;

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(plain);
        return 0;
    }
    close(fd);
    read_all(plain);
    /* the same bytes gzip'd, cut short like a crash would leave them */
    snprintf(gz, sizeof(gz), "%s.gz", plain);
    g = gzopen(gz, "wb1");
    if (g) {
        gzwrite(g, data, (unsigned)size);
        gzclose(g);
        if (size % 3 == 0 && truncate(gz, 10 + (off_t)(size % 40)) != 0)
            unlink(gz);
        read_all(gz);
        unlink(gz);
    }
    unlink(plain);
    return 0;
}
