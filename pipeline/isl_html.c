/*
 * isl_html.c: the HTML validation report (see isl_html.h).
 *
 * Turns the JSON report document of a validate run into one static page
 * for the data owner who has to fix the rows:
 *
 *   header    feed, staging table, inputs, run time
 *   banner    PASS / REJECTED ROWS / THRESHOLD EXCEEDED
 *   summary   read = valid + rejected + filtered, as cards, a sum and a
 *             stacked bar
 *   charts    errors per rule and per column, horizontal bars in inline SVG
 *   fields    per-field statistics of the valid rows
 *   rejected  one table group per rejected row (file+line), one line per
 *             error: column, the offending value, rule and message
 *
 * The page is written through a small buffered writer (struct page) whose
 * first error sticks, so the section functions do not check every call.
 * All text from the report goes through isl_html_escape; values also get
 * control and invisible characters shown (render_value). Nothing here
 * knows how the report was produced: missing members just show as absent.
 */
#include "isl_setup.h"
#include "isl_html.h"
#include "isl_buf.h"
#include "isl_error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_FLUSH_AT 65536 /* write out when the buffer is this full */
#define PAGE_CAP ((size_t)256 << 20) /* one escaped value must fit */
#define VALUE_SHOW 64                /* code points of a long value shown */
#define VALUE_ELIDE_AT 80            /* values longer than this are elided */
#define TITLE_MAX 4096               /* bytes of a value kept in its title */
#define LABEL_MAX 26                 /* code points of a chart label */
#define CHART_MAX_BARS 20            /* bars per chart; the rest summed */

/* ------------------------------------------------------------------ */
/* escaping                                                            */

/*
 * Decode one UTF-8 sequence at s[0..n). Returns its length and sets *cp,
 * or returns 0 when the bytes are not valid UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF).
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len, i;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
        (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
        return 0;
    *cp = v;
    return len;
}

/* Append code point cp (< 0x10000 is all we need) as UTF-8. */
static int add_cp(struct isl_buf *b, uint32_t cp)
{
    char u[3];

    if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        return isl_buf_add(b, u, 2);
    }
    u[0] = (char)(0xe0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    u[2] = (char)(0x80 | (cp & 0x3f));
    return isl_buf_add(b, u, 3);
}

/* The visible stand-in for a C0 control or DEL: U+2400..U+241F, U+2421. */
static uint32_t control_picture(unsigned char c)
{
    return c == 0x7f ? 0x2421 : 0x2400 + c;
}

int isl_html_escape(struct isl_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = 0;

    while (i < n && rc == 0) {
        size_t run = i, len;
        uint32_t cp;

        /* copy runs of plain printable ASCII and valid UTF-8 at once */
        while (i < n) {
            unsigned char c = p[i];

            if (c < 0x80) {
                if (c < 0x20 || c == 0x7f || c == '&' || c == '<' || c == '>' ||
                    c == '"' || c == '\'')
                    break;
                i++;
            } else if ((len = utf8_next(p + i, n - i, &cp)) > 0) {
                i += len;
            } else {
                break;
            }
        }
        if (i > run && (rc = isl_buf_add(b, s + run, i - run)) < 0)
            break;
        if (i >= n)
            break;
        switch (p[i]) {
        case '&':
            rc = isl_buf_adds(b, "&amp;");
            break;
        case '<':
            rc = isl_buf_adds(b, "&lt;");
            break;
        case '>':
            rc = isl_buf_adds(b, "&gt;");
            break;
        case '"':
            rc = isl_buf_adds(b, "&quot;");
            break;
        case '\'':
            rc = isl_buf_adds(b, "&#39;");
            break;
        default:
            if (p[i] < 0x20 || p[i] == 0x7f)
                rc = add_cp(b, control_picture(p[i]));
            else
                rc = add_cp(b, 0xfffd); /* a byte that is not UTF-8 */
        }
        i++;
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* the page writer: buffered, first error sticks                       */

struct page {
    FILE *f;
    struct isl_buf b;
    int rc; /* first error, 0 while all is well */
};

static void pg_flush(struct page *pg)
{
    if (pg->rc == 0 && pg->b.len &&
        fwrite(pg->b.data, 1, pg->b.len, pg->f) != pg->b.len)
        pg->rc = ISL_EIO;
    isl_buf_reset(&pg->b);
}

static void pg_done(struct page *pg, int rc)
{
    if (rc < 0 && pg->rc == 0)
        pg->rc = rc == ISL_ELIMIT ? ISL_ENOMEM : rc;
    if (pg->b.len >= PAGE_FLUSH_AT)
        pg_flush(pg);
}

/* Raw HTML (never report data). */
static void put(struct page *pg, const char *s)
{
    if (pg->rc == 0)
        pg_done(pg, isl_buf_adds(&pg->b, s));
}

/* Raw HTML, printf-style: numbers and fixed strings only. */
static void putf(struct page *pg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct page *pg, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int k;

    if (pg->rc)
        return;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof(tmp)) {
        pg->rc = ISL_ENOMEM; /* a bug: putf is for short pieces */
        return;
    }
    pg_done(pg, isl_buf_add(&pg->b, tmp, (size_t)k));
}

/* Escaped text. */
static void esc(struct page *pg, const char *s, size_t n)
{
    if (pg->rc == 0)
        pg_done(pg, isl_html_escape(&pg->b, s, n));
}

static void escz(struct page *pg, const char *s)
{
    esc(pg, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* reading the document                                                */

/* The string member key of o, or NULL. Sets *n to its length. */
static const char *get_str(const json_t *o, const char *key, size_t *n)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_string(v))
        return NULL;
    if (n)
        *n = json_string_length(v);
    return json_string_value(v);
}

/* A count: a non-negative integer (or real) member, else 0. */
static uint64_t count_of(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
    if (json_is_real(v) && json_real_value(v) > 0)
        return (uint64_t)json_real_value(v);
    return 0;
}

static uint64_t get_count(const json_t *o, const char *key)
{
    return count_of(json_object_get(o, key));
}

/* Escaped string member, or an em dash when it is missing. */
static void esc_member(struct page *pg, const json_t *o, const char *key)
{
    size_t n = 0;
    const char *s = get_str(o, key, &n);

    if (s)
        esc(pg, s, n);
    else
        put(pg, "<span class=\"muted\">\u2014</span>");
}

/* ------------------------------------------------------------------ */
/* formatting                                                          */

/* n with thousands separators: 1234567 -> "1,234,567". */
static const char *fmt_count(char out[32], uint64_t n)
{
    char digits[24];
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n), j = 0;

    for (int i = 0; i < nd; i++) {
        if (i && (nd - i) % 3 == 0)
            out[j++] = ',';
        out[j++] = digits[i];
    }
    out[j] = '\0';
    return out;
}

