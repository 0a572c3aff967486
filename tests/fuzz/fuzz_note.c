/*
 * fuzz_note — signed notes and checkpoints from outside: note_verify (a
 * witness cosignature or a mirrored checkpoint sent to us) with a fixed
 * verifier key, and note_parse_checkpoint on the raw input and on every body
 * that verified.
 *
 * Promises checked (note.h): a verified body is a prefix of the note ending
 * in '\n'; a checkpoint that parses and has no extension lines is rebuilt
 * byte for byte by note_checkpoint_body; any text note_sign accepts, signed
 * with the fixed key, verifies and gives back the same body.
 *
 * The seed corpus holds notes signed with the fixed key below, so mutations
 * start from notes that pass the syntax checks.
 */
#include "fuzz_common.h"

#include <sodium.h>

#include "core/note.h"

#define FUZZ_KEY_NAME "fuzz.example/log"

static uint8_t sk[crypto_sign_SECRETKEYBYTES];
static char *vkey;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x42, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	if (note_vkey(FUZZ_KEY_NAME, pk, &vkey) != TQ_OK)
		abort();
	return 0;
}

static void check_checkpoint(const char *body)
{
	char *origin = NULL, *again = NULL;
	uint64_t size;
	uint8_t root[32];
	if (note_parse_checkpoint(body, &origin, &size, root) != TQ_OK)
		return;
	FUZZ_CHECK(origin && origin[0] && !strchr(origin, '\n'), "bad origin");
	/* Exactly three lines: no extensions, so the body is canonical. */
	size_t lines = 0;
	for (const char *p = body; *p; p++)
		lines += *p == '\n';
	if (lines == 3 && note_checkpoint_body(origin, size, root, &again) == TQ_OK)
		FUZZ_CHECK(strcmp(again, body) == 0, "checkpoint not canonical:\n%s---\n%s", body, again);
	free(again);
	free(origin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = NULL;
	int rc = note_verify((const char *)data, size, vkey, &body);
	FUZZ_CHECK(rc == TQ_OK || rc == TQ_EMALFORMED || rc == TQ_EINVALID || rc == TQ_ETOOBIG,
		   "unexpected error %d", rc);
	if (rc == TQ_OK) {
		size_t blen = strlen(body);
		FUZZ_CHECK(blen > 0 && blen < size && body[blen - 1] == '\n' && memcmp(body, data, blen) == 0,
			   "verified body is not a prefix of the note");
		check_checkpoint(body);
		free(body);
	}

	char *s = fuzz_cstr(data, size);
	if (!s)
		return 0;
	check_checkpoint(s);

	char *signed_note = NULL, *back = NULL;
	if (note_sign(s, FUZZ_KEY_NAME, sk, &signed_note) == TQ_OK) {
		rc = note_verify(signed_note, strlen(signed_note), vkey, &back);
		FUZZ_CHECK(rc == TQ_OK, "own signature refused (%d) on:\n%s", rc, signed_note);
		FUZZ_CHECK(strcmp(back, s) == 0, "verified body differs from the signed one");
		free(back);
		free(signed_note);
	}
	free(s);
	return 0;
}
