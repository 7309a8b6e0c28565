/*
 * in_xml.c: the XML reader, on libxml2's xmlTextReader (a pull parser
 * that builds only the nodes around the cursor and frees them behind it,
 * never a whole DOM).
 *
 *   isl_input --xml_ioread--> xmlReaderForIO --xmlTextReaderRead--> node
 *     element at the record path          -> a record starts: its
 *                                            attributes become "@name"
 *     element one level below a record    -> a field starts; its
 *                                            display_value attribute
 *                                            becomes "NAME.display_value"
 *     text, CDATA, whitespace in a field  -> appended to the field value
 *     end of the field / of the record    -> value closed / row ready
 *
 * Record path: r->opts.record_path is absolute, "/unload/sys_user" or
 * "/export/items/item"; each step is a name or "*" (any element). A step
 * matches an element's qualified name as written ("ns:item") or, when the
 * step has no prefix, its local name. Records are the elements that match
 * every step, so they all sit at one depth and never nest. The default
 * (NULL or "") is "/" "*" "/" "*": every child of the root, which is
 * ServiceNow's unload format (<unload><sys_user action="...">...).
 *
 * Values: the value of a field is the text content of the child element
 * (XPath string-value): entities, character references and CDATA are
 * decoded, and the text of nested grandchildren is concatenated in
 * document order, with the whitespace between them as written. <x/> and
 * <x></x> are "". Text directly inside a record, comments and processing
 * instructions are ignored, as are the child's attributes other than
 * display_value. Fields appear in document order (@attributes first); a
 * name that repeats in one record is a row error (rule "duplicate_field").
 * Names are interned (a per-position cache keyed by libxml2's dictionary
 * pointers, then a hash table), so the same name is the same pointer in
 * every row.
 *
 * Security: no XML_PARSE_NOENT, DTDLOAD or HUGE, and NONET: no external
 * entity or DTD is ever loaded, and libxml2 keeps its limits (entity
 * amplification checks, 10 MB per text node, 10 MB of distinct names). A
 * reference to any entity other than the five predefined ones, in text
 * or in an attribute value, is a fatal error ("entity references are not
 * allowed: &xxe;"). Attribute values are read from the node's children,
 * never with xmlNodeListGetString, which would expand nested entities
 * (billion laughs) without a limit.
 *
 * Limits: a value longer than max_field is a row error ("field_size")
 * and one longer than max_record a row error ("record_size"); the reader
 * stops copying at the cap, so its memory stays bounded. Without
 * XML_PARSE_HUGE libxml2 refuses one text node over 10,000,000 bytes:
 * that is a fatal error, whatever max_field is.
 *
 * Errors: libxml2's messages are caught by a structured error handler on
 * the reader, and by the thread's global handlers while libxml2 runs for
 * this reader (encoding and I/O errors are raised without a parser), so
 * nothing goes to stderr. The most severe error, the first of its level,
 * becomes a fatal isl_reader__parse_error with its line. When the parser
 * stopped at the end of the input inside a record, the error is "unexpected
 * end of input inside record N, which starts on line L" at line L; libxml2's
 * own message there ("attributes construct error") would mislead. An
 * input with no bytes but whitespace has no rows (ISL_EOF), like an empty
 * CSV. Offsets of fatal errors are not known (UINT64_MAX).
 *
 * Position: pos.line is the line of the record's start tag (libxml2 keeps
 * it in the node; past line 65535 the node saturates, and the line comes
 * from the first text node of the record, XML_PARSE_BIG_LINES, less the
 * newlines in it). pos.offset is the byte offset of the '<' of the
 * record's start tag in the decoded stream (what isl_input delivers).
 * libxml2 parses ahead of the node it returns and keeps no offsets, so
 * isl_xmltags lexes the bytes as xml_ioread hands them over and queues
 * the offsets of the start tags at the record depth; every element at
 * that depth that libxml2 returns takes the next one. Bytes below 0x80
 * must be ASCII: for a document in UTF-16, UCS-4 or EBCDIC, or declaring
 * an encoding other than UTF-8, ASCII, ISO-8859-* or windows-125*,
 * pos.offset is UINT64_MAX (not known), as it is from where the lexer is
 * lost or out of step with libxml2 (it then never guesses again).
 *
 * Encoding: libxml2 follows the XML declaration. When isl_input converts
 * (an encoding other than UTF-8 is configured), libxml2 is told the bytes
 * are UTF-8 and to ignore the declaration. libxml2 rejects invalid UTF-8
 * itself, as a fatal error, so values need no check here.
 */
