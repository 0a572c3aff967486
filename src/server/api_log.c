/*
 * api_log — the tamper-evident log (api.md, Tamper-evident log): signed
 * checkpoints, the verifier key, the caller's visible entries and proofs.
 * Proofs come from stored perfect-subtree hashes (mlog), in O(log n) reads.
 */
#include "server/api.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "core/mlog.h"
#include "core/note.h"
#include "server/auth.h"
#include "server/witness.h"

#define LOG_ENTRIES_MAX 1000

/* The signed checkpoint, followed by the cosignature lines the witness
 * clients hold for exactly this size and root (witness.h). Without
 * ?cosigned=N it covers the whole log at the moment of the request (rule 6),
 * with whatever cosignatures that checkpoint has (none until the witnesses
 * answered, about a second after a write). ?cosigned=N asks instead for the
 * largest recent checkpoint that has at least N cosignatures: a prefix of the
 * log, 404 when none is held (yet). */
static int checkpoint(struct req *r)
{
	uint64_t size;
	uint8_t root[32];
	char *body = NULL, *note = NULL, *cosigs = NULL, *out = NULL;
	const char *q = req_query(r, "cosigned");
	int rc;
	if (q) {
		char *end;
		unsigned long n = strtoul(q, &end, 10);
		if (*q < '1' || *q > '9' || *end || n > WITNESS_MAX)
			return req_fail(r, TQ_EMALFORMED, "cosigned must be an integer from 1 to %d", WITNESS_MAX);
		if (witness_best(r->app, (unsigned)n, &size, root))
			return req_fail(r, TQ_ENOTFOUND, "no checkpoint with %lu cosignatures is held", n);
	} else if ((rc = store_log_size(r->app->store, &size)) ||
		   (rc = store_log_root(r->app->store, size, root))) {
		return req_fail(r, rc, "store failure");
	}
	if ((rc = note_checkpoint_body(r->app->origin, size, root, &body)) ||
	    (rc = note_sign(body, r->app->origin, r->app->sign_sk, &note)) ||
	    (rc = witness_lines(r->app, size, root, &cosigs))) {
		free(note);
		free(body);
		return req_fail(r, rc, "cannot sign the checkpoint");
	}
	size_t nl = strlen(note), cl = strlen(cosigs);
	out = malloc(nl + cl + 1);
	if (!out) {
		free(cosigs);
		free(note);
		free(body);
		return req_fail(r, TQ_ENOMEM, "out of memory");
	}
	memcpy(out, note, nl);
	memcpy(out + nl, cosigs, cl + 1);
	free(cosigs);
	free(note);
	free(body);
	req_text(r, 200, "text/plain; charset=utf-8", out, nl + cl);
	return TQ_OK;
}

static int vkey(struct req *r)
{
	char *k = NULL;
	int rc = note_vkey(r->app->origin, r->app->sign_pk, &k);
	if (rc)
		return req_fail(r, rc, "cannot format the key");
	req_json(r, 200, json_pack("{s:s, s:s}", "vkey", k, "origin", r->app->origin));
	free(k);
	return TQ_OK;
}

static int parse_u64(struct req *r, const char *name, int required, uint64_t *out)
{
	const char *s = req_query(r, name);
	char *end;
	if (!s) {
		if (!required)
			return TQ_OK;
		return req_fail(r, TQ_EMALFORMED, "query parameter '%s' is required", name);
	}
	if (*s < '0' || *s > '9' || strlen(s) > 19)
		return req_fail(r, TQ_EMALFORMED, "query parameter '%s' must be a non-negative integer", name);
	*out = strtoull(s, &end, 10);
	if (*end)
		return req_fail(r, TQ_EMALFORMED, "query parameter '%s' must be a non-negative integer", name);
	return TQ_OK;
}

static json_t *b64(const void *data, size_t len)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *buf = malloc(n);
	json_t *s;
	if (!buf)
		return NULL;
	sodium_bin2base64(buf, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	s = json_string(buf);
	free(buf);
	return s;
}

