/*
 * witness — `tansiq witness`. See witness.h.
 *
 * One libmicrohttpd thread answers requests; the state lives in memory (a
 * JSON object, the file's content) and every change goes to disk before the
 * answer. The checks themselves are core/cosig.c's (cosig_witness_check, on
 * mlog_verify_consistency: the same code `tansiq verify` runs).
 */
#include "cli/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/cosig.h"
#include "core/limits.h"
#include "core/note.h"

#define WITNESS_MAX_LOGS 16
#define KEY_FILE_MAX 1024
#define STATE_FILE_MAX (4 * 1024 * 1024)
#define KEY_PREFIX "PRIVATE+KEY+"

struct witness_log {
	const char *vkey;
	char origin[TQ_MAX_NAME_BYTES + 1];
	char origin_hash[65];   /* hex SHA-256 of the origin, for the monitoring path */
};

struct witness {
	char name[TQ_MAX_NAME_BYTES + 1];
	uint8_t sk[64];
	struct witness_log logs[WITNESS_MAX_LOGS];
	size_t nlogs;
	const char *state_path;
	json_t *state;          /* {"logs": {origin: {"size", "root", "checkpoint"}}} */
	pthread_mutex_t lock;
};

/* ---- the key file ---- */

static int parse_key_file(const char *text, struct witness *w)
{
	const char *p = text, *plus, *b64, *end;
	uint8_t raw[33], pk[32], id[NOTE_KEY_ID_BYTES];
	char hex[2 * NOTE_KEY_ID_BYTES + 1];
	size_t nlen;
	int rc = -1;

	if (strncmp(p, KEY_PREFIX, strlen(KEY_PREFIX)) != 0)
		return -1;
	p += strlen(KEY_PREFIX);
	plus = strchr(p, '+');
	if (!plus || (nlen = (size_t)(plus - p)) > TQ_MAX_NAME_BYTES || !note_name_ok(p, nlen))
		return -1;
	memcpy(w->name, p, nlen);
	w->name[nlen] = '\0';
	if (strlen(plus + 1) < 2 * NOTE_KEY_ID_BYTES + 1 || plus[1 + 2 * NOTE_KEY_ID_BYTES] != '+')
		return -1;
	memcpy(hex, plus + 1, 2 * NOTE_KEY_ID_BYTES);
	hex[2 * NOTE_KEY_ID_BYTES] = '\0';
	b64 = plus + 2 + 2 * NOTE_KEY_ID_BYTES;
	end = b64 + strcspn(b64, "\r\n");
	if (note_b64_exact(b64, (size_t)(end - b64), raw, sizeof raw) != 0 || raw[0] != NOTE_ALG_COSIG_V1)
		goto done;
	if (crypto_sign_seed_keypair(pk, w->sk, raw + 1) != 0 || cosig_key_id(w->name, pk, id) != 0)
		goto done;
	char want[2 * NOTE_KEY_ID_BYTES + 1];
	sodium_bin2hex(want, sizeof want, id, sizeof id);
	rc = strcmp(want, hex) == 0 ? 0 : -1;
done:
	sodium_memzero(raw, sizeof raw);
	return rc;
}

static int load_key(const char *path, struct witness *w)
{
	char buf[KEY_FILE_MAX + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	int rc;

	if (fd < 0) {
		fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, KEY_FILE_MAX);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "error: cannot read %s\n", path);
		return -1;
	}
	buf[n] = '\0';
	rc = parse_key_file(buf, w);
	sodium_memzero(buf, sizeof buf);
	if (rc)
		fprintf(stderr, "error: %s is not a witness key (tansiq witness init makes one)\n", path);
	return rc;
}

