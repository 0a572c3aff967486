/*
 * cosig — C2SP tlog-cosignature (Ed25519 cosignature/v1) and tlog-witness
 * add-checkpoint. See cosig.h; requirement text is quoted beside the code.
 */
#include "core/cosig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/limits.h"
#include "core/mlog.h"

/* "— ": U+2014 EM DASH in UTF-8, then a space. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
/* tlog-cosignature: "The header line MUST be the fixed string cosignature/v1". */
static const char header[] = "cosignature/v1\n";

int cosig_key_id(const char *name, const uint8_t pk[32], uint8_t id[NOTE_KEY_ID_BYTES])
{
	return note_key_id_typed(name, NOTE_ALG_COSIG_V1, pk, id);
}

int cosig_vkey(const char *name, const uint8_t pk[32], char **out)
{
	return note_vkey_typed(name, NOTE_ALG_COSIG_V1, pk, out);
}

/* A checkpoint body: note text ending in '\n', within the note cap. */
static int body_ok(const char *body, size_t *len)
{
	size_t n = strnlen(body, TQ_MAX_NOTE_BYTES + 1);

	if (n > TQ_MAX_NOTE_BYTES)
		return TQ_ETOOBIG;
	if (n == 0 || body[n - 1] != '\n' || !note_text_ok(body, n))
		return TQ_EMALFORMED;
	*len = n;
	return 0;
}

/* "time <t>\n": "encoded as an ASCII decimal with no leading zeroes". */
static int message_into(const char *body, size_t blen, uint64_t t, char **out, size_t *len)
{
	char tline[40];
	int tn = snprintf(tline, sizeof tline, "time %" PRIu64 "\n", t);
	size_t n = sizeof header - 1 + (size_t)tn + blen;
	char *m = malloc(n + 1);

	if (m == NULL)
		return TQ_ENOMEM;
	memcpy(m, header, sizeof header - 1);
	memcpy(m + sizeof header - 1, tline, (size_t)tn);
	memcpy(m + sizeof header - 1 + (size_t)tn, body, blen);
	m[n] = '\0';
	*out = m;
	*len = n;
	return 0;
}

