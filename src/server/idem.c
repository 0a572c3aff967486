/*
 * idem — see idem.h.
 */
#include "server/idem.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"

static void body_hash(struct req *r, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->path, strlen(r->path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->body, r->body_len);
	crypto_hash_sha256_final(&st, out);
}

int idem_replay(struct req *r, const char *key, int *rc)
{
	uint8_t want[32], have[32];
	int found, status;
	char *resp;
	*rc = TQ_OK;
	if (strlen(key) > 255) {
		*rc = req_fail(r, TQ_EMALFORMED, "Idempotency-Key longer than 255 characters");
		return 1;
	}
	body_hash(r, want);
	if ((*rc = store_idem_get(r->app->store, r->who.user, key, r->now - TQ_IDEMPOTENCY_TTL_S * 1000LL, &found,
				  have, &status, &resp)))
		return 1;
	if (!found)
		return 0;
	if (sodium_memcmp(want, have, 32) != 0) {
		free(resp);
		*rc = req_fail(r, TQ_ECONFLICT, "Idempotency-Key already used with another request body");
		return 1;
	}
	req_text(r, status, "application/json", resp, strlen(resp));
	return 1;
}

struct idem_write {
	char user[40];
	char *key, *text;
	uint8_t hash[32];
	int status;
	tq_time now;
};

static int idem_write(struct store *s, void *ctx)
{
	struct idem_write *w = ctx;
	return store_idem_put(s, w->user, w->key, w->hash, w->status, w->text, w->now);
}

static void idem_write_free(void *ctx)
{
	struct idem_write *w = ctx;
	free(w->key);
	free(w->text);
	free(w);
}

int idem_record(struct req *r, const char *key)
{
	struct idem_write *w = calloc(1, sizeof *w);
	if (!w)
		return TQ_ENOMEM;
	body_hash(r, w->hash);
	snprintf(w->user, sizeof w->user, "%s", r->who.user);
	w->status = r->status;
	w->now = r->now;
	w->key = strdup(key);
	w->text = r->out ? json_dumps(r->out, HTTP_JSON_FLAGS) : strdup(r->out_text ? r->out_text : "");
	if (!w->key || !w->text) {
		idem_write_free(w);
		return TQ_ENOMEM;
	}
	return commit_write(r->commit, idem_write, w, idem_write_free);
}
