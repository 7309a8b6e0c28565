/* in_stub.c: placeholders for the XML and JSON readers (being written). */
#include "isl_setup.h"
#include "isl_reader_int.h"
#include "isl_error.h"

static int stub_open(struct isl_reader *r, struct isl_error *err)
{
    return isl_error_set(err, ISL_ECONFIG, "reader",
                         "format %s is not supported yet",
                         isl_format_name(r->opts.format));
}
static int stub_next(struct isl_reader *r, struct isl_row **row,
                     struct isl_error *err)
{
    (void)r;
    (void)row;
    (void)err;
    return ISL_EOF;
}
static void stub_close(struct isl_reader *r)
{
    (void)r;
}
const struct isl_reader_type isl_in_xml = {"xml", ISL_FMT_XML, 1, stub_open,
                                           stub_next, stub_close};