static void put_count(struct page *pg, uint64_t n)
{
    char tmp[32];

    put(pg, fmt_count(tmp, n));
}

/* part as a percentage of whole, one decimal, never rounded to 0 or 100. */
static const char *fmt_pct(char out[16], uint64_t part, uint64_t whole)
{
    double p;

    if (whole == 0 || part == 0) {
        snprintf(out, 16, "0%%");
        return out;
    }
    if (part >= whole) {
        snprintf(out, 16, "100%%");
        return out;
    }
    p = 100.0 * (double)part / (double)whole;
    if (p < 0.05)
        snprintf(out, 16, "&lt;0.1%%");
    else if (p >= 99.95)
        snprintf(out, 16, "&gt;99.9%%");
    else
        snprintf(out, 16, "%.1f%%", p);
    return out;
}

/* Code points in s[0..n) (invalid bytes count one each). */
static size_t cp_count(const char *s, size_t n)
{
    size_t i = 0, k = 0;

    while (i < n) {
        uint32_t cp;
        size_t len = utf8_next((const unsigned char *)s + i, n - i, &cp);

        i += len ? len : 1;
        k++;
    }
    return k;
}

/* Byte length of the first k code points of s[0..n). */
static size_t cp_prefix(const char *s, size_t n, size_t k)
{
    size_t i = 0;

    while (i < n && k--) {
        uint32_t cp;
        size_t len = utf8_next((const unsigned char *)s + i, n - i, &cp);

        i += len ? len : 1;
    }
    return i;
}

/* An ISO 8601 UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z" as
 * <time datetime="...">YYYY-MM-DD HH:MM:SS UTC</time>; else just escaped. */
static void put_time(struct page *pg, const char *s, size_t n, bool date)
{
    put(pg, "<time datetime=\"");
    esc(pg, s, n);
    put(pg, "\">");
    if (n >= 20 && s[10] == 'T' && s[n - 1] == 'Z') {
        if (date) {
            esc(pg, s, 10);
            put(pg, " ");
        }
        esc(pg, s + 11, 8);
        put(pg, " UTC");
    } else {
        esc(pg, s, n);
    }
    put(pg, "</time>");
}