static int witness_init(const char *path, const char *name)
{
	char gen_name[64], *vkey = NULL;
	uint8_t pk[32] = {0}, sk[64], raw[33], id[NOTE_KEY_ID_BYTES], rnd[8];
	char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)], hex[9], *line = NULL;
	int fd = -1, ret = CLI_ELOCAL;

	if (!name) {
		char h[17];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(h, sizeof h, rnd, sizeof rnd);
		snprintf(gen_name, sizeof gen_name, "tansiq.witness/%s", h);
		name = gen_name;
	}
	if (cosig_key_id(name, pk, id) != 0) {
		fprintf(stderr, "error: --name must be non-empty, without spaces or '+'\n");
		return CLI_EUSAGE;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "error: cannot create %s: %s%s\n", path, strerror(errno),
			errno == EEXIST ? "; nothing changed" : "");
		return CLI_ELOCAL;
	}
	crypto_sign_keypair(pk, sk);
	raw[0] = NOTE_ALG_COSIG_V1;
	memcpy(raw + 1, sk, 32);  /* libsodium's secret key starts with the seed */
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	if (cosig_key_id(name, pk, id) != 0 || cosig_vkey(name, pk, &vkey) != 0)
		goto done;
	sodium_bin2hex(hex, sizeof hex, id, sizeof id);
	size_t n = strlen(KEY_PREFIX) + strlen(name) + 1 + 8 + 1 + strlen(b64) + 2;
	line = malloc(n);
	if (!line)
		goto done;
	snprintf(line, n, "%s%s+%s+%s\n", KEY_PREFIX, name, hex, b64);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || fsync(fd) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		close(fd);
		fd = -1;
		unlink(path);
		goto done;
	}
	printf("witness key written to %s (keep it secret)\nverifier key (give it to tansiqd --witness "
	       "and tansiq verify --witness):\n%s\n", path, vkey);
	ret = CLI_OK;
done:
	if (fd >= 0)
		close(fd);
	if (line) {
		sodium_memzero(line, strlen(line));
		free(line);
	}
	sodium_memzero(sk, sizeof sk);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(b64, sizeof b64);
	free(vkey);
	return ret;
}

/* ---- state: loaded once, replaced atomically ---- */

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;
	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

static int state_save(const struct witness *w)
{
	char tmp[4200];
	char *text = json_dumps(w->state, JSON_INDENT(1) | JSON_SORT_KEYS);
	int fd = -1, rc = -1;
	size_t len, off = 0;

	if (!text || snprintf(tmp, sizeof tmp, "%s.tmp", w->state_path) >= (int)sizeof tmp)
		goto done;
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto done;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto done;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto done;
	close(fd);
	fd = -1;
	/* rename(2) replaces the file atomically; the directory's fsync makes
	 * the rename itself durable before the cosignature is answered. */
	if (rename(tmp, w->state_path) != 0 || fsync_dir_of(w->state_path) != 0)
		goto done;
	rc = 0;
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(text);
	return rc;
}

static int state_load(struct witness *w)
{
	json_error_t err;
	struct stat st;

	if (stat(w->state_path, &st) != 0) {
		if (errno != ENOENT) {
			fprintf(stderr, "error: cannot read %s: %s\n", w->state_path, strerror(errno));
			return -1;
		}
		w->state = json_pack("{s:{}}", "logs");
		return w->state ? 0 : -1;
	}
	if (st.st_size > STATE_FILE_MAX) {
		fprintf(stderr, "error: %s is too large\n", w->state_path);
		return -1;
	}
	w->state = json_load_file(w->state_path, JSON_REJECT_DUPLICATES, &err);
	/* A witness that forgot what it cosigned would cosign a fork: a state
	 * file that does not parse stops it, it is never reset silently. */
	if (!w->state || !json_is_object(json_object_get(w->state, "logs"))) {
		fprintf(stderr, "error: %s is not a witness state file (%s); refusing to start\n",
			w->state_path, w->state ? "no logs object" : err.text);
		json_decref(w->state);
		w->state = NULL;
		return -1;
	}
	return 0;
}

/* The latest cosigned (size, root) of origin; size 0 when none. */
static int state_get(const struct witness *w, const char *origin, uint64_t *size, uint8_t root[32])
{
	json_t *e = json_object_get(json_object_get(w->state, "logs"), origin);
	json_int_t n;
	const char *r;

	*size = 0;
	memset(root, 0, 32);
	if (!e)
		return 0;
	n = json_integer_value(json_object_get(e, "size"));
	r = json_string_value(json_object_get(e, "root"));
	if (n < 0 || !r || note_b64_exact(r, strlen(r), root, 32) != 0)
		return -1;
	*size = (uint64_t)n;
	return 0;
}

/* ---- HTTP ---- */

struct upload {
	char *buf;
	size_t len;
	int too_big;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *ctype,
			      const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return answer(conn, status, "text/plain; charset=utf-8", msg);
}

static const struct witness_log *find_log(const struct witness *w, const char *origin, size_t len)
{
	for (size_t i = 0; i < w->nlogs; i++)
		if (strlen(w->logs[i].origin) == len && memcmp(w->logs[i].origin, origin, len) == 0)
			return &w->logs[i];
	return NULL;
}

/* The note to keep: the checkpoint body, the log's signature lines (by name)
 * and our cosignature. Returns owned text. */
