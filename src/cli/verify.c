/*
 * verify — `tansiq verify`. See verify.h.
 *
 * Nothing the server sends is used before it is tied to the pinned key: the
 * checkpoint is opened with note_verify() and only the body it returns is
 * parsed; leaf hashes are recomputed from leaf_data (the server's leaf_hash is
 * only compared, never trusted), and every proof is checked against the root
 * of that verified checkpoint.
 */
#include "cli/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/config.h"
#include "cli/http.h"
#include "cli/table.h"
#include "core/limits.h"
#include "core/cosig.h"
#include "core/mlog.h"
#include "core/note.h"

#define VERIFY_PAGE 1000          /* entries per request (the server's maximum) */
#define VERIFY_MAX_SHOWN 20       /* per-entry FAIL lines printed before summarising */
#define VERIFY_MAX_PAGES 1000000  /* guards against a server that never ends a listing */
#define VKEY_MAX_BYTES 1024
#define STATE_PATH 4096                        /* the state directory */
#define CPDIR_PATH (STATE_PATH + 16)            /* .../checkpoints */
#define FILE_PATH (CPDIR_PATH + 32)             /* .../checkpoints/<size> or .../vkey */
#define VERIFY_MAX_WITNESSES 16

struct report {
	const struct cli_ctx *ctx;
	json_t *checks;     /* --json: [{check, ok, detail}] */
	json_t *split;      /* --json: {"witnessed", "server"} notes when a split was seen */
	int failures;
	int entry_failures; /* FAIL lines about single entries, for the cap */
};

/* --witness VKEY (repeatable) and --quorum N. */
struct witness_policy {
	const char *vkeys[VERIFY_MAX_WITNESSES];
	size_t n;
	size_t quorum;
};

/* Records one check. Text mode prints "OK:   check: detail" or
 * "FAIL: check (detail)"; details may quote the server and are escaped. */
__attribute__((format(printf, 4, 5)))
static void report(struct report *rep, int ok, const char *check, const char *fmt, ...)
{
	char detail[1024] = "";
	va_list ap;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (!ok)
		rep->failures++;
	if (rep->ctx->json) {
		json_array_append_new(rep->checks, json_pack("{s:s, s:b, s:s}", "check", check, "ok", ok,
							     "detail", detail));
		return;
	}
	fputs(ok ? "OK:   " : "FAIL: ", stdout);
	out_safe(stdout, check);
	if (detail[0]) {
		fputs(ok ? ": " : " (", stdout);
		out_safe(stdout, detail);
		if (!ok)
			fputc(')', stdout);
	}
	fputc('\n', stdout);
}

/* A failure about one entry: shown for the first VERIFY_MAX_SHOWN only. */
__attribute__((format(printf, 3, 4)))
static void report_entry_fail(struct report *rep, const char *detail, const char *check_fmt, ...)
{
	char check[128];
	va_list ap;
	va_start(ap, check_fmt);
	vsnprintf(check, sizeof(check), check_fmt, ap);
	va_end(ap);
	if (rep->entry_failures++ < VERIFY_MAX_SHOWN) {
		report(rep, 0, check, "%s", detail);
	} else {
		rep->failures++;
	}
}

/* Decodes standard base64 (with padding) into out (cap bytes). Returns the
 * length or -1. */
static long b64_decode(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	const char *end = NULL;
	if (!s || sodium_base642bin(out, cap, s, strlen(s), NULL, &n, &end,
				    sodium_base64_VARIANT_ORIGINAL) != 0 || *end)
		return -1;
	return (long)n;
}

static int b64_hash(const json_t *v, uint8_t out[32])
{
	return b64_decode(json_string_value(v), out, 32) == 32 ? 0 : -1;
}

/* GET path → parsed JSON object. Returns CLI_OK or the exit code (error printed). */
static int get_json(const struct cli_ctx *ctx, const char *path, json_t **out)
{
	struct http_resp r;
	int ret = http_request(ctx, "GET", path, NULL, &r);
	*out = NULL;
	if (ret == CLI_OK) {
		*out = http_resp_json(&r);
		if (!json_is_object(*out)) {
			if (*out)
				fprintf(stderr, "error: %s: expected a JSON object\n", path);
			json_decref(*out);
			*out = NULL;
			ret = CLI_ESERVER;
		}
	}
	http_resp_free(&r);
	return ret;
}