/* Names for the C0 controls, shown in place of the byte in a value. */
static const char *const c0_name[32] = {
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "TAB", "LF",
    "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
    "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};

/* Invisible or confusable characters shown by name in a value. */
static const struct {
    uint32_t cp;
    const char *name, *what;
} invisibles[] = {
    {0x00a0, "NBSP", "no-break space"},
    {0x00ad, "SHY", "soft hyphen"},
    {0x200b, "ZWSP", "zero width space"},
    {0x200c, "ZWNJ", "zero width non-joiner"},
    {0x200d, "ZWJ", "zero width joiner"},
    {0x200e, "LRM", "left-to-right mark"},
    {0x200f, "RLM", "right-to-left mark"},
    {0x2028, "LSEP", "line separator"},
    {0x2029, "PSEP", "paragraph separator"},
    {0x2060, "WJ", "word joiner"},
    {0xfeff, "BOM", "byte order mark"},
};

/* Is cp invisible or confusable in a value (C1 controls included)? */
static bool invisible(uint32_t cp)
{
    if (cp >= 0x80 && cp <= 0x9f)
        return true;
    for (size_t i = 0; i < ISL_ARRAY_LEN(invisibles); i++)
        if (invisibles[i].cp == cp)
            return true;
    return false;
}

/* A control or invisible character as a highlighted name. */
static void put_special(struct page *pg, uint32_t cp)
{
    const char *name = NULL, *what = "control character";

    if (cp < 0x20)
        name = c0_name[cp];
    else if (cp == 0x7f)
        name = "DEL";
    for (size_t i = 0; !name && i < ISL_ARRAY_LEN(invisibles); i++)
        if (invisibles[i].cp == cp) {
            name = invisibles[i].name;
            what = invisibles[i].what;
        }
    if (name)
        putf(pg, "<span class=\"cc\" title=\"%s U+%04" PRIX32 "\">%s</span>",
             what, cp, name);
    else
        putf(pg,
             "<span class=\"cc\" title=\"%s U+%04" PRIX32 "\">U+%04" PRIX32
             "</span>",
             what, cp, cp);
}

/*
 * A value as it was in the input, inside <code class="v">: controls and
 * invisible characters as highlighted names (TAB, NBSP, ...), leading
 * and trailing spaces highlighted. Values longer than VALUE_ELIDE_AT code
 * points are cut to VALUE_SHOW with an ellipsis; the full value (up to
 * TITLE_MAX bytes) is then in the title attribute.
 */
static void render_value(struct page *pg, const char *s, size_t n)
{
    size_t show = n, lead = 0, trail = 0, i = 0;
    bool elided = false;

    if (n == 0) {
        put(pg, "<span class=\"empty\">(empty)</span>");
        return;
    }
    if (cp_count(s, n) > VALUE_ELIDE_AT) {
        show = cp_prefix(s, n, VALUE_SHOW);
        elided = true;
    }
    put(pg, "<code class=\"v\"");
    if (elided) {
        size_t t = n;
        char tmp[32];

        if (t > TITLE_MAX) /* cut at a character boundary */
            for (t = TITLE_MAX; t > 0 && ((unsigned char)s[t] & 0xc0) == 0x80;)
                t--;
        put(pg, " title=\"");
        esc(pg, s, t);
        if (t < n) {
            put(pg, " \u2026 (");
            put(pg, fmt_count(tmp, n));
            put(pg, " bytes in all)");
        }
        put(pg, "\"");
    }
    put(pg, ">");
    while (lead < show && s[lead] == ' ')
        lead++;
    if (!elided)
        while (trail < show - lead && s[show - 1 - trail] == ' ')
            trail++;
    if (lead) {
        put(pg, "<span class=\"sp\" title=\"leading space\">");
        esc(pg, s, lead);
        put(pg, "</span>");
    }
    i = lead;
    while (i < show - trail) {
        size_t run = i, len = 0;
        uint32_t cp = 0;

        while (i < show - trail) {
            unsigned char c = (unsigned char)s[i];

            len =
                utf8_next((const unsigned char *)s + i, show - trail - i, &cp);
            if (c < 0x20 || c == 0x7f || (len && invisible(cp)))
                break;
            i += len ? len : 1;
        }
        esc(pg, s + run, i - run);
        if (i >= show - trail)
            break;
        if ((unsigned char)s[i] < 0x80) {
            put_special(pg, (unsigned char)s[i]);
            i++;
        } else {
            put_special(pg, cp);
            i += len;
        }
    }
    if (trail) {
        put(pg, "<span class=\"sp\" title=\"trailing space\">");
        esc(pg, s + show - trail, trail);
        put(pg, "</span>");
    }
    if (elided)
        put(pg, "<span class=\"ell\">\u2026</span>");
    put(pg, "</code>");
}

/* ------------------------------------------------------------------ */
/* page sections                                                       */

/* The style sheet, in pieces: ISO C caps one string literal at 4095. */
static const char *const page_css[] = {
    ":root{--fg:#1f2933;--muted:#5f6b7a;--line:#dde3ea;--soft:#f4f6f9;"
    "--ok:#1a7f37;--ok-bg:#e6f4ea;--warn:#9a6700;--warn-bg:#fff5d6;"
    "--bad:#b42318;--bad-bg:#fdecea;--filt:#8c959f;--rule:#c4581b;"
    "--col:#2f6fde;color-scheme:light}\n",
    "*{box-sizing:border-box}\n",
    "body{margin:0;background:var(--soft);color:var(--fg);"
    "font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
    "\"Helvetica Neue\",\"Noto Sans\",\"Liberation Sans\",Arial,sans-serif}\n",
    "main{max-width:1200px;margin:0 auto;padding:28px 36px 40px;"
    "background:#fff;min-height:100vh}\n",
    "h1{font-size:26px;margin:0;font-weight:650}\n",
    "h2{font-size:18px;margin:36px 0 12px;padding-bottom:6px;"
    "border-bottom:1px solid var(--line)}\n",
    "h3{font-size:15px;margin:0 0 8px;color:var(--muted);font-weight:600}\n",
    ".kicker{margin:0;color:var(--muted);font-size:13px;"
    "text-transform:uppercase;letter-spacing:.08em}\n",
    ".muted{color:var(--muted)}\n",
    "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"
    "\"Liberation Mono\",monospace;font-size:13px}\n",
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;"
    "gap:3px 18px;margin:16px 0 0;font-size:14px}\n",
    "dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}\n",
    "ul.inputs{margin:0;padding:0;list-style:none}\n",
    ".banner{margin:24px 0 8px;padding:14px 20px;border-radius:6px;"
    "border-left:8px solid;display:flex;flex-wrap:wrap;gap:6px 20px;"
    "align-items:baseline}\n",
    ".banner strong{font-size:21px;letter-spacing:.05em}\n",
    ".banner.pass{background:var(--ok-bg);border-color:var(--ok)}"
    ".banner.pass strong{color:var(--ok)}\n",
    ".banner.rejected{background:var(--warn-bg);border-color:#d4a72c}"
    ".banner.rejected strong{color:var(--warn)}\n",
    ".banner.exceeded{background:var(--bad-bg);border-color:var(--bad)}"
    ".banner.exceeded strong{color:var(--bad)}\n",
    ".cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));"
    "gap:12px}\n",
    ".card{border:1px solid var(--line);border-top-width:4px;"
    "border-radius:6px;padding:10px 14px}\n",
    ".card .l{color:var(--muted);font-size:12px;text-transform:uppercase;"
    "letter-spacing:.06em}\n",
    ".card .n{display:block;font-size:28px;font-weight:600;"
    "font-variant-numeric:tabular-nums;line-height:1.25}\n",
    ".card .p{color:var(--muted);font-size:13px}\n",
    ".card.read{border-top-color:#52606d}.card.valid{border-top-color:"
    "var(--ok)}.card.rej{border-top-color:var(--bad)}"
    ".card.filt{border-top-color:var(--filt)}\n",
    "p.sum{margin:14px 0 6px;font-variant-numeric:tabular-nums}\n",
    ".chk{font-weight:600;color:var(--ok)}.chk.no{color:var(--bad)}\n",
    "svg.stack{display:block;width:100%;height:14px;border-radius:3px}\n",
    ".stack .valid{fill:var(--ok)}.stack .rej{fill:var(--bad)}"
    ".stack .filt{fill:var(--filt)}.stack .none{fill:var(--line)}\n",
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(400px,1fr));gap:16px 40px}\n",
    "svg.chart{display:block;width:100%;height:auto;font-size:13px;"
    "font-family:inherit}\n",
    ".chart text{fill:var(--fg)}.chart text.n{font-variant-numeric:"
    "tabular-nums;font-weight:600}.chart text.muted{fill:var(--muted);"
    "font-style:italic}\n",
    ".chart .track{fill:var(--soft)}\n",
    ".chart.rules rect.v{fill:var(--rule)}.chart.cols "
    "rect.v{fill:var(--col)}\n",
    "table{border-collapse:collapse;width:100%;font-size:14px;"
    "font-variant-numeric:tabular-nums}\n",
    "caption{caption-side:top;text-align:left;color:var(--muted);"
    "font-size:13px;padding:0 0 8px}\n",
    "th,td{padding:5px 10px;border-bottom:1px solid var(--line);"
    "text-align:left;vertical-align:top}\n",
    "thead th{background:var(--soft);font-size:12px;text-transform:"
    "uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;"
    "border-bottom:2px solid var(--line)}\n",
    ".num{text-align:right;white-space:nowrap}\n",
    ".fill{display:inline-block;width:70px;height:8px;margin-left:8px;"
    "background:var(--line);border-radius:4px;overflow:hidden;"
    "vertical-align:middle}\n",
    ".fill span{display:block;height:100%;background:var(--ok)}\n",
    "table.rows tbody{border-top:2px solid var(--line)}\n",
    "table.rows tbody:nth-of-type(even){background:#fafbfc}\n",
    "th.loc{font-weight:400;white-space:nowrap}\n",
    "th.loc .f{color:var(--muted)}th.loc b{font-weight:650}\n",
    "th.loc .rec{display:block;color:var(--muted);font-size:12px}\n",
    "td.col{white-space:nowrap}\n",
    "code.v{background:#fff4e5;border:1px solid #f0dcc0;border-radius:3px;"
    "padding:0 4px;white-space:pre-wrap;word-break:break-all}\n",
    "code.v .cc{background:#fbd3cf;color:var(--bad);border-radius:3px;"
    "padding:0 3px;margin:0 1px;font-size:10px;font-weight:600;"
    "vertical-align:1px}\n",
    "table.rows col.c-row{width:19%}table.rows col.c-col{width:13%}"
    "table.rows col.c-val{width:30%}\n",
    "code.v .sp{background:#fbd3cf}\n",
    "code.v .ell{color:var(--muted)}\n",
    ".empty{color:var(--muted);font-style:italic}\n",
    ".tag{display:inline-block;font-size:12px;padding:0 7px;"
    "border-radius:9px;background:#fbe6d9;color:#8a3a0f;margin-right:6px;"
    "white-space:nowrap}\n",
    "p.note{background:var(--soft);border:1px solid var(--line);"
    "border-radius:6px;padding:8px 12px}\n",
    "footer{margin-top:40px;color:var(--muted);font-size:12px}\n",
    "@media (max-width:760px){main{padding:16px}"
    ".cards{grid-template-columns:repeat(2,minmax(0,1fr))}"
    ".charts{grid-template-columns:1fr}}\n",
    "@media print{body{background:#fff;font-size:11pt}"
    "main{max-width:none;padding:0;min-height:0}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    ".charts{grid-template-columns:1fr 1fr}h2{break-after:avoid}"
    "thead{display:table-header-group}tbody,tr,.card,svg{break-inside:avoid}"
    "}\n",
    NULL};

