/*
 * s_keyidx.c: tests of the bounded-memory key index (tf_keyidx) against a
 * plain in-memory map (tf_hash), over enough keys to flush the memory
 * table many times and merge runs, with real and with deliberately
 * colliding hashes, and of its temporary files.
 */
#include "isl_setup.h"
#include "isl_error.h"
#include "t.h"
#include "tf_hash.h"
#include "tf_keyidx.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * A weak hash: 4096 values (so keys share theirs with a dozen others)
 * spread over the table, and one value shared by 2% of the keys (so its
 * entries fill several pages of a run).
 */
static uint64_t weak_hash(const char *key, size_t len)
{
    uint64_t h = tf_keyidx_hash(key, len);

    if (h % 50 == 0)
        return 0x8000000000000000ULL;
    h &= 0xFFFULL << 52;
    return h | h >> 52;
}

/*
 * ops random puts of keys drawn from nkeys (with a long key now and
 * then): each answer must match the reference map, which keeps the first
 * (or, with replace, the newest) line and row id of each key.
 */
static int check_puts(size_t ops, size_t nkeys, bool replace, bool weak,
                      bool ascending)
{
    uint64_t top = 0;
    struct tf_keyidx *ix = NULL;
    struct tf_hash ref;
    struct isl_error err;
    char key[600];
    int bad = 0;

    tf_hash_init(&ref);
    T_INTEQ(tf_keyidx_open(&ix, &err), 0);
    if (!ix)
        return 1;
    for (size_t i = 0; i < ops && bad < 5; i++) {
        /* ascending: mostly the next key (the ascending log), else an
         * earlier one or one a little ahead (the hash index) */
        uint64_t k = !ascending        ? next() % nkeys
                     : next() % 8 != 0 ? top++
                                       : next() % (top + 500);
        size_t len =
            (size_t)snprintf(key, 64, "E%07llu", (unsigned long long)k);
        struct tf_keyrec rec = {
            .line = i + 2, .row_id = i + 1, .file = (uint32_t)(k % 3)};
        struct tf_keyrec old = {0};
        struct tf_hash_entry *e;
        uint64_t h;
        int rc, added;

        if (k % 97 == 0) { /* some keys are long, one spans buffers */
            size_t extra = k % 9 == 0 ? 500 : 40;

            memset(key + len, 'x', extra);
            len += extra;
        }
        h = weak ? weak_hash(key, len) : tf_keyidx_hash(key, len);
        rc = tf_keyidx_put(ix, key, len, h, &rec, replace, &old, &err);
        added = tf_hash_put(&ref, key, len, &e);
        if (rc != added) {
            fprintf(stderr, "  op %zu: put returned %d, expected %d\n", i, rc,
                    added);
            bad++;
        } else if (rc == 0 && (old.line != e->u || old.row_id != e->u2 ||
                               old.file != (uint32_t)(k % 3))) {
            fprintf(stderr, "  op %zu: old record line %llu, expected %llu\n",
                    i, (unsigned long long)old.line, (unsigned long long)e->u);
            bad++;
        }
        if (added || replace) {
            e->u = rec.line;
            e->u2 = rec.row_id;
        }
    }
    T_INTEQ(tf_keyidx_count(ix), ref.n);
    /* every key finds its record; keys never added are absent */
    for (size_t i = 0; i < ref.n && bad < 5; i++) {
        const struct tf_hash_entry *e = &ref.ents[i];
        uint64_t h =
            weak ? weak_hash(e->key, e->len) : tf_keyidx_hash(e->key, e->len);
        struct tf_keyrec rec;

        if (tf_keyidx_find(ix, e->key, e->len, h, &rec, &err) != 1 ||
            rec.line != e->u || rec.row_id != e->u2) {
            fprintf(stderr, "  find %s: wrong\n", e->key);
            bad++;
        }
    }
    for (size_t i = 0; i < 2000 && bad < 5; i++) {
        struct tf_keyrec rec;
        size_t len = (size_t)snprintf(key, 64, "F%07zu", i);
        uint64_t h = weak ? weak_hash(key, len) : tf_keyidx_hash(key, len);

        if (tf_keyidx_find(ix, key, len, h, &rec, &err) != 0) {
            fprintf(stderr, "  find %s: found a key never added\n", key);
            bad++;
        }
    }
    tf_keyidx_close(ix);
    tf_hash_free(&ref);
    return bad;
}