/* Reads a small local file. Returns owned text (NUL-terminated) or NULL with
 * errno set (ENOENT when absent, EFBIG above cap). */
static char *read_small(const char *path, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	if (!f)
		return NULL;
	buf = malloc(cap + 2);
	if (!buf) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > cap) {
		free(buf);
		errno = bad ? EIO : EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Writes data to path atomically (temporary file, fsync, rename), mode 0600. */
static int write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[FILE_PATH + 8];
	int fd;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* The key name of a verifier key: the text before the first '+'. */
static int vkey_name(const char *vkey, char *out, size_t cap)
{
	const char *plus = strchr(vkey, '+');
	size_t n = plus ? (size_t)(plus - vkey) : 0;
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, vkey, n);
	out[n] = '\0';
	return 0;
}

/* ---- key: trust on first use ---- */

static int check_key(struct report *rep, const char *state, char *pinned, size_t cap)
{
	char path[FILE_PATH];
	json_t *k = NULL;
	char *saved = NULL;
	const char *vkey;
	int ret = get_json(rep->ctx, "/v1/log/key", &k);
	if (ret != CLI_OK)
		goto done;
	vkey = json_string_value(json_object_get(k, "vkey"));
	ret = CLI_EVERIFY;
	if (!vkey || !*vkey || strlen(vkey) >= cap || strpbrk(vkey, " \t\r\n")) {
		report(rep, 0, "key", "the server sent no usable vkey");
		goto done;
	}
	snprintf(path, sizeof(path), "%s/vkey", state);
	saved = read_small(path, VKEY_MAX_BYTES, NULL);
	if (!saved && errno != ENOENT) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		ret = CLI_ELOCAL;
		goto done;
	}
	if (saved) {
		saved[strcspn(saved, "\r\n")] = '\0';
		if (strcmp(saved, vkey) != 0) {
			report(rep, 0, "key changed",
			       "pinned %s, the server now sends %s; if the operators really replaced the "
			       "key, delete %s and run verify again",
			       saved, vkey, path);
			goto done;
		}
		report(rep, 1, "key", "matches the pinned key %s", saved);
	} else {
		char line[VKEY_MAX_BYTES + 2];
		int n = snprintf(line, sizeof(line), "%s\n", vkey);
		if (write_atomic(path, line, (size_t)n) != 0) {
			fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
			ret = CLI_ELOCAL;
			goto done;
		}
		report(rep, 1, "key", "pinned on first use: %s (in %s)", vkey, path);
	}
	snprintf(pinned, cap, "%s", vkey);
	ret = CLI_OK;
done:
	free(saved);
	json_decref(k);
	return ret;
}

/* ---- checkpoint: signature first, then its body ---- */

struct checkpoint {
	uint64_t size;
	uint8_t root[32];
	char *note;      /* the signed note as received, owned */
	size_t note_len;
};

/* Opens a signed note with the pinned key and parses the checkpoint in it.
 * Returns 0, or a negative tq_err (*what says which step). */
static int open_checkpoint(const char *note, size_t len, const char *vkey, const char *name,
			   struct checkpoint *cp, const char **what)
{
	char *body = NULL, *origin = NULL;
	int rc;
	*what = "signature";
	if ((rc = note_verify(note, len, vkey, &body)))
		goto done;
	*what = "checkpoint";
	if ((rc = note_parse_checkpoint(body, &origin, &cp->size, cp->root)))
		goto done;
	*what = "origin";
	if (strcmp(origin, name) != 0)
		rc = TQ_EINVALID;
done:
	free(origin);
	free(body);
	return rc;
}

