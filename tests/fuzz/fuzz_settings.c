/*
 * fuzz_settings — a track's "settings" object as the server receives it: the
 * body is parsed by jansson with JSON_REJECT_DUPLICATES (as src/server/http.c
 * does) and merged with settings_merge_json over the defaults.
 *
 * Promises checked (settings.h): a failed merge leaves the settings
 * untouched and names a field; a successful merge survives
 * settings_to_json -> settings_merge_json unchanged.
 */
#include "fuzz_common.h"

#include <jansson.h>

#include "core/settings.h"

static int same(const struct track_settings *a, const struct track_settings *b)
{
	/* == rather than memcmp: -0.0 and 0.0 are the same distance. */
	if (a->separation_m != b->separation_m || a->vertical_separation_m != b->vertical_separation_m ||
	    a->time_margin_ms != b->time_margin_ms || a->min_notice_ms != b->min_notice_ms ||
	    a->threat_response_ms != b->threat_response_ms || a->dispute_response_ms != b->dispute_response_ms ||
	    a->dispute_resolution_ms != b->dispute_resolution_ms)
		return 0;
	for (int p = 0; p < PREC_COUNT; p++)
		if (a->ack_deadline_ms[p] != b->ack_deadline_ms[p])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return 0;

	struct track_settings s, before, back;
	struct tq_field_error fe = {{0}, {0}};
	settings_defaults(&s);
	before = s;
	int rc = settings_merge_json(&s, in, &fe);
	if (rc != TQ_OK) {
		FUZZ_CHECK(rc == TQ_EMALFORMED || rc == TQ_EINVALID, "unexpected error %d", rc);
		FUZZ_CHECK(same(&s, &before), "failed merge changed the settings");
		FUZZ_CHECK(fe.field[0] != '\0' && fe.message[0] != '\0', "failed merge without a field error");
	} else {
		json_t *out = settings_to_json(&s);
		FUZZ_CHECK(out != NULL, "settings_to_json returned NULL");
		settings_defaults(&back);
		rc = settings_merge_json(&back, out, &fe);
		FUZZ_CHECK(rc == TQ_OK, "own output refused: %s: %s", fe.field, fe.message);
		FUZZ_CHECK(same(&s, &back), "settings changed through settings_to_json");
		json_decref(out);
	}
	json_decref(in);
	return 0;
}
