/*
 * fuzz_cosig — what `tansiq witness` does with an add-checkpoint body from
 * outside (C2SP tlog-witness): cosig_request_parse, then note_verify with a
 * fixed log key, note_parse_checkpoint and cosig_witness_check against a
 * fixed state; and cosig_verify of the note with a fixed cosigner key.
 *
 * Promises checked (cosig.h): a parsed request is formatted back byte for
 * byte; errors are only the documented ones; a checkpoint body that verified
 * is cosigned, and that cosignature verifies on the note, with its time.
 *
 * The seed corpus holds requests whose notes are signed with the fixed log
 * key below (seed 0x42 ..., name fuzz.example/log, as fuzz_note).
 */
#include "fuzz_common.h"

#include <sodium.h>

#include "core/cosig.h"
#include "core/note.h"

#define FUZZ_LOG_NAME "fuzz.example/log"
#define FUZZ_WITNESS_NAME "fuzz.example/witness"

static uint8_t wsk[crypto_sign_SECRETKEYBYTES];
static char *log_vkey, *witness_vkey;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x42, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	if (note_vkey(FUZZ_LOG_NAME, pk, &log_vkey) != TQ_OK)
		abort();
	memset(seed, 0x57, sizeof seed);
	crypto_sign_seed_keypair(pk, wsk, seed);
	if (cosig_vkey(FUZZ_WITNESS_NAME, pk, &witness_vkey) != TQ_OK)
		abort();
	return 0;
}

static int documented(int rc)
{
	return rc == TQ_OK || rc == TQ_EMALFORMED || rc == TQ_EINVALID || rc == TQ_ETOOBIG ||
	       rc == TQ_ECONFLICT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cosig_request *rq = malloc(sizeof *rq);
	char *body = NULL, *origin = NULL, *text = NULL, *note = NULL, *line = NULL, *both = NULL;
	uint8_t root[32], state_root[32];
	uint64_t cp_size, t = 0;
	size_t len;
	int rc;

	if (!rq)
		return 0;
	rc = cosig_request_parse((const char *)data, size, rq);
	FUZZ_CHECK(documented(rc), "parse: unexpected error %d", rc);
	if (rc != TQ_OK)
		goto done;
	FUZZ_CHECK(rq->proof_len <= COSIG_MAX_PROOF && rq->note_len > 0, "bad request fields");
	rc = cosig_verify(rq->note, rq->note_len, witness_vkey, NULL);
	FUZZ_CHECK(documented(rc), "cosig_verify: unexpected error %d", rc);
	if (!memchr(rq->note, 0, rq->note_len)) {
		note = strndup(rq->note, rq->note_len);
		if (note && cosig_request_format(rq->old_size, (const uint8_t(*)[32])rq->proof, rq->proof_len,
						 note, &text, &len) == TQ_OK)
			FUZZ_CHECK(len == size && memcmp(text, data, size) == 0, "request does not round-trip");
	}
	rc = note_verify(rq->note, rq->note_len, log_vkey, &body);
	if (rc != TQ_OK || note_parse_checkpoint(body, &origin, &cp_size, root) != TQ_OK)
		goto done;
	memset(state_root, 0x11, sizeof state_root);
	rc = cosig_witness_check(5, state_root, rq, cp_size, root);
	FUZZ_CHECK(documented(rc), "witness check: unexpected error %d", rc);
	FUZZ_CHECK(cosig_sign(body, FUZZ_WITNESS_NAME, wsk, 1700000000, &line) == TQ_OK, "cannot cosign");
	if (note) {
		size_t nl = strlen(note);
		both = malloc(nl + strlen(line) + 1);
		if (both) {
			memcpy(both, note, nl);
			strcpy(both + nl, line);
			rc = cosig_verify(both, strlen(both), witness_vkey, &t);
			/* Other lines by the same name and key id may invalidate it. */
			FUZZ_CHECK(rc == TQ_OK ? t >= 1700000000 : documented(rc), "own cosignature: %d", rc);
		}
	}
done:
	free(both);
	free(line);
	free(origin);
	free(body);
	free(text);
	free(note);
	free(rq);
	return 0;
}