static int fetch_checkpoint(struct report *rep, const char *vkey, struct checkpoint *cp)
{
	struct http_resp r;
	char name[TQ_MAX_NAME_BYTES + 1];
	const char *what;
	int ret = http_request(rep->ctx, "GET", "/v1/log/checkpoint", NULL, &r);
	if (ret != CLI_OK)
		goto done;
	ret = CLI_EVERIFY;
	if (vkey_name(vkey, name, sizeof(name)) != 0) {
		report(rep, 0, "signature", "the pinned key has no name");
		goto done;
	}
	int rc = open_checkpoint(r.body, r.len, vkey, name, cp, &what);
	if (rc) {
		if (strcmp(what, "origin") == 0)
			report(rep, 0, "origin", "the checkpoint's origin is not the key name %s", name);
		else
			report(rep, 0, what, "%s", rc == TQ_EINVALID ? "not signed by the pinned key" :
				       rc == TQ_ETOOBIG ? "note too large" : "malformed note");
		goto done;
	}
	report(rep, 1, "signature", "checkpoint of %s signed by the pinned key", name);
	report(rep, 1, "checkpoint", "size %llu", (unsigned long long)cp->size);
	cp->note = r.body;
	cp->note_len = r.len;
	r.body = NULL;
	ret = CLI_OK;
done:
	http_resp_free(&r);
	return ret;
}

/* ---- entries: leaf hash, event, inclusion ---- */

/* Fetches and checks the inclusion proof of leaf hash `leaf` at index in cp.
 * Returns CLI_OK (with *ok set) or an HTTP exit code. */
static int check_inclusion(struct report *rep, const struct checkpoint *cp, uint64_t index,
			   const uint8_t leaf[32], int *ok)
{
	char path[128];
	uint8_t proof[MLOG_MAX_PROOF][32];
	json_t *j = NULL, *v;
	size_t i, count;
	int ret;
	*ok = 0;
	snprintf(path, sizeof(path), "/v1/log/proof/inclusion?index=%llu&size=%llu",
		 (unsigned long long)index, (unsigned long long)cp->size);
	if ((ret = get_json(rep->ctx, path, &j)) != CLI_OK)
		return ret;
	json_t *hashes = json_object_get(j, "hashes");
	count = json_array_size(hashes);
	if (!json_is_array(hashes) || count > MLOG_MAX_PROOF)
		goto done;
	json_array_foreach(hashes, i, v)
		if (b64_hash(v, proof[i]) != 0)
			goto done;
	*ok = mlog_verify_inclusion(index, cp->size, leaf, (const uint8_t(*)[32])proof, count,
				    cp->root) == 0;
done:
	json_decref(j);
	return CLI_OK;
}

/* Checks one entry of the listing. Returns CLI_OK or an HTTP exit code. */
static int check_entry(struct report *rep, const struct checkpoint *cp, const json_t *item,
		       uint64_t index, uint8_t *leaf_buf, size_t leaf_cap, int *bad_leaf, int *bad_incl)
{
	uint8_t claimed[32], computed[32];
	long n = b64_decode(json_string_value(json_object_get(item, "leaf_data")), leaf_buf, leaf_cap);
	int ok;
	if (n < 0) {
		report_entry_fail(rep, "leaf_data is not base64", "leaf hash of entry %llu",
				  (unsigned long long)index);
		++*bad_leaf;
		return CLI_OK;
	}
	/* RFC 9162 §2.1.1: the leaf hash is recomputed here, never taken from the server. */
	mlog_leaf_hash(leaf_buf, (size_t)n, computed);
	if (b64_hash(json_object_get(item, "leaf_hash"), claimed) != 0 ||
	    sodium_memcmp(claimed, computed, 32) != 0) {
		report_entry_fail(rep, "leaf_hash is not SHA-256(0x00 || leaf_data)",
				  "leaf hash of entry %llu", (unsigned long long)index);
		++*bad_leaf;
	}
	json_t *parsed = json_loadb((const char *)leaf_buf, (size_t)n, 0, NULL);
	if (!parsed || !json_equal(parsed, json_object_get(item, "event"))) {
		report_entry_fail(rep, "event is not the JSON of leaf_data", "event of entry %llu",
				  (unsigned long long)index);
		++*bad_leaf;
	}
	json_decref(parsed);
	int ret = check_inclusion(rep, cp, index, computed, &ok);
	if (ret != CLI_OK)
		return ret;
	if (!ok) {
		report_entry_fail(rep, "its leaf is not in the tree of the verified checkpoint",
				  "inclusion of entry %llu", (unsigned long long)index);
		++*bad_incl;
	}
	return CLI_OK;
}

