/*
 * witness — tansiqd's client of C2SP tlog-witnesses. See witness.h.
 *
 * Lock order: app->lock, then ws->mu (the checkpoint handler holds the first
 * and takes the second); a client thread never holds ws->mu while it takes
 * app->lock, and holds neither during a request.
 */
#include "server/witness.h"
#include "server/group.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cosig.h"
#include "core/limits.h"
#include "core/mlog.h"
#include "core/note.h"

#define WITNESS_TIMEOUT_S 10L
#define WITNESS_MAX_ANSWER 8192
#define WITNESS_MAX_BACKOFF_S 30

struct wclient {
	struct witnesses *ws;
	char *url;              /* "<prefix>/add-checkpoint" */
	char *vkey;
	char name[TQ_MAX_NAME_BYTES + 1];
	pthread_t thread;
	int started;
	/* under ws->mu */
	int known;              /* the witness told us its latest cosigned size */
	uint64_t known_size;
	int cosigned;
	uint64_t cosigned_size;
	char error[200];
};

struct kept {
	int used;
	uint64_t size;
	uint8_t root[32];
	unsigned count;
	char *lines[WITNESS_MAX];
};

struct witnesses {
	struct app *app;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* CLOCK_MONOTONIC */
	int stop;
	size_t n;
	struct wclient w[WITNESS_MAX];
	struct kept kept[WITNESS_KEPT];
	size_t kept_next;
};

int witness_spec_check(const char *spec)
{
	const char *eq = strrchr(spec, '=');
	struct note_key k;

	if (!eq || eq == spec || (strncmp(spec, "http://", 7) != 0 && strncmp(spec, "https://", 8) != 0)) {
		fprintf(stderr, "tansiqd: --witness wants URL=VKEY with an http(s) URL, got %s\n", spec);
		return -1;
	}
	if ((size_t)(eq - spec) > TQ_MAX_URL_BYTES || note_key_parse(eq + 1, NOTE_ALG_COSIG_V1, &k) != 0) {
		fprintf(stderr, "tansiqd: --witness %s: the VKEY is not a C2SP cosignature/v1 verifier key "
				"(tansiq witness init prints one)\n", spec);
		return -1;
	}
	return 0;
}

/* ---- the HTTP exchange ---- */

struct answer {
	char buf[WITNESS_MAX_ANSWER + 1];
	size_t len;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	if (a->len + n > WITNESS_MAX_ANSWER) {
		a->too_big = 1;
		return 0;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return n;
}

/* Aborts a transfer when tansiqd stops. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct witnesses *ws = arg;
	int stop;
	(void)dt, (void)dn, (void)ut, (void)un;
	pthread_mutex_lock(&ws->mu);
	stop = ws->stop;
	pthread_mutex_unlock(&ws->mu);
	return stop;
}

/* POSTs body; returns the HTTP status (0 on a transport failure, with err set). */
static long post(struct wclient *c, const char *body, size_t len, struct answer *ans, char *err,
		 size_t errsz)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURLcode rc;

	ans->len = 0;
	ans->too_big = 0;
	ans->buf[0] = '\0';
	if (!h) {
		snprintf(err, errsz, "out of memory");
		return 0;
	}
	hdr = curl_slist_append(hdr, "Content-Type: text/plain; charset=utf-8");
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, WITNESS_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c->ws);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errsz, "%s", ans->too_big ? "answer too large" : curl_easy_strerror(rc));
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

/* ---- kept cosignatures ---- */

static struct kept *kept_find(struct witnesses *ws, uint64_t size, const uint8_t root[32])
{
	for (size_t i = 0; i < WITNESS_KEPT; i++)
		if (ws->kept[i].used && ws->kept[i].size == size && memcmp(ws->kept[i].root, root, 32) == 0)
			return &ws->kept[i];
	return NULL;
}

