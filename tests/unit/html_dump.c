/*
 * html_dump.c: write the HTML report for a report JSON file, for the
 * headless-browser check in tests/cli/html_render.sh (which must not wait
 * for `isload validate` to exist).
 *
 *     html_dump REPORT.json OUT.html      ("-" for stdout)
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "isl_html.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    struct isl_error err;
    json_error_t jerr;
    json_t *doc = NULL;
    FILE *f = NULL;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: html_dump REPORT.json OUT.html\n");
        return 2;
    }
    isl_error_clear(&err);
    if (!(doc = json_load_file(argv[1], 0, &jerr))) {
        fprintf(stderr, "html_dump: %s:%d: %s\n", argv[1], jerr.line,
                jerr.text);
        goto out;
    }
    f = strcmp(argv[2], "-") == 0 ? stdout : fopen(argv[2], "w");
    if (!f) {
        perror(argv[2]);
        goto out;
    }
    if (isl_html_write(f, doc, &err) < 0) {
        fprintf(stderr, "html_dump: %s: %s\n", argv[2], err.msg);
        goto out;
    }
    rc = 0;
out:
    if (f && f != stdout && fclose(f) != 0)
        rc = 1;
    json_decref(doc);
    return rc;
}