static int check_entries(struct report *rep, const struct checkpoint *cp, uint64_t *n_entries)
{
	char path[160];
	uint64_t from = 0, seen = 0;
	int bad_leaf = 0, bad_incl = 0, ret = CLI_OK;
	size_t leaf_cap = TQ_MAX_BODY_BYTES * 2;
	uint8_t *leaf_buf = malloc(leaf_cap);
	json_t *page = NULL;
	int have_prev = 0;
	uint64_t prev = 0;

	if (!leaf_buf)
		return CLI_ELOCAL;
	for (long pages = 0; cp->size > 0; pages++) {
		json_t *item;
		size_t i;
		if (pages >= VERIFY_MAX_PAGES) {
			report(rep, 0, "entries", "the listing does not end");
			goto done;
		}
		/* Only the leaves the verified checkpoint covers: to = its size. */
		snprintf(path, sizeof(path), "/v1/log/entries?from=%llu&to=%llu&limit=%d",
			 (unsigned long long)from, (unsigned long long)cp->size, VERIFY_PAGE);
		json_decref(page);
		if ((ret = get_json(rep->ctx, path, &page)) != CLI_OK)
			goto done;
		json_t *items = json_object_get(page, "items");
		if (!json_is_array(items)) {
			report(rep, 0, "entries", "the listing has no items");
			goto done;
		}
		json_array_foreach(items, i, item) {
			json_t *jx = json_object_get(item, "index");
			json_int_t x = json_integer_value(jx);
			/* Indices must be in [from, size) and strictly increasing: a
			 * server that repeats or reorders entries is not trusted. */
			if (!json_is_integer(jx) || x < 0 || (uint64_t)x < from || (uint64_t)x >= cp->size ||
			    (have_prev && (uint64_t)x <= prev)) {
				report(rep, 0, "entries", "entry index %lld out of order or range",
				       (long long)x);
				goto done;
			}
			prev = (uint64_t)x;
			have_prev = 1;
			seen++;
			if ((ret = check_entry(rep, cp, item, (uint64_t)x, leaf_buf, leaf_cap, &bad_leaf,
					       &bad_incl)) != CLI_OK)
				goto done;
		}
		json_t *next = json_object_get(page, "next");
		if (json_is_null(next) || !next)
			break;
		const char *ns = json_string_value(next);
		char *end;
		uint64_t nx = ns && *ns >= '0' && *ns <= '9' ? strtoull(ns, &end, 10) : 0;
		if (!ns || *end || nx <= from || (have_prev && nx <= prev)) {
			report(rep, 0, "entries", "the listing's next cursor does not advance");
			goto done;
		}
		from = nx;
		if (from >= cp->size)
			break;
	}
	if (rep->entry_failures > VERIFY_MAX_SHOWN)
		report(rep, 0, "entries", "%d more entry failures not shown",
		       rep->entry_failures - VERIFY_MAX_SHOWN);
	if (!bad_leaf)
		report(rep, 1, "leaf hash", "%llu entries: SHA-256(0x00 || leaf_data) and event match",
		       (unsigned long long)seen);
	if (!bad_incl)
		report(rep, 1, "inclusion", "%llu entries are in the tree of size %llu",
		       (unsigned long long)seen, (unsigned long long)cp->size);
	*n_entries = seen;
done:
	json_decref(page);
	free(leaf_buf);
	return ret;
}

/* ---- prefix proofs ---- */

/* Sets *ok when the tree of `small` is a prefix of the tree of `big`, by the
 * server's consistency proof checked against both verified roots (RFC 9162
 * §2.1.4.2). Returns CLI_OK or an HTTP exit code. */