#include "isl_setup.h"
#include "isl_reader_int.h"
#include "isl_buf.h"
#include "isl_error.h"
#include "isl_input.h"
#include "isl_xmltags.h"

#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_ptr;
#else
typedef xmlErrorPtr xml_error_ptr;
#endif

#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT)
#define NO_OFFSET UINT64_MAX /* parse errors: offset not known */
#define LINE_SATURATED 65535 /* xmlNode.line is an unsigned short */
#define NAMES_MAX_BYTES ((size_t)32 * 1024 * 1024) /* interned names */

enum name_kind {
    KIND_ELEMENT, /* "name" */
    KIND_DISPLAY, /* "name.display_value" */
    KIND_ATTR,    /* "@name" */
};

/* An interned field name. */
struct xml_name {
    struct xml_name *next; /* hash chain */
    uint64_t stamp;        /* last record that used it (duplicates) */
    uint32_t hash;
    size_t len;
    char s[]; /* NUL-terminated */
};

/* Fast path: the name at field position i of the last record. */
struct xml_cache {
    const xmlChar *name, *prefix; /* libxml2 dictionary strings */
    enum name_kind kind;
    struct xml_name *nm;
};

/* A field of the open record; its value is rowbuf.data[off..off+len). */
struct xml_slot {
    struct xml_name *nm;
    size_t off, len;
};

struct xml_ctx {
    struct isl_reader *r;
    xmlTextReaderPtr reader;

    struct isl_error ioerr; /* why xml_ioread failed */
    bool io_failed, io_eof;
    bool blank;     /* only whitespace read so far */
    uint64_t total; /* bytes handed to libxml2 */

    struct isl_xmltags tags; /* start tags at the record depth */
    bool offsets;            /* tags can be trusted */
    bool enc_checked;        /* the document's encoding was looked at */
    uint64_t rec_offset;     /* offset of the open record, or NO_OFFSET */

    int xerr_level; /* most severe libxml2 error, first of its level */
    int xerr_code;
    uint64_t xerr_line;
    char xerr_msg[256];

    char *path; /* record path steps, NUL-separated */
    const char **steps;
    size_t nsteps;
    bool *onpath; /* onpath[d]: the open element at depth d matches */

    uint64_t records; /* records started */
    bool in_record;
    bool line_known; /* rec_line is exact */
    uint64_t rec_line;
    int rec_depth; /* depth of record elements: nsteps - 1 */
    bool in_field;
    size_t field;     /* slot of the open field */
    size_t field_len; /* text bytes seen for it, capped or not */
    bool field_over;  /* the open field passed max_field */
    bool rec_over;    /* the record passed max_record */
    size_t record_bytes;

    const char *prob_rule; /* first row problem, or NULL */
    char prob_field[128];
    char prob_msg[256];

    struct isl_buf rowbuf; /* values of the open record, NUL-terminated */
    struct xml_slot *slots;
    size_t nslots, aslots;
    struct xml_cache *cache;
    size_t acache;

    struct xml_name **tab; /* interned names, chained hash table */
    size_t tabsize, nnames, name_bytes;
    struct isl_buf scratch; /* a name being composed */

    struct isl_field *fields;
    size_t afields;
    struct isl_row row;
    bool row_out; /* a row was returned; reset on the next call */
    bool done;
};

/* ---- libxml2 glue ---- */