static char *kept_note(const char *note, size_t note_len, size_t body_len, const char *origin,
		       const char *line)
{
	size_t cap = note_len + strlen(line) + 2, off = body_len + 1;
	char *out = malloc(cap), prefix[TQ_MAX_NAME_BYTES + 8];
	const char *p = note + body_len + 1, *end = note + note_len;
	if (!out)
		return NULL;
	snprintf(prefix, sizeof prefix, "\xe2\x80\x94 %s ", origin);
	memcpy(out, note, body_len + 1);  /* body and the blank line */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(eol - p) + 1;
		if (strncmp(p, prefix, strlen(prefix)) == 0) {
			memcpy(out + off, p, n);
			off += n;
		}
		p = eol + 1;
	}
	memcpy(out + off, line, strlen(line) + 1);
	return out;
}

static enum MHD_Result add_checkpoint(struct witness *w, struct MHD_Connection *conn,
				      const char *req, size_t len)
{
	struct cosig_request rq;
	const struct witness_log *log;
	const char *eol;
	char *body = NULL, *origin = NULL, *line = NULL, *kept = NULL, msg[160];
	uint8_t root[32], last_root[32];
	uint64_t size, last_size;
	enum MHD_Result ret;
	int rc;

	rc = cosig_request_parse(req, len, &rq);
	if (rc)
		return text(conn, rc == TQ_ETOOBIG ? 413 : 400, "malformed add-checkpoint request\n");
	eol = memchr(rq.note, '\n', rq.note_len);
	log = eol ? find_log(w, rq.note, (size_t)(eol - rq.note)) : NULL;
	if (!log)
		return text(conn, 404, "unknown log origin\n");
	/* "MUST verify the checkpoint signature against the public key(s) it
	 * trusts for the checkpoint origin ... 403 Forbidden". */
	rc = note_verify(rq.note, rq.note_len, log->vkey, &body);
	if (rc == TQ_EINVALID)
		return text(conn, 403, "the checkpoint is not signed by the log's key\n");
	if (rc || note_parse_checkpoint(body, &origin, &size, root) != 0) {
		free(body);
		return text(conn, 400, "malformed checkpoint\n");
	}
	pthread_mutex_lock(&w->lock);
	if (state_get(w, log->origin, &last_size, last_root) != 0) {
		ret = text(conn, 500, "the witness state is corrupt\n");
		goto done;
	}
	rc = cosig_witness_check(last_size, last_root, &rq, size, root);
	fprintf(stderr, "tansiq witness: %s old %" PRIu64 " -> %" PRIu64 ": %s\n", log->origin, rq.old_size,
		size, rc == 0 ? "cosigned" : tq_err_name(rc));
	if (rc == TQ_ECONFLICT) {
		snprintf(msg, sizeof msg, "%" PRIu64 "\n", last_size);
		ret = answer(conn, 409, "text/x.tlog.size", msg);
		goto done;
	}
	if (rc) {
		ret = text(conn, rc == TQ_EMALFORMED ? 400 : 422,
			   rc == TQ_EMALFORMED ? "old size above the checkpoint size\n"
					       : "not consistent with the latest cosigned checkpoint\n");
		goto done;
	}
	if (cosig_sign(body, w->name, w->sk, (uint64_t)time(NULL), &line) != 0 ||
	    !(kept = kept_note(rq.note, rq.note_len, strlen(body), log->origin, line))) {
		ret = text(conn, 500, "cannot cosign\n");
		goto done;
	}
	char rb64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(rb64, sizeof rb64, root, 32, sodium_base64_VARIANT_ORIGINAL);
	json_t *logs = json_object_get(w->state, "logs");
	json_t *old = json_incref(json_object_get(logs, log->origin));
	json_object_set_new(logs, log->origin,
			    json_pack("{s:I, s:s, s:s}", "size", (json_int_t)size, "root", rb64,
				      "checkpoint", kept));
	/* "The witness MUST persist the new checkpoint before responding." */
	if (state_save(w) != 0) {
		fprintf(stderr, "tansiq witness: cannot write %s: %s\n", w->state_path, strerror(errno));
		if (old)
			json_object_set(logs, log->origin, old);
		else
			json_object_del(logs, log->origin);
		json_decref(old);
		ret = text(conn, 500, "cannot persist the witness state\n");
		goto done;
	}
	json_decref(old);
	ret = text(conn, 200, line);
done:
	pthread_mutex_unlock(&w->lock);
	free(kept);
	free(line);
	free(origin);
	free(body);
	return ret;
}