/* Under ws->mu. Takes line. */
static void kept_put(struct witnesses *ws, size_t who, uint64_t size, const uint8_t root[32], char *line)
{
	struct kept *k = kept_find(ws, size, root);
	if (!k) {
		/* Replace the oldest entry. */
		k = &ws->kept[ws->kept_next];
		ws->kept_next = (ws->kept_next + 1) % WITNESS_KEPT;
		for (size_t i = 0; i < WITNESS_MAX; i++) {
			free(k->lines[i]);
			k->lines[i] = NULL;
		}
		k->used = 1;
		k->size = size;
		memcpy(k->root, root, 32);
		k->count = 0;
	}
	if (!k->lines[who])
		k->count++;
	free(k->lines[who]);
	k->lines[who] = line;
}

/* Keeps, of a 200 answer, the lines by this witness's name; NULL if none. */
static char *own_lines(const struct wclient *c, const char *ans)
{
	char prefix[TQ_MAX_NAME_BYTES + 8];
	size_t cap = strlen(ans) + 1, off = 0;
	char *out = malloc(cap);
	const char *p = ans;
	if (!out)
		return NULL;
	snprintf(prefix, sizeof prefix, "\xe2\x80\x94 %s ", c->name);
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) + 1 : strlen(p);
		if (eol && strncmp(p, prefix, strlen(prefix)) == 0) {
			memcpy(out + off, p, n);
			off += n;
		}
		p += n;
	}
	out[off] = '\0';
	if (off == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- one witness's thread ---- */

__attribute__((format(printf, 2, 3)))
static void set_error(struct wclient *c, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&c->ws->mu);
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&c->ws->mu);
}

/* The log's checkpoint now, signed, with the proof from the witness's size.
 * Returns 0, 1 when there is nothing to send, or a tq_err. */
static int prepare(struct wclient *c, uint64_t *size, uint8_t root[32], char **req, size_t *req_len,
		   char **note)
{
	struct witnesses *ws = c->ws;
	struct app *a = ws->app;
	uint8_t proof[MLOG_MAX_PROOF][32];
	size_t count = 0;
	uint64_t old = 0;
	char *body = NULL;
	int rc, known, cosigned;
	uint64_t known_size, cosigned_size;

	pthread_mutex_lock(&ws->mu);
	known = c->known, known_size = c->known_size;
	cosigned = c->cosigned, cosigned_size = c->cosigned_size;
	pthread_mutex_unlock(&ws->mu);

	group_lock_read(a);
	rc = store_log_size(a->store, size);
	if (!rc)
		rc = store_log_root(a->store, *size, root);
	if (!rc && (*size == 0 || (cosigned && cosigned_size == *size)))
		rc = 1;
	if (!rc && known) {
		old = known_size;
		if (old > *size)
			rc = TQ_ECONFLICT;
		else if (old > 0 && old < *size)
			rc = store_log_consistency(a->store, old, *size, proof, &count);
	}
	group_unlock(a);
	if (rc == TQ_ECONFLICT) {
		set_error(c, "the witness cosigned size %" PRIu64 " > log size %" PRIu64 " (log rolled back?)",
			  old, *size);
		return rc;
	}
	if (rc)
		return rc;
	if ((rc = note_checkpoint_body(a->origin, *size, root, &body)) ||
	    (rc = note_sign(body, a->origin, a->sign_sk, note)) ||
	    (rc = cosig_request_format(old, (const uint8_t(*)[32])proof, count, *note, req, req_len))) {
		free(body);
		return rc;
	}
	free(body);
	return 0;
}

/* Sends one request and records what came of it. Returns 0 on a cosignature
 * or a 409 (retry at the next tick), -1 on a failure (back off). */
