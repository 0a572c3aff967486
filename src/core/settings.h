/*
 * settings — a track's settings (api.md, Cell administration): margins and
 * deadlines, with the contract's defaults. Parsing is a merge: only the keys
 * present change; an unknown key, a wrong type or an out-of-range value fails
 * and leaves the settings untouched.
 */
#ifndef TQ_SETTINGS_H
#define TQ_SETTINGS_H

#include <jansson.h>
#include <stdint.h>
#include "core/fielderr.h"
#include "core/tqerr.h"

enum precedence { PREC_ROUTINE, PREC_PRIORITY, PREC_IMMEDIATE, PREC_FLASH, PREC_COUNT };

struct track_settings {
	double separation_m;
	double vertical_separation_m;
	int64_t time_margin_ms;
	int64_t min_notice_ms;
	int64_t ack_deadline_ms[PREC_COUNT];
	int64_t threat_response_ms;
	int64_t dispute_response_ms;
	int64_t dispute_resolution_ms;
};

void settings_defaults(struct track_settings *s);
/* Merges the JSON object `in` into *s (all or nothing). TQ_EMALFORMED for a
 * wrong JSON type, TQ_EINVALID for an unknown key or a bad value. */
TQ_MUST_USE int settings_merge_json(struct track_settings *s, const json_t *in, struct tq_field_error *err);
/* Returns a new JSON object in the contract's shape (durations as ISO 8601). */
json_t *settings_to_json(const struct track_settings *s);

/* "routine" … "flash" ↔ enum; -1 when unknown. */
int precedence_parse(const char *s);
const char *precedence_name(enum precedence p);

#endif
