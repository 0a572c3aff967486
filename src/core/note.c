/*
 * note — C2SP signed-note and tlog-checkpoint, Ed25519 only.
 *
 * Syntax checks follow golang.org/x/mod/sumdb/note (Open, isValidName,
 * NewVerifier) so that notes interoperate both ways; base64 is stricter
 * (canonical padding and trailing bits), which only ever rejects encodings
 * no conforming signer produces.
 */
#include "core/note.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/limits.h"

#define ALG_ED25519 NOTE_ALG_ED25519
#define SIG_BYTES (NOTE_KEY_ID_BYTES + crypto_sign_BYTES)

/* "— ": U+2014 EM DASH in UTF-8, then a space. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN (sizeof sig_prefix - 1)

/* Decodes one UTF-8 sequence from s[0..len); returns the code point and sets
 * *adv, or returns -1 for invalid, overlong, surrogate or > U+10FFFF. */
static int32_t utf8_next(const uint8_t *s, size_t len, size_t *adv)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*adv = 1;
		return (int32_t)c;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len < n)
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*adv = n;
	return (int32_t)c;
}

/* signed-note: text is UTF-8 with no ASCII control characters but '\n'. */
static int text_ok(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, adv;

	while (i < len) {
		int32_t c = utf8_next(p + i, len - i, &adv);
		if (c < 0 || (c < 0x20 && c != '\n'))
			return 0;
		i += adv;
	}
	return 1;
}

/* Unicode White_Space (what Go's unicode.IsSpace tests). */
static int is_space(int32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* signed-note key name: non-empty UTF-8, no whitespace, no '+'. Control
 * characters are refused too: a name is also note text. Length caps are the
 * caller's: names on other signers' lines are not ours to limit. */
static int name_ok(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, adv;

	if (len == 0)
		return 0;
	while (i < len) {
		int32_t c = utf8_next(p + i, len - i, &adv);
		if (c < 0x20 || c == '+' || is_space(c))
			return 0;
		i += adv;
	}
	return 1;
}

static void key_id_raw(const char *name, size_t name_len, uint8_t alg, const uint8_t pk[32],
		       uint8_t id[NOTE_KEY_ID_BYTES])
{
	const uint8_t sep[2] = {'\n', alg};
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
	crypto_hash_sha256_update(&st, sep, sizeof sep);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(id, h, NOTE_KEY_ID_BYTES);
}

int note_key_id(const char *name, const uint8_t pk[32], uint8_t id[NOTE_KEY_ID_BYTES])
{
	return note_key_id_typed(name, ALG_ED25519, pk, id);
}

int note_key_id_typed(const char *name, uint8_t alg, const uint8_t pk[32],
		      uint8_t id[NOTE_KEY_ID_BYTES])
{
	size_t len = strnlen(name, TQ_MAX_NAME_BYTES + 1);

	if (len > TQ_MAX_NAME_BYTES || !name_ok(name, len))
		return TQ_EMALFORMED;
	key_id_raw(name, len, alg, pk, id);
	return 0;
}

int note_text_ok(const char *s, size_t len)
{
	return text_ok(s, len);
}

int note_name_ok(const char *s, size_t len)
{
	return len <= TQ_MAX_NAME_BYTES && name_ok(s, len);
}


/* Strict standard base64 of exactly `want` bytes. */
/* libsodium 1.0.18 decodes any byte >= 0x80 as '/', so two different strings
 * could decode alike (found by fuzzing): check the alphabet first. */
static int b64_alphabet_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/' || c == '='))
			return 0;
	}
	return 1;
}

static int b64_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	size_t got = 0;

	if (!b64_alphabet_ok(s, len))
		return TQ_EMALFORMED;
	if (len != sodium_base64_encoded_len(want, sodium_base64_VARIANT_ORIGINAL) - 1)
		return TQ_EMALFORMED;
	if (sodium_base642bin(out, want, s, len, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got != want)
		return TQ_EMALFORMED;
	return 0;
}