struct entries_ctx {
	struct req *r;
	json_t *items;
	size_t limit;
	uint64_t next;
	int more;
};

static int entry_visit(void *ctx, const struct store_event *e)
{
	struct entries_ctx *c = ctx;
	if (!auth_event_visible(&c->r->who, e->audience))
		return 0;
	if (json_array_size(c->items) == c->limit) {
		c->more = 1;
		c->next = e->index;
		return 1;
	}
	json_t *event = json_loadb((const char *)e->leaf, e->leaf_len, 0, NULL);
	if (!event)
		return TQ_EIO;
	json_array_append_new(c->items, json_pack("{s:I, s:o, s:o, s:o}", "index", (json_int_t)e->index,
						  "leaf_data", b64(e->leaf, e->leaf_len), "event", event,
						  "leaf_hash", b64(e->leaf_hash, 32)));
	return 0;
}

static int entries(struct req *r)
{
	uint64_t from = 0, to = UINT64_MAX, size;
	struct entries_ctx c = {.r = r};
	char next[24];
	int rc;
	if ((rc = parse_u64(r, "from", 0, &from)) || (rc = parse_u64(r, "to", 0, &to)) ||
	    (rc = req_limit(r, &c.limit)))
		return rc;
	if ((rc = store_log_size(r->app->store, &size)))
		return req_fail(r, rc, "store failure");
	if (to > size)
		to = size;
	c.items = json_array();
	if (from < to && (rc = store_event_scan(r->app->store, from, to, entry_visit, &c))) {
		json_decref(c.items);
		return req_fail(r, rc, "store failure");
	}
	snprintf(next, sizeof next, "%llu", (unsigned long long)c.next);
	req_json(r, 200, json_pack("{s:o, s:s?, s:I}", "items", c.items, "next", c.more ? next : NULL, "size",
				   (json_int_t)size));
	return TQ_OK;
}

static int proof_answer(struct req *r, uint8_t (*hashes)[32], size_t count)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, b64(hashes[i], 32));
	req_json(r, 200, json_pack("{s:o}", "hashes", arr));
	return TQ_OK;
}

static int inclusion(struct req *r)
{
	uint64_t index = 0, size = 0, log_size;
	uint8_t hashes[MLOG_MAX_PROOF][32];
	size_t count;
	int rc;
	if ((rc = parse_u64(r, "index", 1, &index)) || (rc = parse_u64(r, "size", 1, &size)))
		return rc;
	if ((rc = store_log_size(r->app->store, &log_size)))
		return req_fail(r, rc, "store failure");
	if (index >= size || size > log_size)
		return req_fail(r, TQ_EINVALID, "need index < size <= %llu", (unsigned long long)log_size);
	if ((rc = store_log_inclusion(r->app->store, index, size, hashes, &count)))
		return req_fail(r, rc, "cannot build the proof");
	return proof_answer(r, hashes, count);
}

static int consistency(struct req *r)
{
	uint64_t from = 0, to = 0, log_size;
	uint8_t hashes[MLOG_MAX_PROOF][32];
	size_t count;
	int rc;
	if ((rc = parse_u64(r, "from", 1, &from)) || (rc = parse_u64(r, "to", 1, &to)))
		return rc;
	if ((rc = store_log_size(r->app->store, &log_size)))
		return req_fail(r, rc, "store failure");
	if (from < 1 || from > to || to > log_size)
		return req_fail(r, TQ_EINVALID, "need 1 <= from <= to <= %llu", (unsigned long long)log_size);
	if ((rc = store_log_consistency(r->app->store, from, to, hashes, &count)))
		return req_fail(r, rc, "cannot build the proof");
	return proof_answer(r, hashes, count);
}

const struct route api_log_routes[] = {
	{"GET", "/v1/log/checkpoint", checkpoint, 0},
	{"GET", "/v1/log/key", vkey, 0},
	{"GET", "/v1/log/entries", entries, 0},
	{"GET", "/v1/log/proof/inclusion", inclusion, 0},
	{"GET", "/v1/log/proof/consistency", consistency, 0},
	{NULL, NULL, NULL, 0},
};