static enum MHD_Result monitor(struct witness *w, struct MHD_Connection *conn, const char *hash)
{
	enum MHD_Result ret = MHD_NO;
	int found = 0;
	for (size_t i = 0; i < w->nlogs && !found; i++) {
		if (strcmp(w->logs[i].origin_hash, hash) != 0)
			continue;
		found = 1;
		pthread_mutex_lock(&w->lock);
		json_t *e = json_object_get(json_object_get(w->state, "logs"), w->logs[i].origin);
		const char *cp = json_string_value(json_object_get(e, "checkpoint"));
		ret = cp ? text(conn, 200, cp) : text(conn, 404, "no checkpoint cosigned yet\n");
		pthread_mutex_unlock(&w->lock);
	}
	return found ? ret : text(conn, 404, "unknown log\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct witness *w = cls;
	struct upload *u = *con_cls;
	(void)version;

	if (strcmp(url, "/add-checkpoint") == 0) {
		if (strcmp(method, "POST") != 0)
			return text(conn, 405, "use POST\n");
		if (!u) {
			u = calloc(1, sizeof *u);
			if (!u)
				return MHD_NO;
			*con_cls = u;
			return MHD_YES;
		}
		if (*data_size) {
			if (u->too_big || u->len + *data_size > COSIG_MAX_REQUEST) {
				u->too_big = 1;
			} else {
				char *nb = realloc(u->buf, u->len + *data_size + 1);
				if (!nb)
					return MHD_NO;
				u->buf = nb;
				memcpy(u->buf + u->len, data, *data_size);
				u->len += *data_size;
				u->buf[u->len] = '\0';
			}
			*data_size = 0;
			return MHD_YES;
		}
		if (u->too_big)
			return text(conn, 413, "request too large\n");
		return add_checkpoint(w, conn, u->buf ? u->buf : "", u->len);
	}
	/* GET /<64 hex>/checkpoint */
	size_t n = strlen(url);
	if (n == 1 + 64 + strlen("/checkpoint") && url[0] == '/' && strcmp(url + 65, "/checkpoint") == 0) {
		char hash[65];
		if (strcmp(method, "GET") != 0)
			return text(conn, 405, "use GET\n");
		memcpy(hash, url + 1, 64);
		hash[64] = '\0';
		return monitor(w, conn, hash);
	}
	return text(conn, 404, "not found\n");
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (u) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (host[0] == '[') {
		size_t n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			return -1;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int add_log(struct witness *w, const char *vkey)
{
	struct note_key k;
	uint8_t h[32];
	struct witness_log *l;

	if (w->nlogs == WITNESS_MAX_LOGS) {
		fprintf(stderr, "error: at most %d --log-vkey\n", WITNESS_MAX_LOGS);
		return -1;
	}
	if (note_key_parse(vkey, NOTE_ALG_ED25519, &k) != 0) {
		fprintf(stderr, "error: --log-vkey %s is not an Ed25519 signed-note verifier key "
				"(GET /v1/log/key)\n", vkey);
		return -1;
	}
	l = &w->logs[w->nlogs++];
	l->vkey = vkey;
	/* tansiq's checkpoint origin is its key's name (api.md). */
	memcpy(l->origin, k.name, k.name_len);
	l->origin[k.name_len] = '\0';
	crypto_hash_sha256(h, (const uint8_t *)l->origin, k.name_len);
	sodium_bin2hex(l->origin_hash, sizeof l->origin_hash, h, sizeof h);
	return 0;
}

static int witness_serve(struct witness *w, const char *listen)
{
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	char lockpath[4200];
	sigset_t set;
	int sig, lockfd;

	if (parse_listen(listen, &ss) != 0) {
		fprintf(stderr, "error: --listen wants ADDR:PORT with a numeric address\n");
		return CLI_EUSAGE;
	}
	if (snprintf(lockpath, sizeof lockpath, "%s.lock", w->state_path) >= (int)sizeof lockpath)
		return CLI_EUSAGE;
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr, "error: cannot lock %s: %s (is another witness using this state?)\n",
			lockpath, strerror(errno));
		if (lockfd >= 0)
			close(lockfd);
		return CLI_ELOCAL;
	}
	if (state_load(w) != 0) {
		close(lockfd);
		return CLI_ELOCAL;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* One thread: requests are answered one at a time (the lock is for form). */
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "error: cannot listen on %s\n", listen);
		json_decref(w->state);
		close(lockfd);
		return CLI_ELOCAL;
	}
	printf("witness %s listening on http://%s\n", w->name, listen);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	json_decref(w->state);
	close(lockfd);
	return CLI_OK;
}