int cosig_message(const char *body, uint64_t t, char **out, size_t *len)
{
	size_t blen;
	int rc;

	*out = NULL;
	if ((rc = body_ok(body, &blen)) < 0)
		return rc;
	if (t > COSIG_MAX_TIME)
		return TQ_EMALFORMED;
	return message_into(body, blen, t, out, len);
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int cosig_sign(const char *body, const char *name, const uint8_t sk[64], uint64_t t, char **line)
{
	uint8_t pk[32], sig[COSIG_SIG_BYTES];
	char b64[sodium_base64_ENCODED_LEN(COSIG_SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	char *msg = NULL, *s = NULL;
	size_t blen, mlen, nlen, total;
	int rc;

	*line = NULL;
	if ((rc = body_ok(body, &blen)) < 0)
		goto fail;
	/* "The cosignature MUST NOT omit the timestamp, i.e. the timestamp MUST
	 * NOT be zero" (tlog-witness); "MUST NOT exceed 2^63 - 1". */
	rc = TQ_EMALFORMED;
	if (t == 0 || t > COSIG_MAX_TIME)
		goto fail;
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	if ((rc = cosig_key_id(name, pk, sig)) < 0)
		goto fail;
	put_be64(sig + NOTE_KEY_ID_BYTES, t);
	if ((rc = message_into(body, blen, t, &msg, &mlen)) < 0)
		goto fail;
	if (crypto_sign_detached(sig + NOTE_KEY_ID_BYTES + 8, NULL, (const uint8_t *)msg, mlen, sk) != 0) {
		rc = TQ_EINTERNAL;
		goto fail;
	}
	sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	nlen = strlen(name);
	total = sizeof sig_prefix - 1 + nlen + 1 + strlen(b64) + 1;
	s = malloc(total + 1);
	if (s == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	snprintf(s, total + 1, "%s%s %s\n", sig_prefix, name, b64);
	free(msg);
	*line = s;
	return 0;
fail:
	free(msg);
	free(s);
	return rc;
}

struct verify_ctx {
	const uint8_t *pk;
	uint64_t latest;
};

static int cosig_line(void *ctx, const uint8_t *sig, size_t sig_len, const char *text,
		      size_t text_len)
{
	struct verify_ctx *c = ctx;
	char *msg = NULL;
	size_t mlen;
	uint64_t t;
	int rc;

	if (sig_len != COSIG_SIG_BYTES)
		return TQ_EINVALID;
	t = get_be64(sig + NOTE_KEY_ID_BYTES);
	if (t > COSIG_MAX_TIME)
		return TQ_EINVALID;
	/* "followed by the whole note body of the cosigned checkpoint (including
	 * the final newline, but not including any signature lines)". */
	if ((rc = message_into(text, text_len, t, &msg, &mlen)) < 0)
		return rc;
	rc = crypto_sign_verify_detached(sig + NOTE_KEY_ID_BYTES + 8, (const uint8_t *)msg, mlen,
					 c->pk) == 0 ? 0 : TQ_EINVALID;
	free(msg);
	if (rc == 0 && t > c->latest)
		c->latest = t;
	return rc;
}

int cosig_verify(const char *note, size_t len, const char *vkey, uint64_t *t)
{
	struct note_key k;
	struct verify_ctx c = {0};
	unsigned matched;
	int rc;

	if (len > TQ_MAX_NOTE_BYTES)
		return TQ_ETOOBIG;
	if ((rc = note_key_parse(vkey, NOTE_ALG_COSIG_V1, &k)) < 0)
		return rc;
	c.pk = k.pk;
	rc = note_each_sig(note, len, &k, cosig_line, &c, &matched);
	if (rc < 0)
		return rc;
	if (matched == 0)
		return TQ_EINVALID;
	if (t != NULL)
		*t = c.latest;
	return 0;
}

int cosig_line_fields(const char *b64, size_t len, uint8_t id[NOTE_KEY_ID_BYTES], uint64_t *t)
{
	uint8_t sig[COSIG_SIG_BYTES];
	int rc;

	if ((rc = note_b64_exact(b64, len, sig, sizeof sig)) < 0)
		return rc;
	memcpy(id, sig, NOTE_KEY_ID_BYTES);
	*t = get_be64(sig + NOTE_KEY_ID_BYTES);
	return 0;
}

/* Decimal without sign or leading zeros (unless "0"), no overflow. */
static int parse_size(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20 || (p[0] == '0' && n > 1))
		return TQ_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return TQ_EMALFORMED;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return TQ_EMALFORMED;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int cosig_request_parse(const char *body, size_t len, struct cosig_request *out)
{
	const char *p = body, *end = body + len, *eol;
	uint64_t old;
	size_t count = 0;
	int rc;

	if (len > COSIG_MAX_REQUEST)
		return TQ_ETOOBIG;
	/* "The old size line MUST consist of the string old, a single space
	 * (0x20), and the tree size ... with no leading zeroes". */
	eol = memchr(p, '\n', len);
	if (eol == NULL || eol - p < 5 || memcmp(p, "old ", 4) != 0)
		return TQ_EMALFORMED;
	if ((rc = parse_size(p + 4, (size_t)(eol - p - 4), &old)) < 0)
		return rc;
	p = eol + 1;
	/* "zero or more consistency proof lines, and an empty line". */
	for (;;) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			return TQ_EMALFORMED;
		if (eol == p)
			break;
		/* "The client MUST NOT send more than 63 consistency proof lines." */
		if (count == COSIG_MAX_PROOF)
			return TQ_ETOOBIG;
		if ((rc = note_b64_exact(p, (size_t)(eol - p), out->proof[count], 32)) < 0)
			return rc;
		count++;
		p = eol + 1;
	}
	p = eol + 1;
	if (p == end || (size_t)(end - p) > TQ_MAX_NOTE_BYTES)
		return p == end ? TQ_EMALFORMED : TQ_ETOOBIG;
	out->old_size = old;
	out->proof_len = count;
	out->note = p;
	out->note_len = (size_t)(end - p);
	return 0;
}

int cosig_request_format(uint64_t old_size, const uint8_t proof[][32], size_t proof_len,
			 const char *note, char **out, size_t *len)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	size_t nlen = strnlen(note, TQ_MAX_NOTE_BYTES + 1), cap, off;
	char *s;
	int n;

	*out = NULL;
	if (proof_len > COSIG_MAX_PROOF || nlen > TQ_MAX_NOTE_BYTES)
		return TQ_ETOOBIG;
	cap = 32 + proof_len * sizeof b64 + 1 + nlen + 1;
	s = malloc(cap);
	if (s == NULL)
		return TQ_ENOMEM;
	n = snprintf(s, cap, "old %" PRIu64 "\n", old_size);
	off = (size_t)n;
	for (size_t i = 0; i < proof_len; i++) {
		sodium_bin2base64(b64, sizeof b64, proof[i], 32, sodium_base64_VARIANT_ORIGINAL);
		off += (size_t)snprintf(s + off, cap - off, "%s\n", b64);
	}
	s[off++] = '\n';
	memcpy(s + off, note, nlen);
	off += nlen;
	s[off] = '\0';
	*out = s;
	*len = off;
	return 0;
}

int cosig_witness_check(uint64_t last_size, const uint8_t last_root[32],
			const struct cosig_request *rq, uint64_t size, const uint8_t root[32])
{
	uint8_t empty[32];

	/* "The old size MUST be equal to or lower than the checkpoint size.
	 * Otherwise, the witness MUST respond with a 400 Bad Request". */
	if (rq->old_size > size)
		return TQ_EMALFORMED;
	/* "The witness MUST check that the old size matches the size of the
	 * latest checkpoint it cosigned ... If it doesn't match ... 409". */
	if (rq->old_size != last_size)
		return TQ_ECONFLICT;
	/* "A checkpoint of size zero MUST have the root hash of the empty tree"
	 * (RFC 6962 §2.1: SHA-256 of the empty string), else 422. */
	crypto_hash_sha256(empty, NULL, 0);
	if (size == 0 && sodium_memcmp(root, empty, 32) != 0)
		return TQ_EINVALID;
	/* "If the old size is zero, the consistency proof MUST be empty". */
	if (rq->old_size == 0)
		return rq->proof_len == 0 ? 0 : TQ_EINVALID;
	/* Equal sizes need equal roots; otherwise an RFC 6962 §2.1.2 (RFC 9162
	 * §2.1.4) consistency proof from the last cosigned tree. */
	if (mlog_verify_consistency(rq->old_size, size, last_root, root,
				    (const uint8_t(*)[32])rq->proof, rq->proof_len) != 0)
		return TQ_EINVALID;
	return 0;
}