static int prefix_proof(struct report *rep, const struct checkpoint *small, const struct checkpoint *big,
			int *ok)
{
	uint8_t proof[MLOG_MAX_PROOF][32];
	size_t count = 0, i;
	json_t *j = NULL, *v;
	int ret;
	*ok = 0;
	if (small->size > big->size)
		return CLI_OK;
	/* The server refuses from=0 and needs no request for equal sizes: both
	 * take the empty proof (RFC 9162 §2.1.4.2). */
	if (small->size > 0 && small->size < big->size) {
		char q[128];
		snprintf(q, sizeof(q), "/v1/log/proof/consistency?from=%llu&to=%llu",
			 (unsigned long long)small->size, (unsigned long long)big->size);
		if ((ret = get_json(rep->ctx, q, &j)) != CLI_OK) {
			/* 4xx: the server cannot prove it (e.g. its log is shorter). */
			return ret == CLI_ECLIENT ? CLI_OK : ret;
		}
		json_t *hashes = json_object_get(j, "hashes");
		count = json_array_size(hashes);
		if (!json_is_array(hashes) || count > MLOG_MAX_PROOF)
			goto done;
		json_array_foreach(hashes, i, v)
			if (b64_hash(v, proof[i]) != 0)
				goto done;
	}
	*ok = mlog_verify_consistency(small->size, big->size, small->root, big->root,
				      (const uint8_t(*)[32])proof, count) == 0;
done:
	json_decref(j);
	return CLI_OK;
}

/* ---- witnesses: a quorum of cosignatures, and the largest witnessed checkpoint ---- */

/* Valid cosignatures on the note by the --witness keys. */
static size_t count_cosigs(const struct witness_policy *wp, const char *note, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < wp->n; i++)
		k += cosig_verify(note, len, wp->vkeys[i], NULL) == 0;
	return k;
}

/* Requires wp->quorum valid cosignatures on *cp; when the current checkpoint
 * has too few (the witnesses answer about a second after a write), takes the
 * server's latest checkpoint that has them (?cosigned=N) instead. */
static int check_witnesses(struct report *rep, const struct witness_policy *wp, const char *vkey,
			   struct checkpoint *cp)
{
	char name[TQ_MAX_NAME_BYTES + 1], path[64];
	struct checkpoint alt = {0};
	struct http_resp r;
	const char *what;
	size_t k = count_cosigs(wp, cp->note, cp->note_len), k2 = 0;
	int ret;

	if (k >= wp->quorum) {
		report(rep, 1, "witnesses", "%zu of %zu witnesses cosigned the checkpoint of size %llu (quorum %zu)",
		       k, wp->n, (unsigned long long)cp->size, wp->quorum);
		return CLI_OK;
	}
	if (vkey_name(vkey, name, sizeof(name)) != 0)
		return CLI_EVERIFY;
	snprintf(path, sizeof(path), "/v1/log/checkpoint?cosigned=%zu", wp->quorum);
	ret = http_request(rep->ctx, "GET", path, NULL, &r);
	if (ret == CLI_OK && open_checkpoint(r.body, r.len, vkey, name, &alt, &what) == 0 &&
	    alt.size <= cp->size && (k2 = count_cosigs(wp, r.body, r.len)) >= wp->quorum) {
		report(rep, 1, "witnesses",
		       "%zu of %zu witnesses cosigned the checkpoint of size %llu (quorum %zu); the log has "
		       "grown to %llu since, not yet cosigned", k2, wp->n, (unsigned long long)alt.size,
		       wp->quorum, (unsigned long long)cp->size);
		free(cp->note);
		*cp = alt;
		cp->note = r.body;
		cp->note_len = r.len;
		r.body = NULL;
		http_resp_free(&r);
		return CLI_OK;
	}
	http_resp_free(&r);
	if (ret == CLI_ESERVER || ret == CLI_ELOCAL)
		return ret;
	report(rep, 0, "witnesses", "the checkpoint of size %llu has %zu valid cosignature%s, %zu required, "
	       "and the server holds no checkpoint with %zu", (unsigned long long)cp->size, k,
	       k == 1 ? "" : "s", wp->quorum, wp->quorum);
	return CLI_OK;
}

static void print_note(const char *title, const char *note, size_t len)
{
	printf("----- %s\n", title);
	fwrite(note, 1, len, stdout);
}

/* Checks the new checkpoint against the largest witnessed one saved before
 * (state/witnessed): one must be a prefix of the other, or the server has
 * shown two histories (a fork, or a rollback then new writes). The evidence,
 * both signed checkpoints, is printed and written to state/split-<time>. */
