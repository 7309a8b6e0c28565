/*
 * isl_xmltags.h: byte offsets of the start tags at one depth of an XML
 * byte stream, for the XML reader's row offsets.
 *
 * libxml2's xmlTextReader parses ahead of the node it returns and keeps
 * no byte offset in its nodes, so the XML reader runs this small lexer
 * over the same bytes as it hands them to libxml2: it knows just enough
 * XML to tell markup from text (start, end and empty-element tags with
 * quoted attribute values, comments, CDATA sections, processing
 * instructions, a DOCTYPE with an internal subset) and keeps the offset of
 * every start tag at the wanted depth in a FIFO, in document order. The
 * reader takes one offset for every element at that depth that libxml2
 * returns: the two see the same elements in the same order, because
 * entity references (which could hide elements) are refused by the
 * reader. The bytes must be in an ASCII-compatible encoding (UTF-8 or a
 * single-byte ISO-8859 / windows-125x one); the caller checks.
 *
 * Malformed markup that libxml2 would reject makes the lexer "lost"
 * (isl_xmltags_next then gives nothing); libxml2 stops there anyway.
 */
#ifndef ISL_XMLTAGS_H
#define ISL_XMLTAGS_H

#include "isl_setup.h"

struct isl_xmltags {
    int want;       /* depth whose start tags are kept (root element: 0) */
    long depth;     /* open elements */
    int st;         /* lexer state */
    int ret;        /* state a comment or PI returns to */
    int n;          /* bytes matched of a keyword or terminator */
    int kw;         /* the keyword after "<!" being matched */
    char quote;     /* open quote in a tag or DOCTYPE, or 0 */
    char last;      /* last byte of a start tag outside quotes */
    long bracket;   /* '[' depth inside a DOCTYPE */
    bool lost;      /* markup it does not understand: no more offsets */
    uint64_t pos;   /* offset of the next byte */
    uint64_t tag;   /* offset of the '<' of the open tag */
    uint64_t *fifo; /* offsets not taken yet: ring buffer */
    size_t head, count, cap;
};

/* Start on a new stream, keeping start tags at depth want. */
void isl_xmltags_init(struct isl_xmltags *t, int want);

/* Scan the next n bytes of the stream. Running out of memory (or more
 * than a million offsets waiting) makes t lost. */
void isl_xmltags_scan(struct isl_xmltags *t, const char *p, size_t n);

/* Take the oldest offset kept; false when there is none (or t is lost). */
bool isl_xmltags_next(struct isl_xmltags *t, uint64_t *offset);

/* Free the FIFO; t can be initialised again. */
void isl_xmltags_free(struct isl_xmltags *t);

#endif
