#include "server/app.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/event.h"
#include "core/event_types.h"
#include "core/limits.h"
#include "server/cache.h"

/* Added to the wall clock; moved only by the test clock control (--test-hooks). */
static _Atomic int64_t clock_offset_ms;

tq_time app_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (tq_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&clock_offset_ms);
}

void app_clock_advance(int64_t ms)
{
	atomic_fetch_add(&clock_offset_ms, ms);
}

int64_t app_clock_offset(void)
{
	return atomic_load(&clock_offset_ms);
}

/* The key file holds the 64-byte Ed25519 secret key; anything but 0600 is refused. */
static int load_key(struct app *a)
{
	char path[1200];
	struct stat st;
	int fd, rc = TQ_EIO;
	snprintf(path, sizeof path, "%s/server.key", a->data_dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "tansiqd: cannot open %s: %s\n", path, strerror(errno));
		return TQ_EIO;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		fprintf(stderr, "tansiqd: %s must have mode 0600\n", path);
		rc = TQ_EINVALID; /* a configuration error, not a broken store */
		goto done;
	}
	if (read(fd, a->sign_sk, sizeof a->sign_sk) != (ssize_t)sizeof a->sign_sk) {
		fprintf(stderr, "tansiqd: %s is not a signing key\n", path);
		goto done;
	}
	crypto_sign_ed25519_sk_to_pk(a->sign_pk, a->sign_sk);
	rc = TQ_OK;
done:
	close(fd);
	return rc;
}

int app_open(struct app *a, const char *data_dir)
{
	return app_open_store(a, data_dir, NULL);
}

/* A node's id names it in /v1/health: kept in DIR/node-id so that it is
 * stable across restarts; made at first start. */
static void load_node_id(struct app *a)
{
	char path[1200];
	uint8_t rnd[6];
	snprintf(path, sizeof path, "%s/node-id", a->data_dir);
	FILE *f = fopen(path, "r");
	if (f) {
		int ok = fscanf(f, "%31s", a->node) == 1;
		fclose(f);
		if (ok)
			return;
	}
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(a->node, sizeof a->node, rnd, sizeof rnd);
	if ((f = fopen(path, "w"))) {
		fprintf(f, "%s\n", a->node);
		fclose(f);
	}
}

int app_open_store(struct app *a, const char *data_dir, const char *store_location)
{
	char path[1200];
	char *origin = NULL;
	int rc;

	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	a->after_tail = &a->after_head;
	a->max_body = TQ_MAX_BODY_BYTES;
	snprintf(a->data_dir, sizeof a->data_dir, "%s", data_dir);
	snprintf(path, sizeof path, "%s/tansiq.db", data_dir);
	if ((rc = store_open(store_location ? store_location : path, 0, &a->store))) {
		if (store_location)
			fprintf(stderr, "tansiqd: cannot open the PostgreSQL store (unreachable, not initialised or newer)\n");
		else
			fprintf(stderr, "tansiqd: cannot open the store %s (missing or corrupt)\n", path);
		rc = TQ_EIO;
		goto fail;
	}
	load_node_id(a);
	if ((rc = load_key(a)))
		goto fail;
	if ((rc = store_meta_get(a->store, "origin", &origin)) || !origin) {
		fprintf(stderr, "tansiqd: the store has no log origin: not initialised\n");
		rc = TQ_EIO;
		goto fail;
	}
	snprintf(a->origin, sizeof a->origin, "%s", origin);
	free(origin);
	if ((rc = store_log_size(a->store, &a->log_version)))
		goto fail;
	a->answers = cache_new();
	return TQ_OK;
fail:
	app_close(a);
	return rc;
}

void app_close(struct app *a)
{
	store_close(a->store);
	a->store = NULL;
	cache_free(a->answers);
	a->answers = NULL;
	sodium_memzero(a->sign_sk, sizeof a->sign_sk);
	pthread_mutex_destroy(&a->lock);
}

static void after_free_all(struct app *a, int run)
{
	struct app_after *e = a->after_head, *next;
	for (; e; e = next) {
		next = e->next;
		if (run && e->fn)
			e->fn(e->ctx);
		if (e->free_ctx)
			e->free_ctx(e->ctx);
		free(e);
	}
	a->after_head = NULL;
	a->after_tail = &a->after_head;
}

int app_sync(struct app *a)
{
	return a->sync ? a->sync(a) : TQ_OK;
}

int app_tx_begin(struct app *a)
{
	int rc = store_begin(a->store);
	/* The cell-wide write lock is held now: what other nodes committed
	 * before it is what this write must be checked against. */
	if (rc == TQ_OK && (rc = app_sync(a)))
		store_rollback(a->store);
	if (rc == TQ_OK)
		a->in_tx = 1;
	return rc;
}

int app_tx_commit(struct app *a)
{
	int rc = store_commit(a->store);
	a->in_tx = 0;
	after_free_all(a, rc == TQ_OK);
	return rc;
}