enum verdict { V_PASS, V_REJECTED, V_EXCEEDED };

static enum verdict verdict_of(const json_t *doc)
{
    if (json_is_true(json_object_get(doc, "threshold_exceeded")))
        return V_EXCEEDED;
    if (get_count(doc, "rows_rejected") > 0)
        return V_REJECTED;
    return V_PASS;
}

static const char *const verdict_word[] = {"PASS", "REJECTED ROWS",
                                           "THRESHOLD EXCEEDED"};
static const char *const verdict_class[] = {"pass", "rejected", "exceeded"};

static void write_head(struct page *pg, const json_t *doc, enum verdict v)
{
    put(pg, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
            "<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"isload\">\n<title>");
    put(pg, verdict_word[v]);
    put(pg, " \u2013 isload validation report: ");
    esc_member(pg, doc, "feed");
    put(pg, "</title>\n<style>\n");
    for (size_t i = 0; page_css[i]; i++)
        put(pg, page_css[i]);
    put(pg, "</style>\n</head>\n<body>\n<main>\n");
}

static void write_header(struct page *pg, const json_t *doc)
{
    const json_t *inputs = json_object_get(doc, "inputs");
    const char *s;
    size_t n = 0, ninputs = json_array_size(inputs);

    put(pg, "<header>\n<p class=\"kicker\">isload ");
    esc_member(pg, doc, "command");
    put(pg, " report</p>\n<h1>Feed <span class=\"feed\">");
    esc_member(pg, doc, "feed");
    put(pg, "</span></h1>\n<dl class=\"meta\">\n");

    put(pg, "<dt>Staging table</dt><dd><code>");
    esc_member(pg, doc, "staging_table");
    put(pg, "</code></dd>\n<dt>Feed definition</dt><dd><code>");
    esc_member(pg, doc, "feed_file");
    put(pg, "</code></dd>\n");

    putf(pg, "<dt>Input%s</dt><dd>", ninputs == 1 ? "" : "s");
    if (ninputs == 0) {
        put(pg, "<span class=\"muted\">none</span>");
    } else {
        put(pg, "<ul class=\"inputs\">");
        for (size_t i = 0; i < ninputs; i++) {
            const json_t *in = json_array_get(inputs, i);

            put(pg, "<li><code>");
            if (json_is_string(in))
                esc(pg, json_string_value(in), json_string_length(in));
            put(pg, "</code></li>");
        }
        put(pg, "</ul>");
    }
    put(pg, "</dd>\n<dt>Run</dt><dd>");
    if ((s = get_str(doc, "started_at", &n)) != NULL) {
        size_t n2 = 0;
        const char *s2 = get_str(doc, "finished_at", &n2);

        put_time(pg, s, n, true);
        if (s2) {
            /* same day: the end time only */
            bool same = n >= 10 && n2 >= 10 && memcmp(s, s2, 10) == 0;

            put(pg, " \u2013 ");
            put_time(pg, s2, n2, !same);
        }
    } else {
        put(pg, "<span class=\"muted\">\u2014</span>");
    }
    if (json_is_number(json_object_get(doc, "duration_s")))
        putf(pg, " <span class=\"muted\">(%.2f s)</span>",
             json_number_value(json_object_get(doc, "duration_s")));
    put(pg, "</dd>\n<dt>Error threshold</dt><dd>");
    if ((s = get_str(doc, "max_errors", &n)) != NULL) {
        put(pg, "<code>max_errors ");
        esc(pg, s, n);
        put(pg, "</code>");
    } else {
        put(pg, "<span class=\"muted\">none set</span>");
    }
    put(pg, "</dd>\n</dl>\n</header>\n");
}