static int check_witnessed(struct report *rep, const char *state, const char *vkey,
			   const struct checkpoint *cp, uint64_t *saved_size, int *have_saved)
{
	char path[FILE_PATH], ev[FILE_PATH + 32], name[TQ_MAX_NAME_BYTES + 1];
	struct checkpoint old = {0};
	const char *what;
	size_t len;
	int ok = 0, ret = CLI_OK;
	char *note;

	*have_saved = 0;
	snprintf(path, sizeof(path), "%s/witnessed", state);
	note = read_small(path, TQ_MAX_NOTE_BYTES, &len);
	if (!note) {
		if (errno != ENOENT) {
			fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
			return CLI_ELOCAL;
		}
		report(rep, 1, "split view", "no witnessed checkpoint saved before (first run with --witness)");
		return CLI_OK;
	}
	if (vkey_name(vkey, name, sizeof(name)) != 0 || open_checkpoint(note, len, vkey, name, &old, &what) != 0) {
		report(rep, 0, "split view", "the saved witnessed checkpoint %s is not signed by the pinned key", path);
		goto done;
	}
	*have_saved = 1;
	*saved_size = old.size;
	if (old.size <= cp->size)
		ret = prefix_proof(rep, &old, cp, &ok);
	else
		ret = prefix_proof(rep, cp, &old, &ok);
	if (ret != CLI_OK)
		goto done;
	if (ok) {
		report(rep, 1, "split view", "consistent with the largest witnessed checkpoint seen (size %llu)",
		       (unsigned long long)old.size);
		goto done;
	}
	snprintf(ev, sizeof(ev), "%s/split-%lld", state, (long long)time(NULL));
	{
		size_t n = len + cp->note_len + 128;
		char *both = malloc(n);
		if (both) {
			int m = snprintf(both, n, "witnessed checkpoint (saved before):\n%.*s\ncheckpoint the server "
					 "showed next:\n%.*s", (int)len, note, (int)cp->note_len, cp->note);
			if (m < 0 || write_atomic(ev, both, (size_t)m) != 0)
				ev[0] = '\0';
			free(both);
		}
	}
	report(rep, 0, "split view",
	       "the server's checkpoint (size %llu) and the witnessed checkpoint of size %llu seen before are "
	       "not one history: the log was forked or rolled back; both signed checkpoints are evidence%s%s",
	       (unsigned long long)cp->size, (unsigned long long)old.size, ev[0] ? ", saved in " : "", ev);
	if (rep->ctx->json) {
		json_decref(rep->split);
		rep->split = json_pack("{s:s%, s:s%}", "witnessed", note, len, "server", cp->note, cp->note_len);
	} else {
		print_note("witnessed checkpoint seen before", note, len);
		print_note("checkpoint the server shows now", cp->note, cp->note_len);
		printf("-----\n");
	}
done:
	free(note);
	return ret;
}

/* ---- consistency with every saved checkpoint ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The sizes of the saved checkpoints (files named by size), sorted. *out owned. */
static int list_saved(const char *dir, uint64_t **out, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;
	*out = NULL;
	*count = 0;
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		const char *s = de->d_name;
		size_t len = strlen(s);
		if (len == 0 || len > 19 || strspn(s, "0123456789") != len || (s[0] == '0' && len > 1))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(v, ncap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = strtoull(s, NULL, 10);
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_u64);
	*out = v;
	*count = n;
	return 0;
}

static int check_one_saved(struct report *rep, const char *dir, const char *vkey, const char *name,
			   uint64_t m, const struct checkpoint *now, int *ok)
{
	char path[FILE_PATH], label[96];
	struct checkpoint old = {0};
	const char *what;
	size_t len;
	int ret = CLI_OK;
	*ok = 0;
	snprintf(label, sizeof(label), "consistency %llu -> %llu", (unsigned long long)m,
		 (unsigned long long)now->size);
	snprintf(path, sizeof(path), "%s/%llu", dir, (unsigned long long)m);
	char *note = read_small(path, TQ_MAX_NOTE_BYTES, &len);
	if (!note) {
		fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno));
		return CLI_ELOCAL;
	}
	/* A saved checkpoint is trusted only because it verified when saved; check
	 * again so that a corrupted or planted file cannot stand in for it. */
	if (open_checkpoint(note, len, vkey, name, &old, &what) != 0 || old.size != m) {
		report(rep, 0, label, "the saved checkpoint %s is not a checkpoint of size %llu signed "
		       "by the pinned key", path, (unsigned long long)m);
		goto done;
	}
	if (m > now->size) {
		/* A verified checkpoint smaller than a saved one (the latest
		 * cosigned one, with --witness) must be a prefix of it. */
		int prefix = 0;
		if ((ret = prefix_proof(rep, now, &old, &prefix)) != CLI_OK)
			goto done;
		if (!prefix)
			report(rep, 0, "log shrank", "a saved checkpoint has size %llu, the server's now has %llu "
			       "and is not a prefix of it", (unsigned long long)m, (unsigned long long)now->size);
		*ok = prefix;
		goto done;
	}
	if ((ret = prefix_proof(rep, &old, now, ok)) != CLI_OK)
		goto done;
	if (!*ok)
		report(rep, 0, label, "the saved checkpoint is not a prefix of the new one");
