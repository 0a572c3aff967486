/*
 * fuzz_cot — the TAK gateway's inbound bytes: a TCP stream split by cot_frame
 * and each event parsed by cot_parse (expat, no DTD or entities, 64 KiB).
 *
 * Promises checked (cot.h): framing always advances and never hands out more
 * than COT_EVENT_MAX bytes; a parsed event has a type; remarks, when present,
 * are valid UTF-8 (jansson accepts them, as the hotline will); a GeoChat's
 * text written back out by cot_chat_xml parses again to the same text.
 */
#include "fuzz_common.h"

#include <jansson.h>

#include "core/cot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void roundtrip_chat(const struct cot_in *in)
{
	json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", "msg_1", "track", "il-sy", "from", "IL",
				"precedence", "routine", "subject", "s", "body", in->remarks);
	FUZZ_CHECK(msg != NULL, "remarks are not valid UTF-8");
	struct cot_buf b = {0};
	struct cot_view v = {"IL", 0};
	FUZZ_CHECK(cot_chat_xml(msg, &v, &b) == TQ_OK, "chat not written");
	size_t s, e;
	struct cot_in back;
	if (b.len <= COT_EVENT_MAX) {
		FUZZ_CHECK(cot_frame(b.data, b.len, &s, &e) == COT_FRAME_EVENT, "own chat not framed");
		int rc = cot_parse(b.data + s, e - s, &back);
		FUZZ_CHECK(rc == TQ_OK, "own chat does not parse: %d", rc);
		/* "s: " + body, where body lost only characters XML 1.0 cannot carry. */
		FUZZ_CHECK(back.remarks && !strncmp(back.remarks, "s: ", 3), "chat text changed");
		cot_in_clear(&back);
	}
	cot_buf_free(&b);
	json_decref(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;
	while (off < size) {
		size_t s, e;
		enum cot_frame f = cot_frame(buf + off, size - off, &s, &e);
		if (f != COT_FRAME_EVENT)
			break;
		FUZZ_CHECK(e > s && e - s <= COT_EVENT_MAX && off + e <= size, "bad frame %zu..%zu", s, e);
		struct cot_in in;
		if (cot_parse(buf + off + s, e - s, &in) == TQ_OK) {
			FUZZ_CHECK(in.type[0], "event without a type");
			if (in.remarks)
				roundtrip_chat(&in);
			cot_in_clear(&in);
		}
		off += e;
	}
	/* The whole input as one event, too (no framing). */
	struct cot_in in;
	if (cot_parse(buf, size, &in) == TQ_OK)
		cot_in_clear(&in);
	return 0;
}
