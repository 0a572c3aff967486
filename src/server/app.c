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
	uint64_t size = 0;
	int rc;

	memset(a, 0, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	pthread_mutex_init(&a->group_mu, NULL);
	pthread_cond_init(&a->group_done, NULL);
	a->group_max = APP_GROUP_MAX_DEFAULT;
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
	if ((rc = store_log_size(a->store, &size)))
		goto fail;
	a->log_version = size;
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
	pthread_cond_destroy(&a->group_done);
	pthread_mutex_destroy(&a->group_mu);
}

/* The snapshot the calling thread reads in (app_read_begin), and its log size. */
static _Thread_local const struct app *tl_reading;
static _Thread_local uint64_t tl_version;
static _Thread_local int tl_refused;

int app_read_begin(struct app *a)
{
	uint64_t version;
	int rc;
	if (tl_reading)
		return TQ_EINVALID;
	/* Before the snapshot exists: it will hold at least this state. */
	version = a->log_version;
	if ((rc = store_read_begin(a->store)))
		return rc;
	/* With other writers (nodes sharing a database: a->sync) this node's
	 * memory may be behind the snapshot, and a write another node answered
	 * may be in neither: the version is the snapshot's own log size, read
	 * first (it opens the snapshot), so an answer is cached and found under
	 * exactly the state it shows. */
	if (a->sync && (rc = store_log_size(a->store, &version))) {
		store_read_end(a->store);
		return rc;
	}
	tl_reading = a;
	tl_version = version;
	tl_refused = 0;
	return TQ_OK;
}

int app_read_end(struct app *a)
{
	if (tl_reading != a)
		return 0;
	tl_reading = NULL;
	store_read_end(a->store);
	return tl_refused;
}

int app_need_lock(const struct app *a)
{
	if (tl_reading != a)
		return TQ_OK;
	tl_refused = 1;
	return APP_NEED_LOCK;
}

int app_reading(const struct app *a)
{
	return tl_reading == a;
}

int app_memory_behind(const struct app *a)
{
	return tl_reading == a && tl_version > a->log_version;
}

uint64_t app_log_version(const struct app *a)
{
	return tl_reading == a ? tl_version : a->log_version;
}

int app_sync(struct app *a)
{
	if (a->group)
		return TQ_OK;
	return a->sync ? a->sync(a) : TQ_OK;
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
	json_t *s = NULL;
	settings_defaults(out);
	if (json_unpack((json_t *)track, "{s?o}", "settings", &s))
		return TQ_EINVALID;
	return s ? settings_merge_json(out, s, NULL) : TQ_OK;
}

const char *app_member_role(const json_t *track, const char *party)
{
	size_t i;
	json_t *m, *members = NULL;
	if (!party || !party[0] || json_unpack((json_t *)track, "{s:o}", "members", &members))
		return NULL;
	json_array_foreach(members, i, m) {
		const char *p = NULL, *role = NULL;
		if (!json_unpack(m, "{s:s, s?s}", "party", &p, "role", &role) && !strcmp(p, party))
			return role;
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