static void write_banner(struct page *pg, const json_t *doc, enum verdict v)
{
    uint64_t read = get_count(doc, "rows_read"),
             valid = get_count(doc, "rows_valid"),
             rej = get_count(doc, "rows_rejected"),
             filt = get_count(doc, "rows_filtered");
    char c1[32], c2[32], pct[16];
    size_t n = 0;
    const char *max = get_str(doc, "max_errors", &n);

    putf(pg,
         "<section class=\"banner %s\" id=\"verdict\" role=\"status\">"
         "<strong>%s</strong><span>",
         verdict_class[v], verdict_word[v]);
    switch (v) {
    case V_PASS:
        if (read == 0)
            put(pg, "No rows were read.");
        else if (filt == 0)
            putf(pg, "All %s rows read are valid.", fmt_count(c1, valid));
        else
            putf(pg, "No rows were rejected: %s valid, %s filtered out.",
                 fmt_count(c1, valid), fmt_count(c2, filt));
        break;
    case V_REJECTED:
    case V_EXCEEDED:
        putf(pg, "%s of %s rows (%s) were rejected", fmt_count(c1, rej),
             fmt_count(c2, read), fmt_pct(pct, rej, read));
        if (v == V_EXCEEDED) {
            put(pg, ", more than the error threshold");
            if (max) {
                put(pg, " <code>max_errors ");
                esc(pg, max, n);
                put(pg, "</code>");
            }
            put(pg, " allows.");
        } else if (max) {
            put(pg, "; within the error threshold <code>max_errors ");
            esc(pg, max, n);
            put(pg, "</code>.");
        } else {
            put(pg, "; no error threshold is set.");
        }
        putf(pg, " %s valid rows.", fmt_count(c1, valid));
        break;
    }
    put(pg, "</span></section>\n");
}

static void card(struct page *pg, const char *cls, const char *label,
                 uint64_t n, uint64_t read, bool pct)
{
    char c[32], p[16];

    putf(pg,
         "<div class=\"card %s\"><span class=\"l\">%s</span>"
         "<span class=\"n\" id=\"n-%s\">%s</span>",
         cls, label, cls, fmt_count(c, n));
    if (pct)
        putf(pg, "<span class=\"p\">%s of rows read</span>",
             fmt_pct(p, n, read));
    else
        put(pg, "<span class=\"p\">&nbsp;</span>");
    put(pg, "</div>\n");
}

static void write_summary(struct page *pg, const json_t *doc)
{
    uint64_t read = get_count(doc, "rows_read"),
             valid = get_count(doc, "rows_valid"),
             rej = get_count(doc, "rows_rejected"),
             filt = get_count(doc, "rows_filtered"), sum = valid + rej + filt;
    uint64_t parts[3] = {valid, rej, filt};
    static const char *const cls[3] = {"valid", "rej", "filt"};
    static const char *const what[3] = {"valid", "rejected", "filtered"};
    char c[5][32];
    double x = 0;

    put(pg,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"cards\">\n");
    card(pg, "read", "Rows read", read, read, false);
    card(pg, "valid", "Valid", valid, read, true);
    card(pg, "rej", "Rejected", rej, read, true);
    card(pg, "filt", "Filtered out", filt, read, true);
    put(pg, "</div>\n");
    putf(pg,
         "<p class=\"sum\" id=\"accounting\">%s valid + %s rejected + "
         "%s filtered = ",
         fmt_count(c[0], valid), fmt_count(c[1], rej), fmt_count(c[2], filt));
    if (sum == read)
        putf(pg,
             "<b>%s rows read</b> <span class=\"chk\">\u2713 adds up"
             "</span>",
             fmt_count(c[3], sum));
    else
        putf(pg,
             "<b>%s</b>, but <b>%s rows read</b> <span class=\"chk no\">"
             "\u2717 the counts do not add up</span>",
             fmt_count(c[3], sum), fmt_count(c[4], read));
    put(pg, "</p>\n");

    /* stacked bar: valid | rejected | filtered, out of 1000 */
    put(pg, "<svg class=\"stack\" viewBox=\"0 0 1000 14\" "
            "preserveAspectRatio=\"none\" role=\"img\" "
            "aria-label=\"share of valid, rejected and filtered rows\">");
    if (sum == 0)
        put(pg, "<rect class=\"none\" x=\"0\" y=\"0\" width=\"1000\" "
                "height=\"14\"/>");
    for (int i = 0; i < 3 && sum; i++) {
        double w = 1000.0 * (double)parts[i] / (double)sum;

        if (parts[i] == 0)
            continue;
        putf(pg,
             "<rect class=\"%s\" x=\"%.2f\" y=\"0\" width=\"%.2f\" "
             "height=\"14\"><title>%s %s</title></rect>",
             cls[i], x, w, fmt_count(c[0], parts[i]), what[i]);
        x += w;
    }
    put(pg, "</svg>\n</section>\n");
}