done:
	free(note);
	return ret;
}

static int check_consistency(struct report *rep, const char *dir, const char *vkey,
			     const struct checkpoint *now)
{
	char name[TQ_MAX_NAME_BYTES + 1];
	uint64_t *sizes;
	size_t n, good = 0;
	int ret = CLI_OK;
	if (list_saved(dir, &sizes, &n) != 0) {
		fprintf(stderr, "error: cannot read %s: %s\n", dir, strerror(errno));
		return CLI_ELOCAL;
	}
	if (vkey_name(vkey, name, sizeof(name)) != 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		int ok;
		if ((ret = check_one_saved(rep, dir, vkey, name, sizes[i], now, &ok)) != CLI_OK)
			goto done;
		good += (size_t)ok;
	}
	if (n == 0)
		report(rep, 1, "consistency", "no checkpoint saved before (first run)");
	else if (good == n)
		report(rep, 1, "consistency", "%zu saved checkpoint%s (sizes %llu..%llu) %s of size %llu",
		       n, n == 1 ? "" : "s", (unsigned long long)sizes[0], (unsigned long long)sizes[n - 1],
		       n == 1 ? "is a prefix of the tree" : "are prefixes of the tree",
		       (unsigned long long)now->size);
done:
	free(sizes);
	return ret;
}

/* ---- the command ---- */

