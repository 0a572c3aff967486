#include "core/settings.h"

#include <math.h>
#include <string.h>
#include "core/tqtime.h"

#define MAX_SEPARATION_M 1000000.0
#define MAX_DEADLINE_MS (366LL * 86400000)

static const char *const precedence_names[PREC_COUNT] = {"routine", "priority", "immediate", "flash"};

int precedence_parse(const char *s)
{
	for (int i = 0; s && i < PREC_COUNT; i++)
		if (strcmp(s, precedence_names[i]) == 0)
			return i;
	return -1;
}

const char *precedence_name(enum precedence p)
{
	return (p >= 0 && p < PREC_COUNT) ? precedence_names[p] : "routine";
}

void settings_defaults(struct track_settings *s)
{
	s->separation_m = 1000;
	s->vertical_separation_m = 300;
	s->time_margin_ms = 10 * 60000;
	s->min_notice_ms = 3600000;
	s->ack_deadline_ms[PREC_FLASH] = 5 * 60000;
	s->ack_deadline_ms[PREC_IMMEDIATE] = 30 * 60000;
	s->ack_deadline_ms[PREC_PRIORITY] = 3 * 3600000;
	s->ack_deadline_ms[PREC_ROUTINE] = 86400000;
	s->threat_response_ms = 2 * 3600000;
	s->dispute_response_ms = 2 * 86400000LL;
	s->dispute_resolution_ms = 14 * 86400000LL;
}

static int metres(const json_t *v, const char *field, double *out, struct tq_field_error *err)
{
	if (!json_is_number(v)) {
		TQ_FIELD_ERROR(err, field, "must be a number of metres");
		return TQ_EMALFORMED;
	}
	double d = json_number_value(v);
	if (!isfinite(d) || d < 0 || d > MAX_SEPARATION_M) {
		TQ_FIELD_ERROR(err, field, "must be between 0 and %.0f metres", MAX_SEPARATION_M);
		return TQ_EINVALID;
	}
	*out = d;
	return TQ_OK;
}

static int duration(const json_t *v, const char *field, int64_t *out, struct tq_field_error *err)
{
	if (!json_is_string(v)) {
		TQ_FIELD_ERROR(err, field, "must be an ISO 8601 duration string such as \"PT5M\"");
		return TQ_EMALFORMED;
	}
	int64_t ms;
	if (tqtime_duration_parse(json_string_value(v), &ms) != TQ_OK || ms > MAX_DEADLINE_MS) {
		TQ_FIELD_ERROR(err, field, "must be an ISO 8601 duration of weeks, days, hours, minutes "
					   "or seconds, at most 366 days");
		return TQ_EINVALID;
	}
	*out = ms;
	return TQ_OK;
}

int settings_merge_json(struct track_settings *s, const json_t *in, struct tq_field_error *err)
{
	struct track_settings t = *s;
	const char *key;
	json_t *v;
	int rc = TQ_OK;
	char field[128];

	if (!json_is_object(in)) {
		TQ_FIELD_ERROR(err, "settings", "must be an object");
		return TQ_EMALFORMED;
	}
	json_object_foreach((json_t *)in, key, v) {
		snprintf(field, sizeof field, "settings.%.100s", key);
		if (strcmp(key, "separation_m") == 0)
			rc = metres(v, field, &t.separation_m, err);
		else if (strcmp(key, "vertical_separation_m") == 0)
			rc = metres(v, field, &t.vertical_separation_m, err);
		else if (strcmp(key, "time_margin") == 0)
			rc = duration(v, field, &t.time_margin_ms, err);
		else if (strcmp(key, "min_notice") == 0)
			rc = duration(v, field, &t.min_notice_ms, err);
		else if (strcmp(key, "threat_response") == 0)
			rc = duration(v, field, &t.threat_response_ms, err);
		else if (strcmp(key, "dispute_response") == 0)
			rc = duration(v, field, &t.dispute_response_ms, err);
		else if (strcmp(key, "dispute_resolution") == 0)
			rc = duration(v, field, &t.dispute_resolution_ms, err);
		else if (strcmp(key, "ack_deadline") == 0) {
			const char *pk;
			json_t *pv;
			if (!json_is_object(v)) {
				TQ_FIELD_ERROR(err, field, "must be an object keyed by precedence");
				return TQ_EMALFORMED;
			}
			json_object_foreach(v, pk, pv) {
				int p = precedence_parse(pk);
				snprintf(field, sizeof field, "settings.ack_deadline.%.80s", pk);
				if (p < 0) {
					TQ_FIELD_ERROR(err, field, "unknown precedence; use routine, priority, "
								   "immediate or flash");
					return TQ_EINVALID;
				}
				rc = duration(pv, field, &t.ack_deadline_ms[p], err);
				if (rc)
					return rc;
			}
		} else {
			TQ_FIELD_ERROR(err, field, "unknown setting");
			return TQ_EINVALID;
		}
		if (rc)
			return rc;
	}
	*s = t;
	return TQ_OK;
}

static json_t *duration_json(int64_t ms)
{
	char buf[TQTIME_BUFSZ];
	tqtime_duration_format(ms, buf);
	return json_string(buf);
}

/* Whole metres print as integers ("1000", not "1000.0"), as clients write them. */
static json_t *metres_json(double m)
{
	if (m == floor(m) && fabs(m) < 9007199254740992.0)
		return json_integer((json_int_t)m);
	return json_real(m);
}

json_t *settings_to_json(const struct track_settings *s)
{
	json_t *ack = json_object();
	for (int p = PREC_COUNT - 1; p >= 0; p--)
		json_object_set_new(ack, precedence_names[p], duration_json(s->ack_deadline_ms[p]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "separation_m", metres_json(s->separation_m),
			 "vertical_separation_m", metres_json(s->vertical_separation_m),
			 "time_margin", duration_json(s->time_margin_ms),
			 "min_notice", duration_json(s->min_notice_ms),
			 "ack_deadline", ack,
			 "threat_response", duration_json(s->threat_response_ms),
			 "dispute_response", duration_json(s->dispute_response_ms),
			 "dispute_resolution", duration_json(s->dispute_resolution_ms));
}