int witness_cmd(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		int argc, char **argv)
{
	const char *key = NULL, *listen = NULL, *state = NULL, *name = NULL;
	char state_buf[4096];
	int init = 0, ret;
	struct witness *w = NULL;
	(void)ctx;

	int i = 1;
	if (argc > 1 && strcmp(argv[1], "init") == 0) {
		init = 1;
		i = 2;
	}
	w = calloc(1, sizeof *w);
	if (!w)
		return CLI_ELOCAL;
	pthread_mutex_init(&w->lock, NULL);
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cmd_help(stdout, g, c);
			ret = CLI_OK;
			goto done;
		}
		if (i + 1 >= argc || !(!strcmp(a, "--key") || !strcmp(a, "--listen") || !strcmp(a, "--state") ||
				       !strcmp(a, "--log-vkey") || !strcmp(a, "--name"))) {
			fprintf(stderr, "error: unknown or incomplete argument %s (see tansiq witness --help)\n", a);
			ret = CLI_EUSAGE;
			goto done;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--key"))
			key = v;
		else if (!strcmp(a, "--listen"))
			listen = v;
		else if (!strcmp(a, "--state"))
			state = v;
		else if (!strcmp(a, "--name"))
			name = v;
		else if (init || add_log(w, v) != 0) {
			if (init)
				fprintf(stderr, "error: --log-vkey is not an option of witness init\n");
			ret = CLI_EUSAGE;
			goto done;
		}
	}
	ret = CLI_EUSAGE;
	if (!key) {
		fprintf(stderr, "error: --key FILE is required (see tansiq witness --help)\n");
		goto done;
	}
	if (init) {
		if (listen || state) {
			fprintf(stderr, "error: witness init takes --key FILE [--name NAME] only\n");
			goto done;
		}
		ret = witness_init(key, name);
		goto done;
	}
	if (name || !listen || w->nlogs == 0) {
		fprintf(stderr, "error: tansiq witness needs --listen ADDR:PORT and --log-vkey VKEY "
				"(--name belongs to witness init)\n");
		goto done;
	}
	if (!state) {
		if (snprintf(state_buf, sizeof state_buf, "%s.state", key) >= (int)sizeof state_buf)
			goto done;
		state = state_buf;
	}
	w->state_path = state;
	if (load_key(key, w) != 0) {
		ret = CLI_ELOCAL;
		goto done;
	}
	ret = witness_serve(w, listen);
done:
	sodium_memzero(w->sk, sizeof w->sk);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return ret;
}

static const struct opt_spec witness_opts[] = {
	{"--key", "", OT_STR, OPT_REQ, "the witness's key FILE (made by 'tansiq witness init --key FILE')"},
	{"--listen", "", OT_STR, 0, "ADDR:PORT to serve on (numeric address)"},
	{"--log-vkey", "", OT_STRS, 0, "verifier key of a log to witness (GET /v1/log/key of tansiqd)"},
	{"--state", "", OT_STR, 0, "state file (default FILE.state beside the key)"},
	{"--name", "", OT_STR, 0, "init only: the witness's key name (default tansiq.witness/<random>)"},
	{NULL, NULL, 0, 0, NULL},
};

static const struct cmd_spec witness_cmds[] = {
	{"", NULL, NULL, 0, witness_opts, NULL,
	 "Run a C2SP transparency-log witness for a tansiq log, or make its key (init).",
	 "  tansiq witness init --key FILE [--name NAME]\n"
	 "      creates the Ed25519 key (mode 0600; an existing FILE is left alone, exit 1) and\n"
	 "      prints the witness's cosigner vkey alone on the last line.\n"
	 "  tansiq witness --key FILE --listen ADDR:PORT --log-vkey VKEY [--state FILE]\n"
	 "      serves POST /add-checkpoint (c2sp.org/tlog-witness): cosigns (Ed25519\n"
	 "      cosignature/v1, c2sp.org/tlog-cosignature) a checkpoint signed by VKEY that is\n"
	 "      consistent with the last one it cosigned for that origin; 409 (with its size)\n"
	 "      when the old size is not that one, 403 bad signature, 404 unknown origin, 422\n"
	 "      bad proof. GET /<hex sha256(origin)>/checkpoint serves the last cosigned one.\n"
	 "      The state is written (fsync + rename) before each cosignature is answered.\n"
	 "      Give the vkey to 'tansiqd --witness URL=VKEY' and 'tansiq verify --witness VKEY'.",
	 witness_cmd},
	{NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

const struct group_spec cmd_witness_groups[] = {
	{"witness", "run a log witness (C2SP tlog-witness), or make its key", witness_cmds},
	{NULL, NULL, NULL},
};
