/*
 * fuzz_subject — the full API body of a zone, deployment or activity, parsed
 * by jansson with JSON_REJECT_DUPLICATES (as src/server/http.c) and handed
 * to subject_from_json as each of the three types in turn.
 *
 * Promises checked (subject.h): a refusal is TQ_EMALFORMED or TQ_EINVALID
 * with a message and no output; an accepted subject has a valid footprint,
 * an altitude band inside [TQ_MIN_ALTITUDE_M, TQ_MAX_ALTITUDE_M] with
 * min <= max, start < end, a valid owner, and strengths >= 0 (or no cap).
 */
#include "fuzz_common.h"

#include <jansson.h>

#include "core/limits.h"
#include "core/subject.h"

static struct geo_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ctx = geo_ctx_new();
	if (!ctx)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return 0;
	const tq_time now = 1717236000000LL; /* 2024-06-01T10:00:00Z */

	for (int t = SUBJECT_ZONE; t <= SUBJECT_ACTIVITY; t++) {
		struct subject *s = NULL;
		struct tq_field_error fe = {{0}, {0}};
		int rc = subject_from_json(ctx, (enum subject_type)t, in, "x-1", "IL", now, &s, &fe);
		if (rc != TQ_OK) {
			FUZZ_CHECK(rc == TQ_EMALFORMED || rc == TQ_EINVALID || rc == TQ_ETOOBIG,
				   "unexpected error %d", rc);
			FUZZ_CHECK(s == NULL, "output written on failure");
			FUZZ_CHECK(fe.message[0] != '\0', "refused without a message");
			continue;
		}
		FUZZ_CHECK(s && s->type == (enum subject_type)t, "wrong type");
		FUZZ_CHECK(s->footprint && GEOSisValid_r(geo_ctx_geos(ctx), s->footprint) == 1,
			   "invalid footprint accepted");
		FUZZ_CHECK(s->alt_min >= TQ_MIN_ALTITUDE_M && s->alt_max <= TQ_MAX_ALTITUDE_M &&
				   s->alt_min <= s->alt_max,
			   "altitude band [%g, %g]", s->alt_min, s->alt_max);
		FUZZ_CHECK(s->start < s->end, "window [%lld, %lld)", (long long)s->start, (long long)s->end);
		FUZZ_CHECK(subject_party_valid(s->owner) && strcmp(s->party, "IL") == 0, "owner/party");
		for (int i = 0; i < STRENGTH_COUNT; i++)
			FUZZ_CHECK(s->strength[i] >= 0 || s->strength[i] == SUBJECT_NO_CAP, "strength[%d] = %lld", i,
				   (long long)s->strength[i]);
		subject_free(ctx, s);
	}
	json_decref(in);
	return 0;
}