static int exchange(struct wclient *c, size_t who)
{
	struct witnesses *ws = c->ws;
	struct answer *ans = NULL;
	uint64_t size;
	uint8_t root[32];
	char *req = NULL, *note = NULL, *full = NULL, *lines = NULL, err[160] = "";
	size_t req_len;
	long status;
	int ret = -1, rc;

	rc = prepare(c, &size, root, &req, &req_len, &note);
	if (rc == 1)
		return 0;
	if (rc)
		goto done;
	ans = malloc(sizeof *ans);
	if (!ans)
		goto done;
	status = post(c, req, req_len, ans, err, sizeof err);
	if (status == 0) {
		set_error(c, "unreachable: %s", err);
		goto done;
	}
	if (status == 409) {
		char *end;
		unsigned long long n = strtoull(ans->buf, &end, 10);
		if (ans->buf[0] < '0' || ans->buf[0] > '9' || strcmp(end, "\n") != 0) {
			set_error(c, "HTTP %ld with a malformed size", status);
			goto done;
		}
		pthread_mutex_lock(&ws->mu);
		c->known = 1;
		c->known_size = n;
		pthread_mutex_unlock(&ws->mu);
		ret = 0;
		goto done;
	}
	if (status != 200) {
		/* 422: the witness saw a checkpoint this log is not consistent with. */
		if (status == 422)
			set_error(c, "HTTP 422: not consistent with the witness's last cosigned checkpoint");
		else
			set_error(c, "HTTP %ld", status);
		goto done;
	}
	/* A cosignature is kept only if it verifies on the note that was sent. */
	lines = own_lines(c, ans->buf);
	size_t nl = strlen(note);
	full = lines ? malloc(nl + strlen(lines) + 1) : NULL;
	if (full) {
		memcpy(full, note, nl);
		strcpy(full + nl, lines);
	}
	if (!full || cosig_verify(full, strlen(full), c->vkey, NULL) != 0) {
		set_error(c, "HTTP 200 without a valid cosignature");
		goto done;
	}
	pthread_mutex_lock(&ws->mu);
	kept_put(ws, who, size, root, lines);
	lines = NULL;
	c->known = c->cosigned = 1;
	c->known_size = c->cosigned_size = size;
	c->error[0] = '\0';
	pthread_mutex_unlock(&ws->mu);
	ret = 0;
done:
	free(full);
	free(lines);
	free(ans);
	free(note);
	free(req);
	return ret;
}

static void *client_main(void *arg)
{
	struct wclient *c = arg;
	struct witnesses *ws = c->ws;
	size_t who = (size_t)(c - ws->w);
	unsigned backoff = 1;

	for (;;) {
		struct timespec until;
		int stop;
		clock_gettime(CLOCK_MONOTONIC, &until);
		/* At most one request per second: the log's growth in between
		 * goes out as one checkpoint. */
		until.tv_sec += backoff;
		pthread_mutex_lock(&ws->mu);
		while (!ws->stop && pthread_cond_timedwait(&ws->cv, &ws->mu, &until) != ETIMEDOUT)
			;
		stop = ws->stop;
		pthread_mutex_unlock(&ws->mu);
		if (stop)
			break;
		if (exchange(c, who) == 0)
			backoff = 1;
		else if ((backoff *= 2) > WITNESS_MAX_BACKOFF_S)
			backoff = WITNESS_MAX_BACKOFF_S;
	}
	return NULL;
}

int witness_start(struct app *a, const char *const *specs, size_t n)
{
	struct witnesses *ws;
	pthread_condattr_t ca;

	if (n == 0)
		return 0;
	if (n > WITNESS_MAX)
		return TQ_EINVALID;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return TQ_EINTERNAL;
	ws = calloc(1, sizeof *ws);
	if (!ws)
		return TQ_ENOMEM;
	ws->app = a;
	pthread_mutex_init(&ws->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ws->cv, &ca);
	pthread_condattr_destroy(&ca);
	a->witness = ws;
	for (size_t i = 0; i < n; i++) {
		struct wclient *c = &ws->w[i];
		const char *eq = strrchr(specs[i], '=');
		struct note_key k;
		size_t ulen = (size_t)(eq - specs[i]);
		c->ws = ws;
		c->vkey = strdup(eq + 1);
		c->url = malloc(ulen + sizeof "/add-checkpoint");
		if (!c->vkey || !c->url || note_key_parse(c->vkey, NOTE_ALG_COSIG_V1, &k) != 0)
			goto fail;
		/* URL is the submission prefix (tlog-witness): a trailing '/' is dropped. */
		while (ulen > 0 && specs[i][ulen - 1] == '/')
			ulen--;
		memcpy(c->url, specs[i], ulen);
		strcpy(c->url + ulen, "/add-checkpoint");
		memcpy(c->name, k.name, k.name_len);
		c->name[k.name_len] = '\0';
		snprintf(c->error, sizeof c->error, "not asked yet");
		ws->n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&ws->w[i].thread, NULL, client_main, &ws->w[i]) != 0)
			goto fail;
		ws->w[i].started = 1;
	}
	return 0;