int note_b64_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	return b64_exact(s, len, out, want);
}

int note_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[32], char **out)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	size_t olen = strnlen(origin, TQ_MAX_NAME_BYTES + 1);
	char *s = NULL;
	int n, rc;

	*out = NULL;
	if (olen == 0 || olen > TQ_MAX_NAME_BYTES || !text_ok(origin, olen) ||
	    memchr(origin, '\n', olen) != NULL) {
		rc = TQ_EMALFORMED;
		goto fail;
	}
	sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(NULL, 0, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	s = malloc((size_t)n + 1);
	if (s == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	snprintf(s, (size_t)n + 1, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	*out = s;
	return 0;
fail:
	free(s);
	return rc;
}

int note_sign(const char *body, const char *name, const uint8_t sk[64], char **out)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sig[SIG_BYTES];
	char b64[sodium_base64_ENCODED_LEN(SIG_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t blen = strnlen(body, TQ_MAX_NOTE_BYTES + 1);
	size_t nlen = strnlen(name, TQ_MAX_NAME_BYTES + 1);
	size_t total;
	char *s = NULL;
	int rc;

	*out = NULL;
	if (blen > TQ_MAX_NOTE_BYTES) {
		rc = TQ_ETOOBIG;
		goto fail;
	}
	if (blen == 0 || body[blen - 1] != '\n' || !text_ok(body, blen) ||
	    nlen > TQ_MAX_NAME_BYTES || !name_ok(name, nlen)) {
		rc = TQ_EMALFORMED;
		goto fail;
	}
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	key_id_raw(name, nlen, ALG_ED25519, pk, sig);
	if (crypto_sign_detached(sig + NOTE_KEY_ID_BYTES, NULL, (const uint8_t *)body, blen, sk) !=
	    0) {
		rc = TQ_EINTERNAL;
		goto fail;
	}
	sodium_bin2base64(b64, sizeof b64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	/* body "\n" "— " name " " b64 "\n" */
	total = blen + 1 + SIG_PREFIX_LEN + nlen + 1 + strlen(b64) + 1;
	if (total > TQ_MAX_NOTE_BYTES) {
		rc = TQ_ETOOBIG;
		goto fail;
	}
	s = malloc(total + 1);
	if (s == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	snprintf(s, total + 1, "%s\n%s%s %s\n", body, sig_prefix, name, b64);
	*out = s;
	return 0;
fail:
	free(s);
	return rc;
}

int note_vkey_typed(const char *name, uint8_t alg, const uint8_t pk[32], char **out)
{
	uint8_t id[NOTE_KEY_ID_BYTES], key[1 + crypto_sign_PUBLICKEYBYTES];
	char b64[sodium_base64_ENCODED_LEN(sizeof key, sodium_base64_VARIANT_ORIGINAL)];
	char *s = NULL;
	int n, rc;

	*out = NULL;
	rc = note_key_id_typed(name, alg, pk, id);
	if (rc < 0)
		goto fail;
	key[0] = alg;
	memcpy(key + 1, pk, crypto_sign_PUBLICKEYBYTES);
	sodium_bin2base64(b64, sizeof b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(NULL, 0, "%s+%02x%02x%02x%02x+%s", name, id[0], id[1], id[2], id[3], b64);
	s = malloc((size_t)n + 1);
	if (s == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	snprintf(s, (size_t)n + 1, "%s+%02x%02x%02x%02x+%s", name, id[0], id[1], id[2], id[3], b64);
	*out = s;
	return 0;
fail:
	free(s);
	return rc;
}

int note_vkey(const char *name, const uint8_t pk[32], char **out)
{
	return note_vkey_typed(name, ALG_ED25519, pk, out);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "<name>+<8 hex>+<base64(alg || pk)>", key id checked against the key. */
int note_key_parse(const char *vkey, uint8_t alg, struct note_key *k)
{
	size_t len = strnlen(vkey, TQ_MAX_NAME_BYTES + 128);
	const char *plus1 = memchr(vkey, '+', len), *hex, *b64;
	uint8_t key[1 + crypto_sign_PUBLICKEYBYTES], id[NOTE_KEY_ID_BYTES];

	if (plus1 == NULL)
		return TQ_EMALFORMED;
	k->name = vkey;
	k->name_len = (size_t)(plus1 - vkey);
	if (k->name_len > TQ_MAX_NAME_BYTES || !name_ok(k->name, k->name_len))
		return TQ_EMALFORMED;
	hex = plus1 + 1;
	if ((size_t)(hex - vkey) + 2 * NOTE_KEY_ID_BYTES + 1 > len ||
	    hex[2 * NOTE_KEY_ID_BYTES] != '+')
		return TQ_EMALFORMED;
	for (size_t i = 0; i < NOTE_KEY_ID_BYTES; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return TQ_EMALFORMED;
		k->id[i] = (uint8_t)(hi << 4 | lo);
	}
	b64 = hex + 2 * NOTE_KEY_ID_BYTES + 1;
	if (b64_exact(b64, len - (size_t)(b64 - vkey), key, sizeof key) < 0 || key[0] != alg)
		return TQ_EMALFORMED;
	memcpy(k->pk, key + 1, sizeof k->pk);
	key_id_raw(k->name, k->name_len, alg, k->pk, id);
	if (memcmp(id, k->id, sizeof id) != 0)
		return TQ_EMALFORMED;
	return 0;
}

static const char *last_blank_line(const char *s, size_t len)
{
	for (size_t i = len; i >= 2; i--)
		if (s[i - 2] == '\n' && s[i - 1] == '\n')
			return s + i - 2;
	return NULL;
}

int note_each_sig(const char *note, size_t len, const struct note_key *k, note_sig_fn fn,
		  void *ctx, unsigned *matched)
{
	const char *split, *sigs, *end = note + len;
	size_t text_len;
	unsigned nsig = 0, found = 0;
	int rc;
	uint8_t *sig = NULL;
	size_t sig_cap = len / 4 * 3 + 3;

	*matched = 0;
	if (len > TQ_MAX_NOTE_BYTES) {
		rc = TQ_ETOOBIG;
		goto fail;
	}
	/* Scratch for decoding signature lines of any algorithm. */
	sig = malloc(sig_cap);
	if (sig == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	rc = TQ_EMALFORMED;
	if (!text_ok(note, len))
		goto fail;
	/* The signature block follows the last blank line and ends in '\n'. */
	split = last_blank_line(note, len);
	if (split == NULL)
		goto fail;
	text_len = (size_t)(split - note) + 1;
	sigs = split + 2;
	if (sigs == end || end[-1] != '\n')
		goto fail;
	while (sigs < end) {
		const char *eol = memchr(sigs, '\n', (size_t)(end - sigs));
		const char *name, *sp;
		size_t sig_len = 0;

		if ((size_t)(eol - sigs) < SIG_PREFIX_LEN ||
		    memcmp(sigs, sig_prefix, SIG_PREFIX_LEN) != 0)
			goto fail;
		name = sigs + SIG_PREFIX_LEN;
		sp = memchr(name, ' ', (size_t)(eol - name));
		if (sp == NULL || !name_ok(name, (size_t)(sp - name)) || sp + 1 == eol)
			goto fail;
		/* Any algorithm's signature must be base64 of key id + >= 1 byte. */
		if (!b64_alphabet_ok(sp + 1, (size_t)(eol - sp - 1)) ||
		    sodium_base642bin(sig, sig_cap, sp + 1, (size_t)(eol - sp - 1), NULL, &sig_len,
				      NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    sig_len < NOTE_KEY_ID_BYTES + 1)
			goto fail;
		if (++nsig > NOTE_MAX_SIGS)
			goto fail;
		sigs = eol + 1;
		if ((size_t)(sp - name) != k->name_len || memcmp(name, k->name, k->name_len) != 0 ||
		    memcmp(sig, k->id, NOTE_KEY_ID_BYTES) != 0)
			continue;
		found++;
		if (fn != NULL && (rc = fn(ctx, sig, sig_len, note, text_len)) < 0)
			goto fail;
		rc = TQ_EMALFORMED;
	}
	*matched = found;
	free(sig);
	return (int)text_len;
fail:
	free(sig);
	return rc;
}

struct ed25519_check {
	const uint8_t *pk;
};

/* Our key: the signature must be valid, or the note is rejected outright. */
static int ed25519_line(void *ctx, const uint8_t *sig, size_t sig_len, const char *text,
			size_t text_len)
{
	const struct ed25519_check *c = ctx;

	if (sig_len != SIG_BYTES ||
	    crypto_sign_verify_detached(sig + NOTE_KEY_ID_BYTES, (const uint8_t *)text, text_len,
					c->pk) != 0)
		return TQ_EINVALID;
	return 0;
}

int note_verify(const char *note, size_t len, const char *vkey, char **body_out)
{
	struct note_key k;
	struct ed25519_check c;
	unsigned matched;
	char *body = NULL;
	int rc, text_len;

	if (body_out != NULL)
		*body_out = NULL;
	if (len > TQ_MAX_NOTE_BYTES)
		return TQ_ETOOBIG;
	rc = note_key_parse(vkey, ALG_ED25519, &k);
	if (rc < 0)
		return rc;
	c.pk = k.pk;
	text_len = note_each_sig(note, len, &k, ed25519_line, &c, &matched);
	if (text_len < 0)
		return text_len;
	if (matched == 0)
		return TQ_EINVALID;
	if (body_out != NULL) {
		body = malloc((size_t)text_len + 1);
		if (body == NULL)
			return TQ_ENOMEM;
		memcpy(body, note, (size_t)text_len);
		body[text_len] = '\0';
		*body_out = body;
	}
	return 0;
}

int note_parse_checkpoint(const char *body, char **origin, uint64_t *size, uint8_t root[32])
{
	size_t len = strnlen(body, TQ_MAX_NOTE_BYTES + 1);
	const char *end = body + len, *l1, *l2, *l3, *p;
	uint8_t r[32];
	uint64_t n = 0;
	char *o = NULL;
	int rc = TQ_EMALFORMED;

	*origin = NULL;
	if (len > TQ_MAX_NOTE_BYTES) {
		rc = TQ_ETOOBIG;
		goto fail;
	}
	if (len == 0 || end[-1] != '\n' || !text_ok(body, len))
		goto fail;
	/* Line 1: origin, non-empty. */
	l1 = memchr(body, '\n', len);
	if (l1 == body || l1 + 1 == end)
		goto fail;
	/* Line 2: tree size, decimal, no sign, no leading zeros. */
	p = l1 + 1;
	l2 = memchr(p, '\n', (size_t)(end - p));
	if (l2 == p || (*p == '0' && l2 - p > 1))
		goto fail;
	for (; p < l2; p++) {
		if (*p < '0' || *p > '9')
			goto fail;
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			goto fail;
		n = n * 10 + d;
	}
	/* Line 3: root hash, base64 of exactly 32 bytes. */
	p = l2 + 1;
	if (p == end)
		goto fail;
	l3 = memchr(p, '\n', (size_t)(end - p));
	if (b64_exact(p, (size_t)(l3 - p), r, sizeof r) < 0)
		goto fail;
	/* Extension lines: each non-empty; content is not ours to judge. */
	for (p = l3 + 1; p < end; p++)
		if (*p == '\n' && p[-1] == '\n')
			goto fail;
	o = malloc((size_t)(l1 - body) + 1);
	if (o == NULL) {
		rc = TQ_ENOMEM;
		goto fail;
	}
	memcpy(o, body, (size_t)(l1 - body));
	o[l1 - body] = '\0';
	*origin = o;
	*size = n;
	memcpy(root, r, sizeof r);
	return 0;
fail:
	free(o);
	return rc;
}
