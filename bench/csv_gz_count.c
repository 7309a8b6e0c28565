/* csv_gz_count.c: baseline: the bare libcsv loop over zlib's gzread, one
 * thread, 64 KiB buffer (what "libcsv over gzread" means in
 * perf-anchors.md). usage: csv_gz_count FILE.gz */
#include <csv.h>
#include <stdio.h>
#include <zlib.h>
static unsigned long fields, rows;
static void cb1(void *s, size_t len, void *d)
{
    (void)s;
    (void)len;
    (void)d;
    fields++;
}
static void cb2(int c, void *d)
{
    (void)c;
    (void)d;
    rows++;
}
int main(int argc, char **argv)
{
    static char buf[65536];
    struct csv_parser p;
    gzFile gz;
    int n;

    if (argc < 2 || !(gz = gzopen(argv[1], "rb")))
        return 1;
    gzbuffer(gz, 65536);
    if (csv_init(&p, 0))
        return 1;
    while ((n = gzread(gz, buf, sizeof buf)) > 0)
        if (csv_parse(&p, buf, (size_t)n, cb1, cb2, NULL) != (size_t)n)
            return 1;
    csv_fini(&p, cb1, cb2, NULL);
    csv_free(&p);
    gzclose(gz);
    fprintf(stderr, "rows=%lu fields=%lu\n", rows, fields);
    return 0;
}