int verify_cmd(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
	       int argc, char **argv)
{
	struct report rep = {.ctx = ctx};
	struct checkpoint cp = {0};
	struct witness_policy wp = {0};
	char state[STATE_PATH], cpdir[CPDIR_PATH], path[FILE_PATH], vkey[VKEY_MAX_BYTES + 1] = "";
	uint64_t n_entries = 0, witnessed_size = 0;
	long quorum = -1;
	int ret, have_witnessed = 0;

	for (int i = 1; i < argc; i++) {
		int r;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cmd_help(stdout, g, c);
			return CLI_OK;
		}
		if (!strcmp(argv[i], "--witness") && i + 1 < argc) {
			struct note_key k;
			const char *v = argv[++i];
			if (note_key_parse(v, NOTE_ALG_COSIG_V1, &k) != 0) {
				fprintf(stderr, "error: --witness %s is not a C2SP cosignature/v1 verifier key\n", v);
				return CLI_EUSAGE;
			}
			int dup = 0;
			for (size_t j = 0; j < wp.n; j++)
				dup |= strcmp(wp.vkeys[j], v) == 0;
			if (!dup && wp.n == VERIFY_MAX_WITNESSES) {
				fprintf(stderr, "error: at most %d --witness\n", VERIFY_MAX_WITNESSES);
				return CLI_EUSAGE;
			}
			if (!dup)
				wp.vkeys[wp.n++] = v;
			continue;
		}
		if (!strcmp(argv[i], "--quorum") && i + 1 < argc) {
			char *end;
			quorum = strtol(argv[++i], &end, 10);
			if (*end || quorum < 1 || quorum > VERIFY_MAX_WITNESSES) {
				fprintf(stderr, "error: --quorum wants a number from 1 to the number of --witness\n");
				return CLI_EUSAGE;
			}
			continue;
		}
		if ((r = cli_global_opt(ctx, argc, argv, &i)) < 0)
			return CLI_EUSAGE;
		if (r == 0) {
			fprintf(stderr, "error: unknown argument %s (see tansiq verify --help)\n", argv[i]);
			return CLI_EUSAGE;
		}
	}
	if (quorum > (long)wp.n) {
		fprintf(stderr, "error: --quorum %ld needs at least as many --witness keys (%zu given)\n", quorum,
			wp.n);
		return CLI_EUSAGE;
	}
	/* Without --quorum, every witness given must have cosigned. */
	wp.quorum = quorum > 0 ? (size_t)quorum : wp.n;
	if (config_state_dir(ctx->url, state, sizeof(state)) != 0)
		return CLI_EUSAGE;
	snprintf(cpdir, sizeof(cpdir), "%s/checkpoints", state);
	if (config_mkdirs(cpdir) != 0) {
		fprintf(stderr, "error: cannot create %s: %s\n", cpdir, strerror(errno));
		return CLI_ELOCAL;
	}
	rep.checks = json_array();
	if (!rep.checks)
		return CLI_ELOCAL;

	if ((ret = check_key(&rep, state, vkey, sizeof(vkey))) != CLI_OK)
		goto done;
	if ((ret = fetch_checkpoint(&rep, vkey, &cp)) != CLI_OK)
		goto done;
	if (wp.n > 0 && (ret = check_witnesses(&rep, &wp, vkey, &cp)) != CLI_OK)
		goto done;
	if ((ret = check_entries(&rep, &cp, &n_entries)) != CLI_OK)
		goto done;
	if ((ret = check_consistency(&rep, cpdir, vkey, &cp)) != CLI_OK)
		goto done;
	if (wp.n > 0 &&
	    (ret = check_witnessed(&rep, state, vkey, &cp, &witnessed_size, &have_witnessed)) != CLI_OK)
		goto done;
	if (rep.failures) {
		ret = CLI_EVERIFY;
		goto done;
	}
	/* The largest checkpoint seen with a quorum of cosignatures, kept beside
	 * the pinned key: a later fork or rollback is caught against it. */
	if (wp.n > 0 && (!have_witnessed || cp.size > witnessed_size)) {
		snprintf(path, sizeof(path), "%s/witnessed", state);
		if (write_atomic(path, cp.note, cp.note_len) != 0) {
			fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
			ret = CLI_ELOCAL;
			goto done;
		}
	}
	/* Saved only when everything held: the chain never includes a bad link. */
	snprintf(path, sizeof(path), "%s/%llu", cpdir, (unsigned long long)cp.size);
	if (write_atomic(path, cp.note, cp.note_len) != 0) {
		fprintf(stderr, "error: cannot write %s: %s\n", path, strerror(errno));
		ret = CLI_ELOCAL;
		goto done;
	}
	if (!ctx->json)
		printf("saved checkpoint %llu in %s\n", (unsigned long long)cp.size, cpdir);
done:
	if (rep.failures && (ret == CLI_OK || ret == CLI_EVERIFY))
		ret = CLI_EVERIFY;
	if (ctx->json) {
		char root[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)] = "";
		if (cp.note)
			sodium_bin2base64(root, sizeof(root), cp.root, 32, sodium_base64_VARIANT_ORIGINAL);
		json_t *out = json_pack("{s:b, s:O, s:I, s:s, s:I, s:o?, s:O?}", "ok", ret == CLI_OK, "checks",
					rep.checks, "size", (json_int_t)cp.size, "root", root, "entries",
					(json_int_t)n_entries, "vkey", json_string(vkey), "split", rep.split);
		if (out) {
			json_dumpf(out, stdout, JSON_COMPACT);
			fputc('\n', stdout);
		}
		json_decref(out);
	} else if (ret == CLI_EVERIFY) {
		printf("verification FAILED: %d check%s failed\n", rep.failures, rep.failures == 1 ? "" : "s");
	} else if (ret == CLI_OK) {
		printf("verified: log size %llu, %llu entr%s of yours\n", (unsigned long long)cp.size,
		       (unsigned long long)n_entries, n_entries == 1 ? "y" : "ies");
	}
	if (ret == CLI_EVERIFY)
		fprintf(stderr, "error: the log did not verify (exit 5)\n");
	json_decref(rep.checks);
	json_decref(rep.split);
	free(cp.note);
	return ret;
}
