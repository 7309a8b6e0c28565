/*
 * isl_state.h: the delta state store, STATE_DIR/state.db (SQLite, WAL):
 * per feed and instance, each key's hash of its staging row as the
 * instance last acknowledged it with a non-error outcome.
 *
 *   delta(feed, instance, key, hash, run)      the store
 *   run_keys(run, key, hash, seen, state)      what a run did to each key
 *
 * A run records every key it reads (seen), the hash of every row it sends
 * (state 'sent'), and marks them 'confirmed' (or 'deactivated') from the
 * instance's outcomes. Only when the run completes does isl_state_commit
 * fold its confirmed keys into the store: a failed, aborted or killed run
 * never advances it, and a resumed run sees the store exactly as its
 * first attempt did, so it makes the same decisions.
 *
 * Keys are the key columns' JSON object text ({"u_employee_id":"E1"}),
 * hashes 32 hex digits (the first half of a SHA-256 of the row).
 */
#ifndef ISL_STATE_H
#define ISL_STATE_H

#include "isl_setup.h"

#include <jansson.h>

struct isl_error;
struct isl_state;

/* Open (creating) DIR/state.db for feed and instance, as run `run`. A
 * shard (count > 1) only sees the keys of its own shard (index). */
int isl_state_open(struct isl_state **out, const char *dir, const char *feed,
                   const char *instance, const char *run, unsigned shard_index,
                   unsigned shard_count, struct isl_error *err);

/* The stored hash of key into hash (33 bytes); false when none. */
bool isl_state_lookup(struct isl_state *s, const char *key, char *hash);

/* The run read key (it is not missing). */
int isl_state_seen(struct isl_state *s, const char *key);

/* The run sends key's row, whose hash is hash ('sent'), or a
 * deactivation of key (hash NULL: 'deactivating'). */
int isl_state_sent(struct isl_state *s, const char *key, const char *hash);

/* The instance acknowledged key with a non-error outcome. */
int isl_state_confirmed(struct isl_state *s, const char *key);

/* Keys of the store (this shard's) that the run did not see, sorted;
 * *total gets the number of keys in the store (this shard's). The caller
 * owns the array of key strings. */
int isl_state_missing(struct isl_state *s, json_t **keys, uint64_t *total,
                      struct isl_error *err);

/* Make pending changes durable (called at batch ends). */
int isl_state_flush(struct isl_state *s);

/* The run completed: fold its confirmed keys into the store, forget the
 * keys it deactivated, and drop its run_keys. */
int isl_state_commit(struct isl_state *s, struct isl_error *err);

/* Close (without committing the run, whose run_keys stay for a resume). */
void isl_state_close(struct isl_state *s);

/* The shard (0..count-1) of a key: the first 8 bytes of its SHA-256, big
 * endian, modulo count. */
unsigned isl_state_shard_of(const char *key, size_t len, unsigned count);

/* hash (33 bytes): the first 16 bytes of SHA-256(data), hex. */
void isl_state_hash(const void *data, size_t len, char *hash);

#endif