void app_tx_abort(struct app *a)
{
	store_rollback(a->store);
	a->in_tx = 0;
	after_free_all(a, 0);
}

void app_after_commit(struct app *a, app_after_fn fn, void *ctx, void (*free_ctx)(void *))
{
	struct app_after *e;
	if (!a->in_tx) {
		fn(ctx);
		if (free_ctx)
			free_ctx(ctx);
		return;
	}
	e = calloc(1, sizeof *e);
	if (!e) {
		/* Losing an after-commit action would desynchronise memory from the store. */
		fprintf(stderr, "tansiqd: out of memory scheduling an after-commit action\n");
		abort();
	}
	e->fn = fn;
	e->ctx = ctx;
	e->free_ctx = free_ctx;
	*a->after_tail = e;
	a->after_tail = &e->next;
}

struct published {
	struct app *app;
	uint64_t index;
	char *type, *track, *audience, *leaf;
	size_t leaf_len;
};

static void publish(void *ctx)
{
	struct published *p = ctx;
	p->app->log_version = p->index + 1;
	if (p->app->sink)
		p->app->sink(p->app->sink_ctx, p->index, p->type, p->track, p->audience, p->leaf, p->leaf_len);
}

static void published_free(void *ctx)
{
	struct published *p = ctx;
	free(p->type);
	free(p->track);
	free(p->audience);
	free(p->leaf);
	free(p);
}

int app_emit(struct app *a, const struct who *actor, tq_time now, const char *type, const char *track,
	     const char *audience, const json_t *payload, uint64_t *out_index)
{
	struct event e = {
		.type = type,
		.track = track,
		.actor_party = actor->party[0] ? actor->party : NULL,
		.actor_user = actor->user,
		.actor_signature = actor->signature,
		.actor_signed_body = actor->signed_body,
		.time = now,
		.payload = payload,
	};
	struct published *p = NULL;
	char *leaf = NULL;
	size_t len;
	uint64_t index;
	int rc;

	if (!event_type_known(type)) {
		/* core/event_types.c is the one list; an emitter outside it is a bug. */
		fprintf(stderr, "tansiqd: event type %s is not in core/event_types.c\n", type ? type : "(null)");
		return TQ_EINTERNAL;
	}
	randombytes_buf(e.salt, sizeof e.salt);
	if ((rc = event_encode(&e, &leaf, &len)))
		return rc;
	if ((rc = store_event_append(a->store, type, track, audience, leaf, len, &index)))
		goto fail;
	p = calloc(1, sizeof *p);
	if (!p) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	p->app = a;
	p->index = index;
	p->type = strdup(type);
	p->track = track ? strdup(track) : NULL;
	p->audience = strdup(audience);
	p->leaf = leaf;
	p->leaf_len = len;
	if (!p->type || !p->audience || (track && !p->track)) {
		leaf = NULL;
		published_free(p);
		return TQ_ENOMEM;
	}
	app_after_commit(a, publish, p, published_free);
	if (out_index)
		*out_index = index;
	return TQ_OK;
fail:
	free(leaf);
	return rc;
}

void app_new_id(const char *prefix, tq_time now, char out[APP_ID_BUFSZ])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t rnd[10];
	char body[27];
	uint64_t t = (uint64_t)now;
	randombytes_buf(rnd, sizeof rnd);
	for (int i = 9; i >= 0; i--) {
		body[i] = alphabet[t & 31];
		t >>= 5;
	}
	/* 80 random bits → 16 characters. */
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 5; i++)
		hi = (hi << 8) | rnd[i];
	for (int i = 5; i < 10; i++)
		lo = (lo << 8) | rnd[i];
	for (int i = 17; i >= 10; i--) {
		body[i] = alphabet[hi & 31];
		hi >>= 5;
	}
	for (int i = 25; i >= 18; i--) {
		body[i] = alphabet[lo & 31];
		lo >>= 5;
	}
	body[26] = '\0';
	snprintf(out, APP_ID_BUFSZ, "%s_%s", prefix, body);
}

int app_track(struct app *a, const char *id, json_t **out)
{
	return store_track_get(a->store, id, out);
}

int app_track_settings(const json_t *track, struct track_settings *out)
{
	settings_defaults(out);
	json_t *s = json_object_get(track, "settings");
	return s ? settings_merge_json(out, s, NULL) : TQ_OK;
}

const char *app_member_role(const json_t *track, const char *party)
{
	size_t i;
	json_t *m;
	if (!party || !party[0])
		return NULL;
	json_array_foreach(json_object_get(track, "members"), i, m) {
		if (strcmp(json_string_value(json_object_get(m, "party")) ?: "", party) == 0)
			return json_string_value(json_object_get(m, "role"));
	}
	return NULL;
}

json_t *app_who_json(const struct who *w)
{
	return json_pack("{s:s?, s:s}", "party", w->party[0] ? w->party : NULL, "user", w->user);
}

json_t *app_time_json(tq_time t)
{
	char buf[TQTIME_BUFSZ];
	tqtime_format(t, buf);
	return json_string(buf);
}