static void test_first(void)
{
    /* 300k puts over 200k keys: ~150k distinct, ~5 table flushes */
    T_INTEQ(check_puts(300000, 200000, false, false, false), 0);
    T_INTEQ(check_puts(300000, 0, false, false, true), 0);
}

static void test_replace(void)
{
    T_INTEQ(check_puts(300000, 120000, true, false, false), 0);
    T_INTEQ(check_puts(300000, 0, true, false, true), 0);
}

static void test_collisions(void)
{
    /* candidates span pages and runs, and only the key bytes tell keys
     * apart */
    T_INTEQ(check_puts(90000, 70000, false, true, false), 0);
    T_INTEQ(check_puts(90000, 40000, true, true, false), 0);
    T_INTEQ(check_puts(90000, 0, true, true, true), 0);
}

/* Keys larger than the write buffers, in order and out of order. */
static void test_huge_keys(void)
{
    size_t big = (size_t)300 << 10;
    char *key = malloc(big);
    struct tf_keyidx *ix = NULL;
    struct isl_error err;
    struct tf_keyrec rec = {.line = 7}, old;

    T_INTEQ(tf_keyidx_open(&ix, &err), 0);
    if (!ix || !key) {
        free(key);
        tf_keyidx_close(ix);
        return;
    }
    /* m, o, ..., y in order (the ascending log), then z down to a: the
     * ones not seen yet go to the hash index */
    for (char c = 'm'; c <= 'y'; c += 2) {
        memset(key, c, big);
        rec.line = (uint64_t)c;
        T_INTEQ(tf_keyidx_put(ix, key, big, tf_keyidx_hash(key, big), &rec,
                              false, &old, &err),
                1);
    }
    for (char c = 'z'; c >= 'a'; c--) {
        bool seen = c >= 'm' && c <= 'y' && (c - 'm') % 2 == 0;

        memset(key, c, big);
        rec.line = 1000 + (uint64_t)c;
        old.line = 0;
        T_INTEQ(tf_keyidx_put(ix, key, big, tf_keyidx_hash(key, big), &rec,
                              false, &old, &err),
                seen ? 0 : 1);
        T_INTEQ(old.line, seen ? (uint64_t)c : 0);
    }
    for (char c = 'a'; c <= 'l'; c++) { /* found in the hash index */
        memset(key, c, big);
        T_INTEQ(
            tf_keyidx_find(ix, key, big, tf_keyidx_hash(key, big), &old, &err),
            1);
        T_INTEQ(old.line, 1000 + (uint64_t)c);
    }
    /* a prefix of a stored key is another key */
    memset(key, 'm', big);
    T_INTEQ(tf_keyidx_find(ix, key, big - 1, tf_keyidx_hash(key, big - 1), &old,
                           &err),
            0);
    tf_keyidx_close(ix);
    free(key);
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (!d)
        return SIZE_MAX;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_tmpdir(void)
{
    char dir[] = "/tmp/isload-keyidx-test-XXXXXX";
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    struct tf_keyidx *ix = NULL;
    struct isl_error err;
    char key[32];

    T_CHECK(mkdtemp(dir) != NULL);
    setenv("TMPDIR", dir, 1);
    T_INTEQ(tf_keyidx_open(&ix, &err), 0);
    for (int i = 0; ix && i < 100000; i++) {
        struct tf_keyrec rec = {.line = (uint64_t)i}, prev;
        size_t len = (size_t)snprintf(key, sizeof(key), "K%d", i);

        tf_keyidx_put(ix, key, len, tf_keyidx_hash(key, len), &rec, false,
                      &prev, &err);
    }
    /* the files are unlinked as soon as they are made */
    T_INTEQ(entries(dir), 0);
    tf_keyidx_close(ix);
    T_INTEQ(entries(dir), 0);
    rmdir(dir);
    /* a TMPDIR that does not exist: a clear error, nothing leaked */
    setenv("TMPDIR", "/nonexistent/isload", 1);
    ix = NULL;
    T_INTEQ(tf_keyidx_open(&ix, &err), ISL_EIO);
    T_CHECK(ix == NULL);
    T_CHECK(strstr(err.msg, "cannot create a temporary file in "
                            "/nonexistent/isload") != NULL);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}

TEST_LIST = {
    {"first", test_first},           {"replace", test_replace},
    {"collisions", test_collisions}, {"huge_keys", test_huge_keys},
    {"tmpdir", test_tmpdir},         {NULL, NULL},
};