struct bar {
    const char *name; /* key in the report; "" for a whole-row error */
    uint64_t n;
};

static int bar_cmp(const void *a, const void *b)
{
    const struct bar *x = a, *y = b;

    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

/*
 * One horizontal bar chart of the counts in object counts, largest first:
 * label | bar on a track | count. Labels past LABEL_MAX code points are
 * cut; every bar has a <title> with the full label and count.
 */
static void write_chart(struct page *pg, const json_t *counts, const char *cls,
                        const char *title, const char *empty_label)
{
    enum { W = 600, LABEL_W = 190, NUM_W = 64, ROW_H = 28, BAR_H = 18 };
    const int bar_w = W - LABEL_W - NUM_W - 10;
    size_t n = json_object_size(counts), nbars, i = 0;
    struct bar *bars = NULL;
    uint64_t max = 0, rest = 0;
    const char *key;
    json_t *v;

    putf(pg,
         "<figure class=\"chart-box\" style=\"margin:0\" id=\"chart-%s\">"
         "<h3>%s</h3>\n",
         cls, title);
    if (n && !(bars = calloc(n, sizeof(*bars)))) {
        pg->rc = pg->rc ? pg->rc : ISL_ENOMEM;
        return;
    }
    json_object_foreach((json_t *)counts, key, v)
    {
        bars[i].name = key;
        bars[i].n = count_of(v);
        i++;
    }
    if (n)
        qsort(bars, n, sizeof(*bars), bar_cmp);
    while (n && bars[n - 1].n == 0)
        n--;
    if (n == 0) {
        put(pg, "<p class=\"muted\">No errors.</p></figure>\n");
        free(bars);
        return;
    }
    nbars = n > CHART_MAX_BARS ? CHART_MAX_BARS : n;
    for (i = nbars; i < n; i++)
        rest += bars[i].n;
    max = bars[0].n;
    putf(pg,
         "<svg class=\"chart %s\" viewBox=\"0 0 %d %zu\" role=\"img\" "
         "aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">\n",
         cls, W, (nbars + (rest ? 1 : 0)) * ROW_H + 4, title);
    for (i = 0; i < nbars; i++) {
        const char *name = bars[i].name;
        size_t len = strlen(name), y = i * ROW_H + 4;
        double w = (double)bar_w * (double)bars[i].n / (double)max;
        char c[32];

        if (w < 2)
            w = 2;
        put(pg, "<g class=\"bar\" data-key=\"");
        esc(pg, name, len);
        put(pg, "\"><title>");
        if (len)
            esc(pg, name, len);
        else
            escz(pg, empty_label);
        putf(pg, ": %s error%s</title>", fmt_count(c, bars[i].n),
             bars[i].n == 1 ? "" : "s");
        putf(pg, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\"%s>",
             LABEL_W - 10, y + BAR_H - 4, len ? "" : " class=\"muted\"");
        if (!len) {
            escz(pg, empty_label);
        } else if (cp_count(name, len) > LABEL_MAX) {
            esc(pg, name, cp_prefix(name, len, LABEL_MAX - 1));
            put(pg, "\u2026");
        } else {
            esc(pg, name, len);
        }
        put(pg, "</text>");
        putf(pg,
             "<rect class=\"track\" x=\"%d\" y=\"%zu\" width=\"%d\" "
             "height=\"%d\" rx=\"2\"/>",
             LABEL_W, y, bar_w, BAR_H);
        putf(pg,
             "<rect class=\"v\" x=\"%d\" y=\"%zu\" width=\"%.1f\" "
             "height=\"%d\" rx=\"2\"/>",
             LABEL_W, y, w, BAR_H);
        putf(pg, "<text class=\"n\" x=\"%d\" y=\"%zu\">%s</text></g>\n",
             LABEL_W + bar_w + 8, y + BAR_H - 4, fmt_count(c, bars[i].n));
    }
    if (rest) {
        char c1[32], c2[32];

        putf(pg,
             "<text class=\"muted\" x=\"%d\" y=\"%zu\">and %s more with "
             "%s errors</text>\n",
             LABEL_W, nbars * ROW_H + 4 + BAR_H - 4,
             fmt_count(c1, (uint64_t)(n - nbars)), fmt_count(c2, rest));
    }
    put(pg, "</svg></figure>\n");
    free(bars);
}

static void write_charts(struct page *pg, const json_t *doc)
{
    put(pg,
        "<section id=\"charts\">\n<h2>Errors</h2>\n<div class=\"charts\">\n");
    write_chart(pg, json_object_get(doc, "rules"), "rules", "Errors by rule",
                "(none)");
    write_chart(pg, json_object_get(doc, "columns"), "cols", "Errors by column",
                "(whole row)");
    put(pg, "</div>\n</section>\n");
}

static void stat_cell(struct page *pg, const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    put(pg, "<td class=\"num\">");
    if (json_is_number(v))
        put_count(pg, count_of(v));
    else
        put(pg, "<span class=\"muted\">\u2014</span>");
    put(pg, "</td>");
}

static void write_fields(struct page *pg, const json_t *doc)
{
    const json_t *fields = json_object_get(doc, "fields"),
                 *cols = json_object_get(doc, "columns");
    const char *key;
    json_t *st;
    char c[32];

    put(pg, "<section id=\"fields\">\n<h2>Fields</h2>\n");
    if (json_object_size(fields) == 0) {
        put(pg, "<p class=\"muted\">No field statistics.</p>\n</section>\n");
        return;
    }
    putf(pg,
         "<table class=\"fields\">\n<caption>Statistics over the %s valid "
         "rows; distinct counts are estimates. Errors counts the errors "
         "in rejected rows.</caption>\n",
         fmt_count(c, get_count(doc, "rows_valid")));
    put(pg, "<thead><tr><th scope=\"col\">Field</th>"
            "<th scope=\"col\" class=\"num\">Filled</th>"
            "<th scope=\"col\" class=\"num\">Empty</th>"
            "<th scope=\"col\" class=\"num\">Distinct</th>"
            "<th scope=\"col\" class=\"num\">Min length</th>"
            "<th scope=\"col\" class=\"num\">Max length</th>"
            "<th scope=\"col\" class=\"num\">Errors</th></tr></thead>\n"
            "<tbody>\n");
    json_object_foreach((json_t *)fields, key, st)
    {
        uint64_t filled = get_count(st, "filled"),
                 empty = get_count(st, "empty");
        uint64_t nerr = count_of(json_object_get(cols, key));
        char p[16];

        put(pg, "<tr><th scope=\"row\"><code>");
        escz(pg, key);
        put(pg, "</code></th><td class=\"num\">");
        put_count(pg, filled);
        if (filled + empty) {
            double w = 100.0 * (double)filled / (double)(filled + empty);

            putf(pg,
                 "<span class=\"fill\" title=\"%s filled\">"
                 "<span style=\"width:%.1f%%\"></span></span>",
                 fmt_pct(p, filled, filled + empty), w);
        }
        put(pg, "</td>");
        stat_cell(pg, st, "empty");
        stat_cell(pg, st, "distinct");
        stat_cell(pg, st, "min_length");
        stat_cell(pg, st, "max_length");
        put(pg, "<td class=\"num\">");
        if (nerr)
            put_count(pg, nerr);
        else
            put(pg, "<span class=\"muted\">0</span>");
        put(pg, "</td></tr>\n");
    }
    put(pg, "</tbody>\n</table>\n</section>\n");
}

/* One error entry, with its place in "errors" to keep the order stable. */
struct err_ref {
    const char *file;
    size_t flen;
    uint64_t line, record;
    size_t idx;   /* index in "errors" */
    size_t first; /* smallest idx of the entry's row (file+line+record) */
};

static int ref_by_row(const void *a, const void *b)
{
    const struct err_ref *x = a, *y = b;
    size_t m = x->flen < y->flen ? x->flen : y->flen;
    int c = memcmp(x->file, y->file, m);

    if (c)
        return c;
    if (x->flen != y->flen)
        return x->flen < y->flen ? -1 : 1;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->record != y->record)
        return x->record < y->record ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int ref_by_first(const void *a, const void *b)
{
    const struct err_ref *x = a, *y = b;

    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool same_row(const struct err_ref *x, const struct err_ref *y)
{
    return x->flen == y->flen && memcmp(x->file, y->file, x->flen) == 0 &&
           x->line == y->line && x->record == y->record;
}

static void write_error_line(struct page *pg, const json_t *e)
{
    size_t n = 0;
    const char *s;

    put(pg, "<td class=\"col\">");
    if ((s = get_str(e, "column", &n)) != NULL && n) {
        put(pg, "<code>");
        esc(pg, s, n);
        put(pg, "</code>");
    } else {
        put(pg, "<span class=\"muted\">(whole row)</span>");
    }
    put(pg, "</td><td class=\"val\">");
    if ((s = get_str(e, "value", &n)) != NULL)
        render_value(pg, s, n);
    else
        put(pg, "<span class=\"muted\">\u2014</span>");
    put(pg, "</td><td class=\"why\">");
    if ((s = get_str(e, "rule", &n)) != NULL && n) {
        put(pg, "<span class=\"tag\">");
        esc(pg, s, n);
        put(pg, "</span>");
    }
    if ((s = get_str(e, "message", &n)) != NULL)
        esc(pg, s, n);
    put(pg, "</td></tr>\n");
}

/* The <th> naming a rejected row: file:line, or file and record. */
static void write_row_head(struct page *pg, const struct err_ref *r,
                           size_t nerr)
{
    char c[32];

    putf(pg, "<tbody><tr><th scope=\"rowgroup\" class=\"loc\" rowspan=\"%zu\">",
         nerr);
    if (r->flen) {
        put(pg, "<span class=\"f\">");
        esc(pg, r->file, r->flen);
        put(pg, "</span>");
    }
    if (r->line) {
        putf(pg, "%s<b>%" PRIu64 "</b>", r->flen ? ":" : "line ", r->line);
        if (r->record)
            putf(pg, "<span class=\"rec\">record %s</span>",
                 fmt_count(c, r->record));
    } else if (r->record) {
        putf(pg, "<span class=\"rec\">record <b>%" PRIu64 "</b></span>",
             r->record);
    }
    put(pg, "</th>");
}

static void write_rejected(struct page *pg, const json_t *doc)
{
    const json_t *errors = json_object_get(doc, "errors");
    size_t nerr = json_array_size(errors), ngroups = 0, shown = 0, i, j;
    uint64_t rejected = get_count(doc, "rows_rejected"), total, more;
    bool truncated = json_is_true(json_object_get(doc, "errors_truncated"));
    struct err_ref *refs = NULL;
    char c1[32], c2[32];

    put(pg, "<section id=\"rejected\">\n<h2>Rejected rows</h2>\n");
    if (nerr == 0) {
        if (rejected)
            putf(pg,
                 "<p class=\"note\">%s rows were rejected but the report "
                 "lists no errors.</p>\n",
                 fmt_count(c1, rejected));
        else
            put(pg, "<p class=\"muted\">No rows were rejected.</p>\n");
        put(pg, "</section>\n");
        return;
    }
    if (!(refs = calloc(nerr, sizeof(*refs)))) {
        pg->rc = pg->rc ? pg->rc : ISL_ENOMEM;
        return;
    }
    for (i = 0; i < nerr; i++) {
        const json_t *e = json_array_get(errors, i);
        const char *f = get_str(e, "file", &refs[i].flen);

        refs[i].file = f ? f : "";
        if (!f)
            refs[i].flen = 0;
        refs[i].line = get_count(e, "line");
        refs[i].record = get_count(e, "record");
        refs[i].idx = i;
    }
    /* group the entries of one row even when they are not adjacent, then
     * put the rows back in the order they first appear in */
    qsort(refs, nerr, sizeof(*refs), ref_by_row);
    for (i = 0; i < nerr; i = j) {
        for (j = i + 1; j < nerr && same_row(&refs[i], &refs[j]); j++)
            ;
        for (size_t k = i; k < j; k++)
            refs[k].first = refs[i].idx;
        ngroups++;
    }
    qsort(refs, nerr, sizeof(*refs), ref_by_first);

    total = rejected > ngroups ? rejected : ngroups;
    put(pg, "<table class=\"rows\">\n<colgroup><col class=\"c-row\">"
            "<col class=\"c-col\"><col class=\"c-val\"><col></colgroup>\n"
            "<thead><tr>"
            "<th scope=\"col\">Row</th><th scope=\"col\">Column</th>"
            "<th scope=\"col\">Value</th><th scope=\"col\">Reason</th>"
            "</tr></thead>\n");
    for (i = 0; i < nerr && shown < ISL_HTML_MAX_ROWS && pg->rc == 0; i = j) {
        for (j = i + 1; j < nerr && refs[j].first == refs[i].first; j++)
            ;
        write_row_head(pg, &refs[i], j - i);
        for (size_t k = i; k < j; k++) {
            if (k > i)
                put(pg, "<tr>");
            write_error_line(pg, json_array_get(errors, refs[k].idx));
        }
        put(pg, "</tbody>\n");
        shown++;
    }
    put(pg, "</table>\n");
    more = total - shown;
    if (more) {
        putf(pg,
             "<p class=\"note\" id=\"more\">%s more rejected row%s not "
             "shown: ",
             fmt_count(c1, more), more == 1 ? " is" : "s are");
        if (shown == ISL_HTML_MAX_ROWS)
            putf(pg, "this table lists the first %s rows",
                 fmt_count(c2, (uint64_t)ISL_HTML_MAX_ROWS));
        else
            putf(pg, "the report holds only the first %s error%s",
                 fmt_count(c2, (uint64_t)nerr), nerr == 1 ? "" : "s");
        put(pg, ". The full list is in the JSON report and the rejects "
                "file.</p>\n");
    } else if (truncated) {
        put(pg, "<p class=\"note\" id=\"more\">The report holds only the "
                "first errors; some rows may have more errors than shown."
                "</p>\n");
    }
    put(pg, "</section>\n");
    free(refs);
}

static void write_footer(struct page *pg, const json_t *doc)
{
    put(pg, "<footer>Generated by isload ");
    esc_member(pg, doc, "isload_version");
    put(pg, " from report format ");
    put_count(pg, get_count(doc, "isload_report"));
    put(pg, ". Values are shown as read; control and invisible characters "
            "appear as highlighted names (TAB, CR, NBSP, ...) and leading "
            "and trailing spaces are highlighted.</footer>\n"
            "</main>\n</body>\n</html>\n");
}

int isl_html_write(FILE *f, const json_t *report, struct isl_error *err)
{
    struct page pg = {f, {NULL, 0, 0, 0}, 0};
    enum verdict v;

    if (!json_is_object(report))
        return isl_error_set(err, ISL_ECONFIG, "html",
                             "the report is not a JSON object");
    isl_buf_init(&pg.b, PAGE_CAP);
    v = verdict_of(report);
    write_head(&pg, report, v);
    write_header(&pg, report);
    write_banner(&pg, report, v);
    write_summary(&pg, report);
    write_charts(&pg, report);
    write_fields(&pg, report);
    write_rejected(&pg, report);
    write_footer(&pg, report);
    pg_flush(&pg);
    if (pg.rc == 0 && (fflush(f) != 0 || ferror(f)))
        pg.rc = ISL_EIO;
    isl_buf_free(&pg.b);
    if (pg.rc == ISL_EIO)
        return isl_error_set(err, ISL_EIO, "html",
                             "cannot write the html report");
    if (pg.rc < 0)
        return isl_error_set(err, pg.rc, "html", "out of memory");
    return 0;
}