fail:
	witness_stop(a);
	return TQ_ENOMEM;
}

void witness_stop(struct app *a)
{
	struct witnesses *ws = a->witness;
	if (!ws)
		return;
	pthread_mutex_lock(&ws->mu);
	ws->stop = 1;
	pthread_cond_broadcast(&ws->cv);
	pthread_mutex_unlock(&ws->mu);
	for (size_t i = 0; i < WITNESS_MAX; i++) {
		if (ws->w[i].started)
			pthread_join(ws->w[i].thread, NULL);
		free(ws->w[i].url);
		free(ws->w[i].vkey);
	}
	for (size_t i = 0; i < WITNESS_KEPT; i++)
		for (size_t j = 0; j < WITNESS_MAX; j++)
			free(ws->kept[i].lines[j]);
	pthread_cond_destroy(&ws->cv);
	pthread_mutex_destroy(&ws->mu);
	free(ws);
	a->witness = NULL;
	curl_global_cleanup();
}

int witness_lines(struct app *a, uint64_t size, const uint8_t root[32], char **out)
{
	struct witnesses *ws = a->witness;
	size_t len = 0;
	char *s;

	*out = NULL;
	if (!ws)
		return (*out = strdup("")) ? 0 : TQ_ENOMEM;
	pthread_mutex_lock(&ws->mu);
	struct kept *k = kept_find(ws, size, root);
	for (size_t i = 0; k && i < WITNESS_MAX; i++)
		len += k->lines[i] ? strlen(k->lines[i]) : 0;
	s = malloc(len + 1);
	if (s) {
		size_t off = 0;
		for (size_t i = 0; k && i < WITNESS_MAX; i++) {
			if (!k->lines[i])
				continue;
			memcpy(s + off, k->lines[i], strlen(k->lines[i]));
			off += strlen(k->lines[i]);
		}
		s[off] = '\0';
	}
	pthread_mutex_unlock(&ws->mu);
	*out = s;
	return s ? 0 : TQ_ENOMEM;
}

int witness_best(struct app *a, unsigned min_cosigs, uint64_t *size, uint8_t root[32])
{
	struct witnesses *ws = a->witness;
	struct kept *best = NULL;
	if (!ws)
		return TQ_ENOTFOUND;
	pthread_mutex_lock(&ws->mu);
	for (size_t i = 0; i < WITNESS_KEPT; i++) {
		struct kept *k = &ws->kept[i];
		if (k->used && k->count >= min_cosigs && (!best || k->size > best->size))
			best = k;
	}
	if (best) {
		*size = best->size;
		memcpy(root, best->root, 32);
	}
	pthread_mutex_unlock(&ws->mu);
	return best ? 0 : TQ_ENOTFOUND;
}

json_t *witness_health(struct app *a)
{
	struct witnesses *ws = a->witness;
	json_t *arr;
	if (!ws)
		return NULL;
	arr = json_array();
	pthread_mutex_lock(&ws->mu);
	for (size_t i = 0; i < ws->n; i++) {
		struct wclient *c = &ws->w[i];
		json_array_append_new(arr, json_pack("{s:s, s:o, s:s?}", "name", c->name, "cosigned_size",
						     c->cosigned ? json_integer((json_int_t)c->cosigned_size)
								 : json_null(),
						     "error", c->error[0] ? c->error : NULL));
	}
	pthread_mutex_unlock(&ws->mu);
	return arr;
}