static int xml_ioread(void *arg, char *buf, int len)
{
    struct isl_reader *r = arg;
    struct xml_ctx *c = r->ctx;
    size_t got = 0;

    if (c->io_failed)
        return -1;
    if (len <= 0)
        return 0;
    if (isl_input_read(r->in, buf, (size_t)len, &got, &c->ioerr) < 0) {
        c->io_failed = true;
        return -1;
    }
    if (got == 0)
        c->io_eof = true;
    if (c->offsets)
        isl_xmltags_scan(&c->tags, buf, got);
    c->total += got;
    for (size_t i = 0; c->blank && i < got; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
            c->blank = false;
    return (int)got;
}

static int xml_ioclose(void *arg)
{
    (void)arg;
    return 0;
}

/* Keep the most severe error, the first one of that level. */
static void xml_on_error(void *arg, xml_error_ptr e)
{
    struct xml_ctx *c = arg;
    size_t n;

    if (!e || (int)e->level <= c->xerr_level || e->level < XML_ERR_ERROR)
        return;
    c->xerr_level = (int)e->level;
    c->xerr_code = e->code;
    c->xerr_line = e->line > 0 ? (uint64_t)e->line : 0;
    snprintf(c->xerr_msg, sizeof(c->xerr_msg), "%s",
             e->message ? e->message : "malformed XML");
    for (char *p = c->xerr_msg; (p = strchr(p, '\n')) != NULL;) {
        if (p[1] == '\0') {
            *p = '\0'; /* one line: "... encoding !\nBytes: ..." */
        } else if (p > c->xerr_msg && p[-1] == '!') {
            p[-1] = ';';
            *p = ' ';
            if (p - 1 > c->xerr_msg && p[-2] == ' ')
                memmove(p - 2, p - 1, strlen(p - 1) + 1);
        } else {
            *p = ' ';
        }
    }
    n = strlen(c->xerr_msg);
    while (n && (c->xerr_msg[n - 1] == '\n' || c->xerr_msg[n - 1] == ' ' ||
                 c->xerr_msg[n - 1] == '.'))
        c->xerr_msg[--n] = '\0';
    if (c->xerr_msg[0] >= 'A' && c->xerr_msg[0] <= 'Z' &&
        !(c->xerr_msg[1] >= 'A' && c->xerr_msg[1] <= 'Z'))
        c->xerr_msg[0] = (char)(c->xerr_msg[0] - 'A' + 'a');
}

/* The line of a node, or 0 when libxml2 only knows it saturated. */
static uint64_t node_line(xmlNodePtr n)
{
    long l;

    if (n->line != LINE_SATURATED)
        return n->line;
    if (n->type != XML_TEXT_NODE || !n->psvi)
        return 0;
    l = xmlGetLineNo(n);
    return l > 0 ? (uint64_t)l : 0;
}

/* ---- names ---- */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int tab_grow(struct xml_ctx *c)
{
    size_t n = c->tabsize ? c->tabsize * 2 : 64;
    struct xml_name **t = calloc(n, sizeof(*t));

    if (!t)
        return ISL_ENOMEM;
    for (size_t i = 0; i < c->tabsize; i++)
        while (c->tab[i]) {
            struct xml_name *nm = c->tab[i];

            c->tab[i] = nm->next;
            nm->next = t[nm->hash & (n - 1)];
            t[nm->hash & (n - 1)] = nm;
        }
    free(c->tab);
    c->tab = t;
    c->tabsize = n;
    return 0;
}

/* The interned name for kind/prefix/name; NULL when out of memory. */
static struct xml_name *intern(struct xml_ctx *c, enum name_kind kind,
                               const xmlChar *prefix, const xmlChar *name)
{
    struct isl_buf *b = &c->scratch;
    struct xml_name *nm;
    uint32_t h;
    int rc = 0;

    isl_buf_reset(b);
    if (kind == KIND_ATTR)
        rc |= isl_buf_addc(b, '@');
    if (prefix) {
        rc |= isl_buf_adds(b, (const char *)prefix);
        rc |= isl_buf_addc(b, ':');
    }
    rc |= isl_buf_adds(b, (const char *)name);
    if (kind == KIND_DISPLAY)
        rc |= isl_buf_adds(b, ".display_value");
    if (rc != 0 || !b->data)
        return NULL;
    h = hash_bytes(b->data, b->len);
    if (c->tabsize)
        for (nm = c->tab[h & (c->tabsize - 1)]; nm; nm = nm->next)
            if (nm->hash == h && nm->len == b->len &&
                memcmp(nm->s, b->data, b->len) == 0)
                return nm;
    if (c->name_bytes + b->len > NAMES_MAX_BYTES)
        return NULL;
    if (c->nnames >= c->tabsize / 2 && tab_grow(c) < 0)
        return NULL;
    nm = malloc(sizeof(*nm) + b->len + 1);
    if (!nm)
        return NULL;
    nm->stamp = 0;
    nm->hash = h;
    nm->len = b->len;
    memcpy(nm->s, b->data, b->len + 1);
    nm->next = c->tab[h & (c->tabsize - 1)];
    c->tab[h & (c->tabsize - 1)] = nm;
    c->nnames++;
    c->name_bytes += b->len;
    return nm;
}

/* Note the first problem of the record (reported when it ends). */
static void problem(struct xml_ctx *c, const char *rule, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void problem(struct xml_ctx *c, const char *rule, const char *field,
                    const char *fmt, ...)
{
    va_list ap;

    if (c->prob_rule)
        return;
    c->prob_rule = rule;
    snprintf(c->prob_field, sizeof(c->prob_field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(c->prob_msg, sizeof(c->prob_msg), fmt, ap);
    va_end(ap);
}

/*
 * Open a slot (*out) for the next field of the record. Returns 0, -1 when
 * the field is dropped (the record is over its cap, or the name repeats:
 * noted as a problem), or -2 when out of memory.
 */
static int add_slot(struct xml_ctx *c, enum name_kind kind,
                    const xmlChar *prefix, const xmlChar *name, size_t *out)
{
    size_t i = c->nslots;
    struct xml_name *nm;

    if (c->rec_over)
        return -1;
    if (i == c->acache) {
        size_t n = c->acache ? c->acache * 2 : 32;
        struct xml_cache *k = realloc(c->cache, n * sizeof(*k));

        if (!k)
            return -2;
        memset(k + c->acache, 0, (n - c->acache) * sizeof(*k));
        c->cache = k;
        c->acache = n;
    }
    if (i == c->aslots) {
        size_t n = c->aslots ? c->aslots * 2 : 32;
        struct xml_slot *s = realloc(c->slots, n * sizeof(*s));

        if (!s)
            return -2;
        c->slots = s;
        c->aslots = n;
    }
    if (c->cache[i].nm && c->cache[i].name == name &&
        c->cache[i].prefix == prefix && c->cache[i].kind == kind) {
        nm = c->cache[i].nm;
    } else {
        if (!(nm = intern(c, kind, prefix, name)))
            return -2;
        c->cache[i].name = name;
        c->cache[i].prefix = prefix;
        c->cache[i].kind = kind;
        c->cache[i].nm = nm;
    }
    if (nm->stamp == c->records) {
        problem(c, "duplicate_field", nm->s,
                "field appears more than once in the record");
        return -1;
    }
    nm->stamp = c->records;
    c->slots[i].nm = nm;
    c->slots[i].off = c->rowbuf.len;
    c->slots[i].len = 0;
    c->nslots++;
    *out = i;
    return 0;
}

/* Account for n more value bytes of the record; false when over its cap. */
static bool record_room_for(struct isl_reader *r, struct xml_ctx *c, size_t n)
{
    if (c->rec_over)
        return false;
    c->record_bytes += n;
    if (c->record_bytes > r->opts.max_record) {
        c->rec_over = true;
        problem(c, "record_size", NULL, "record is longer than %zu bytes",
                r->opts.max_record);
        return false;
    }
    return true;
}

/* Append a complete value (attribute) to a new slot. */
static int add_value(struct isl_reader *r, struct xml_ctx *c,
                     enum name_kind kind, const xmlChar *prefix,
                     const xmlChar *name, xmlNodePtr text)
{
    size_t i = 0, start;
    int rc = add_slot(c, kind, prefix, name, &i);

    if (rc < -1)
        return ISL_ENOMEM;
    if (rc < 0)
        return 0;
    start = c->rowbuf.len;
    for (xmlNodePtr t = text; t; t = t->next) {
        size_t n;

        if (t->type != XML_TEXT_NODE || !t->content)
            continue;
        n = strlen((const char *)t->content);
        if (c->slots[i].len + n > r->opts.max_field) {
            problem(c, "field_size", c->slots[i].nm->s,
                    "value is longer than %zu bytes", r->opts.max_field);
            c->rowbuf.len = start;
            c->slots[i].len = 0;
            break;
        }
        if (!record_room_for(r, c, n + 1)) {
            c->rowbuf.len = start;
            c->slots[i].len = 0;
            break;
        }
        if (isl_buf_add(&c->rowbuf, t->content, n) < 0)
            return ISL_ENOMEM;
        c->slots[i].len += n;
    }
    return isl_buf_addc(&c->rowbuf, '\0') < 0 ? ISL_ENOMEM : 0;
}

/* ---- records ---- */

static int entity_error(struct isl_reader *r, struct isl_error *err,
                        xmlNodePtr at, const xmlChar *name)
{
    struct xml_ctx *c = r->ctx;
    uint64_t line = 0;

    for (xmlNodePtr n = at; n && !line; n = n->prev ? n->prev : n->parent)
        if (n->type == XML_ELEMENT_NODE || n->type == XML_TEXT_NODE)
            line = node_line(n);
    if (!line)
        line = c->in_record ? c->rec_line : 0;
    return isl_reader__parse_error(r, err, line, NO_OFFSET,
                                   "entity references are not allowed: &%s;",
                                   name ? (const char *)name : "");
}

/* Any entity reference among an attribute's value nodes? */
static xmlNodePtr attr_entity(xmlAttrPtr a)
{
    for (xmlNodePtr t = a->children; t; t = t->next)
        if (t->type == XML_ENTITY_REF_NODE)
            return t;
    return NULL;
}

static int start_record(struct isl_reader *r, struct xml_ctx *c,
                        xmlNodePtr node, struct isl_error *err)
{
    int rc;

    c->records++;
    c->in_record = true;
    c->rec_line = node_line(node);
    c->line_known = c->rec_line != 0;
    if (!c->line_known)
        c->rec_line = (uint64_t)xmlTextReaderGetParserLineNumber(c->reader);
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        xmlNodePtr e = attr_entity(a);

        if (e)
            return entity_error(r, err, node, e->name);
        rc = add_value(r, c, KIND_ATTR,
                       a->ns && a->ns->prefix ? a->ns->prefix : NULL, a->name,
                       a->children);
        if (rc < 0)
            return isl_error_set(err, rc, "in_xml", "out of memory");
    }
    return 0;
}

static int start_field(struct isl_reader *r, struct xml_ctx *c, xmlNodePtr node,
                       struct isl_error *err)
{
    const xmlChar *prefix = node->ns ? node->ns->prefix : NULL;
    size_t i = 0;
    int rc = add_slot(c, KIND_ELEMENT, prefix, node->name, &i);

    if (rc < -1)
        return isl_error_set(err, ISL_ENOMEM, "in_xml", "out of memory");
    c->in_field = rc == 0;
    c->field = i;
    c->field_len = 0;
    c->field_over = false;
    for (xmlAttrPtr a = node->properties; a; a = a->next) {
        xmlNodePtr e = attr_entity(a);

        if (e)
            return entity_error(r, err, node, e->name);
        if (a->ns || strcmp((const char *)a->name, "display_value") != 0)
            continue;
        rc = add_value(r, c, KIND_DISPLAY, prefix, node->name, a->children);
        if (rc < 0)
            return isl_error_set(err, rc, "in_xml", "out of memory");
    }
    if (c->in_field) /* the text comes after any display value */
        c->slots[i].off = c->rowbuf.len;
    return 0;
}

static void field_text(struct isl_reader *r, struct xml_ctx *c, const char *s)
{
    struct xml_slot *sl = &c->slots[c->field];
    size_t n = strlen(s);

    if (c->field_over || c->rec_over)
        return;
    c->field_len += n;
    if (c->field_len > r->opts.max_field) {
        c->field_over = true;
        problem(c, "field_size", sl->nm->s, "value is longer than %zu bytes",
                r->opts.max_field);
        c->rowbuf.len = sl->off; /* drop what was kept */
        c->record_bytes -= sl->len;
        sl->len = 0;
        return;
    }
    if (!record_room_for(r, c, n) || isl_buf_add(&c->rowbuf, s, n) < 0) {
        c->rec_over = true;
        if (!c->prob_rule)
            problem(c, "record_size", NULL, "record is longer than %zu bytes",
                    r->opts.max_record);
        c->rowbuf.len = sl->off;
        sl->len = 0;
        return;
    }
    sl->len += n;
}

static int end_field(struct xml_ctx *c, struct isl_error *err)
{
    if (!c->in_field)
        return 0;
    c->in_field = false;
    if (isl_buf_addc(&c->rowbuf, '\0') < 0)
        return isl_error_set(err, ISL_ENOMEM, "in_xml", "out of memory");
    c->record_bytes++;
    return 0;
}

/* The record has ended: build c->row. Returns ISL_OK or ISL_EROW. */
static int finish_record(struct isl_reader *r, struct xml_ctx *c,
                         struct isl_row **out, struct isl_error *err)
{
    if (c->nslots > c->afields) {
        struct isl_field *f = realloc(c->fields, c->nslots * sizeof(*f));

        if (!f)
            return isl_error_set(err, ISL_ENOMEM, "in_xml", "out of memory");
        c->fields = f;
        c->afields = c->nslots;
    }
    for (size_t i = 0; i < c->nslots; i++) {
        c->fields[i].name = c->slots[i].nm->s;
        c->fields[i].value =
            c->rowbuf.data ? c->rowbuf.data + c->slots[i].off : "";
        c->fields[i].len = c->slots[i].len;
        if (c->rowbuf.data)
            c->rowbuf.data[c->slots[i].off + c->slots[i].len] = '\0';
    }
    c->row.pos.file = r->name;
    c->row.pos.line = c->rec_line;
    c->row.pos.record = c->records;
    c->row.pos.offset = c->rec_offset;
    c->row.fields = c->fields;
    c->row.n = c->nslots;
    c->in_record = false;
    c->row_out = true;
    *out = &c->row;
    if (c->prob_rule)
        return isl_reader__row_error(r, &c->row, err,
                                     c->prob_field[0] ? c->prob_field : NULL,
                                     c->prob_rule, "%s", c->prob_msg);
    return ISL_OK;
}

static void reset_record(struct xml_ctx *c)
{
    c->row_out = false;
    c->nslots = 0;
    c->in_field = false;
    c->field_over = false;
    c->rec_over = false;
    c->record_bytes = 0;
    c->prob_rule = NULL;
    isl_buf_reset(&c->rowbuf);
}

/* Does element node match path step s? */
static bool step_matches(const char *s, xmlNodePtr node)
{
    const char *name = (const char *)node->name;
    const char *prefix =
        node->ns && node->ns->prefix ? (const char *)node->ns->prefix : NULL;
    const char *colon;
    size_t pl;

    if (s[0] == '*' && s[1] == '\0')
        return true;
    colon = strchr(s, ':');
    if (!colon)
        return strcmp(s, name) == 0;
    pl = (size_t)(colon - s);
    return prefix && strlen(prefix) == pl && memcmp(s, prefix, pl) == 0 &&
           strcmp(colon + 1, name) == 0;
}

/* libxml2 has failed (Read returned -1): say why. */
static int read_failed(struct isl_reader *r, struct xml_ctx *c,
                       struct isl_error *err)
{
    /*
     * The input is cut short when the parser stopped at its very end, or
     * (text at the end is not consumed) when libxml2 says so: "premature
     * end of data", or in 2.9 "extra content at the end of the document".
     */
    long used = xmlTextReaderByteConsumed(c->reader);
    bool at_end = c->io_eof && used >= 0 && (uint64_t)used >= c->total;
    bool cut = at_end || (c->io_eof && c->in_record &&
                          (c->xerr_code == XML_ERR_TAG_NOT_FINISHED ||
                           c->xerr_code == XML_ERR_DOCUMENT_END));

    c->done = true;
    if (!c->xerr_line) { /* errors raised outside the parser */
        int l = xmlTextReaderGetParserLineNumber(c->reader);

        c->xerr_line = l > 0 ? (uint64_t)l : 0;
    }
    if (c->io_failed) {
        *err = c->ioerr;
        return c->ioerr.code < 0 ? c->ioerr.code : ISL_EIO;
    }
    if (c->blank && c->io_eof && c->records == 0)
        return ISL_EOF;
    if (c->in_record && cut)
        return isl_reader__parse_error(
            r, err, c->rec_line, NO_OFFSET,
            "unexpected end of input inside record %llu, which starts on "
            "line %llu",
            (unsigned long long)c->records, (unsigned long long)c->rec_line);
    if (at_end && c->xerr_level)
        return isl_reader__parse_error(r, err, c->xerr_line, NO_OFFSET,
                                       "unexpected end of input: %s",
                                       c->xerr_msg);
    if (c->xerr_code == XML_ERR_NO_MEMORY &&
        strstr(c->xerr_msg, "huge text node"))
        return isl_reader__parse_error(
            r, err, c->xerr_line, NO_OFFSET,
            "a text node is longer than %d bytes, libxml2's limit",
            XML_MAX_TEXT_LENGTH);
    if (c->xerr_code == XML_ERR_ENTITY_LOOP) {
        /* raised inside the entity's text, whose line is not the file's */
        int l = xmlTextReaderGetParserLineNumber(c->reader);

        return isl_reader__parse_error(
            r, err, l > 0 ? (uint64_t)l : c->xerr_line, NO_OFFSET,
            "entity expansion refused (entity references are not allowed): "
            "%s",
            c->xerr_msg);
    }
    if (c->xerr_level)
        return isl_reader__parse_error(r, err, c->xerr_line, NO_OFFSET, "%s",
                                       c->xerr_msg);
    return isl_reader__parse_error(r, err, c->xerr_line, NO_OFFSET,
                                   "malformed XML");
}

/*
 * Some libxml2 errors (encoding conversion, I/O) are raised with no parser
 * context and go to the thread's global handlers, stderr by default.
 * Catch them too while libxml2 runs for this reader.
 */
struct xml_handlers {
    xmlStructuredErrorFunc fn;
    void *arg;
    xmlGenericErrorFunc gfn;
    void *garg;
};

static void xml_on_generic(void *arg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void xml_on_generic(void *arg, const char *fmt, ...)
{
    (void)arg; /* "xmlParseChunk: encoder error": also raised as an error */
    (void)fmt;
}

static struct xml_handlers catch_errors(struct xml_ctx *c)
{
    struct xml_handlers h = {xmlStructuredError, xmlStructuredErrorContext,
                             xmlGenericError, xmlGenericErrorContext};

    xmlSetStructuredErrorFunc(c, xml_on_error);
    xmlSetGenericErrorFunc(NULL, xml_on_generic);
    return h;
}

static void release_errors(struct xml_handlers h)
{
    xmlSetStructuredErrorFunc(h.arg, h.fn);
    xmlSetGenericErrorFunc(h.garg, h.gfn);
}

/* ---- the reader type ---- */

/* An encoding whose bytes below 0x80 are always ASCII characters. */
static bool ascii_compatible(const char *enc)
{
    static const char *const names[] = {"utf-8", "utf8", "us-ascii", "ascii"};
    static const char *const prefixes[] = {"iso-8859-", "iso8859-", "latin",
                                           "windows-125", "cp125"};

    for (size_t i = 0; i < ISL_ARRAY_LEN(names); i++)
        if (strcasecmp(enc, names[i]) == 0)
            return true;
    for (size_t i = 0; i < ISL_ARRAY_LEN(prefixes); i++)
        if (strncasecmp(enc, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* Could the first bytes be ASCII-compatible? Not for UTF-16 or UCS-4
 * (NUL bytes, byte order marks) or EBCDIC ("<?xm" is 4C 6F A7 94). */
static bool ascii_start(const unsigned char *p, size_t n)
{
    if (n >= 2 && (p[0] == 0 || p[1] == 0 || (p[0] == 0xFE && p[1] == 0xFF) ||
                   (p[0] == 0xFF && p[1] == 0xFE)))
        return false;
    return !(n >= 4 && memcmp(p, "\x4C\x6F\xA7\x94", 4) == 0);
}

/* libxml2 returned an element at the record depth: take its offset. */
static void element_offset(struct isl_reader *r, struct xml_ctx *c)
{
    const xmlChar *enc;

    c->rec_offset = NO_OFFSET;
    if (c->offsets && !c->enc_checked) {
        /* a declared encoding libxml2 converts from must keep ASCII as
         * is; input isl_input converted is UTF-8 whatever it declares */
        c->enc_checked = true;
        enc = xmlTextReaderConstEncoding(c->reader);
        if (!isl_input_is_converted(r->in) && enc &&
            !ascii_compatible((const char *)enc))
            c->offsets = false;
    }
    if (c->offsets && !isl_xmltags_next(&c->tags, &c->rec_offset)) {
        c->offsets = false; /* out of step: never guess */
        c->rec_offset = NO_OFFSET;
    }
}

static int xml_open(struct isl_reader *r, struct isl_error *err)
{
    struct xml_ctx *c = r->ctx;
    const char *p = r->opts.record_path;
    const char *enc = NULL;
    int opts = XML_OPTIONS, rc;
    struct xml_handlers h;
    const char *head;
    size_t n = 0, nhead;

    c->r = r;
    c->blank = true;
    isl_buf_init(&c->rowbuf, r->opts.max_record + 1024);
    isl_buf_init(&c->scratch, 64 * 1024);
    if (!p || !*p)
        p = "/*/*";
    if (p[0] != '/')
        return isl_error_set(err, ISL_ECONFIG, "in_xml",
                             "record path '%s' must start with '/'", p);
    if (!(c->path = strdup(p + 1)))
        return isl_error_set(err, ISL_ENOMEM, "in_xml", "out of memory");
    for (char *s = c->path;; s++) {
        if (*s == '/' || *s == '\0') {
            n++;
            if (!*s)
                break;
        }
    }
    c->steps = calloc(n, sizeof(*c->steps));
    c->onpath = calloc(n, sizeof(*c->onpath));
    if (!c->steps || !c->onpath)
        return isl_error_set(err, ISL_ENOMEM, "in_xml", "out of memory");
    for (char *s = c->path, *e;; s = e + 1) {
        e = s + strcspn(s, "/");
        if (e == s || (*e == '\0' && !*s))
            return isl_error_set(err, ISL_ECONFIG, "in_xml",
                                 "record path '%s' has an empty step", p);
        c->steps[c->nsteps++] = s;
        if (!*e)
            break;
        *e = '\0';
    }
    c->rec_depth = (int)c->nsteps - 1;

    if (isl_input_is_converted(r->in)) {
        enc = "UTF-8";
        opts |= XML_PARSE_IGNORE_ENC;
    }
    if ((rc = isl_input_peek(r->in, &head, &nhead, err)) < 0)
        return rc;
    c->offsets = ascii_start((const unsigned char *)head, nhead);
    isl_xmltags_init(&c->tags, c->rec_depth);
    h = catch_errors(c);
    c->reader = xmlReaderForIO(xml_ioread, xml_ioclose, r, r->name, enc, opts);
    release_errors(h);
    if (!c->reader) {
        if (c->io_failed) {
            *err = c->ioerr;
            return c->ioerr.code < 0 ? c->ioerr.code : ISL_EIO;
        }
        return isl_error_set(err, ISL_ENOMEM, "in_xml",
                             "cannot create the XML parser");
    }
    xmlTextReaderSetStructuredErrorHandler(c->reader, xml_on_error, c);
    return 0;
}

static int next_row(struct isl_reader *r, struct isl_row **out,
                    struct isl_error *err)
{
    struct xml_ctx *c = r->ctx;
    int rc;

    if (c->row_out)
        reset_record(c);
    if (c->done)
        return ISL_EOF;
    for (;;) {
        int ret = xmlTextReaderRead(c->reader);
        int type, depth;
        xmlNodePtr node;

        if (ret == 0) {
            c->done = true;
            if (c->xerr_level >= XML_ERR_FATAL || c->io_failed)
                return read_failed(r, c, err);
            return ISL_EOF;
        }
        if (ret < 0)
            return read_failed(r, c, err);
        type = xmlTextReaderNodeType(c->reader);
        switch (type) {
        case XML_READER_TYPE_ELEMENT:
            depth = xmlTextReaderDepth(c->reader);
            node = xmlTextReaderCurrentNode(c->reader);
            if (c->in_record) {
                if (depth != c->rec_depth + 1)
                    break;
                if ((rc = start_field(r, c, node, err)) < 0)
                    return rc;
                if (xmlTextReaderIsEmptyElement(c->reader) &&
                    (rc = end_field(c, err)) < 0)
                    return rc;
                break;
            }
            if (depth > c->rec_depth)
                break;
            if (depth == c->rec_depth)
                element_offset(r, c);
            c->onpath[depth] = (depth == 0 || c->onpath[depth - 1]) &&
                               step_matches(c->steps[depth], node);
            if (depth < c->rec_depth || !c->onpath[depth])
                break;
            if ((rc = start_record(r, c, node, err)) < 0)
                return rc;
            if (xmlTextReaderIsEmptyElement(c->reader))
                return finish_record(r, c, out, err);
            break;
        case XML_READER_TYPE_END_ELEMENT:
            if (!c->in_record)
                break;
            depth = xmlTextReaderDepth(c->reader);
            if (depth == c->rec_depth + 1) {
                if ((rc = end_field(c, err)) < 0)
                    return rc;
            } else if (depth == c->rec_depth) {
                return finish_record(r, c, out, err);
            }
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_WHITESPACE:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
            if (!c->in_record)
                break;
            if (!c->line_known) {
                node = xmlTextReaderCurrentNode(c->reader);
                if (node->type == XML_TEXT_NODE && node->psvi) {
                    uint64_t l = node_line(node);

                    for (const xmlChar *s = node->content; s && *s; s++)
                        if (*s == '\n' && l > 1)
                            l--;
                    c->rec_line = l;
                    c->line_known = true;
                }
            }
            if (c->in_field) {
                const xmlChar *v = xmlTextReaderConstValue(c->reader);

                if (v)
                    field_text(r, c, (const char *)v);
            }
            break;
        case XML_READER_TYPE_ENTITY_REFERENCE:
            node = xmlTextReaderCurrentNode(c->reader);
            c->done = true;
            return entity_error(r, err, node, node->name);
        default:
            break;
        }
    }
}

static int xml_next(struct isl_reader *r, struct isl_row **out,
                    struct isl_error *err)
{
    struct xml_handlers h = catch_errors(r->ctx);
    int rc = next_row(r, out, err);

    release_errors(h);
    return rc;
}

static void xml_close(struct isl_reader *r)
{
    struct xml_ctx *c = r->ctx;

    if (c->reader)
        xmlFreeTextReader(c->reader);
    for (size_t i = 0; i < c->tabsize; i++)
        while (c->tab[i]) {
            struct xml_name *nm = c->tab[i];

            c->tab[i] = nm->next;
            free(nm);
        }
    free(c->tab);
    free(c->path);
    free(c->steps);
    free(c->onpath);
    free(c->slots);
    free(c->cache);
    free(c->fields);
    isl_xmltags_free(&c->tags);
    isl_buf_free(&c->rowbuf);
    isl_buf_free(&c->scratch);
}

const struct isl_reader_type isl_in_xml = {
    .name = "xml",
    .format = ISL_FMT_XML,
    .ctx_size = sizeof(struct xml_ctx),
    .open = xml_open,
    .next = xml_next,
    .close = xml_close,
};
