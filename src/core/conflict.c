#include "core/conflict.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {"open", "acknowledged", "resolved"};
#define NSTATUS (sizeof status_names / sizeof status_names[0])

const char *conflict_status_name(enum conflict_status s)
{
	return (unsigned)s < NSTATUS ? status_names[s] : "?";
}

int conflict_status_parse(const char *s)
{
	for (size_t i = 0; s && i < NSTATUS; i++)
		if (!strcmp(status_names[i], s))
			return (int)i;
	return -1;
}

int conflict_from_json(const json_t *obj, struct conflict *out)
{
	const json_t *version = json_object_get(obj, "version");
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *res = json_string_value(json_object_get(obj, "resolution"));
	const char *zp = json_string_value(json_object_get(json_array_get(json_object_get(obj, "subjects"), 0), "party"));
	const char *by = json_string_value(json_object_get(obj, "resolved_by"));
	int status = conflict_status_parse(json_string_value(json_object_get(obj, "status")));
	memset(out, 0, sizeof *out);
	out->resolved_at = out->updated_at = TQ_TIME_MIN;
	if (status < 0 || !kind || strlen(kind) >= sizeof out->kind || !json_is_integer(version) ||
	    (res && strlen(res) >= sizeof out->resolution) ||
	    party_set_from_json(json_object_get(obj, "parties"), &out->parties) ||
	    party_set_from_json(json_object_get(obj, "acks"), &out->acks) ||
	    (zp && change_party_copy(out->zone_party, zp)) || (by && change_party_copy(out->resolved_by, by)))
		return TQ_EINVALID;
	snprintf(out->kind, sizeof out->kind, "%s", kind);
	snprintf(out->resolution, sizeof out->resolution, "%s", res ? res : "");
	out->status = (enum conflict_status)status;
	out->version = json_integer_value(version);
	return TQ_OK;
}

int conflict_to_json(const struct conflict *c, json_t *obj)
{
	json_t *acks = party_set_to_json(&c->acks);
	if (!acks || json_object_set_new(obj, "acks", acks) ||
	    json_object_set_new(obj, "status", json_string(conflict_status_name(c->status))) ||
	    json_object_set_new(obj, "version", json_integer(c->version)) ||
	    change_str_to_json(obj, "resolution", c->resolution) ||
	    change_time_to_json(obj, "resolved_at", c->resolved_at) ||
	    change_str_to_json(obj, "resolved_by", c->resolved_by) ||
	    change_time_to_json(obj, "updated_at", c->updated_at))
		return TQ_ENOMEM;
	return TQ_OK;
}

static int unresolved(const struct conflict *c, struct change *out)
{
	if (c->status == CONFLICT_RESOLVED)
		return change_refuse(out, TQ_ECONFLICT, "the conflict is already resolved (%s)",
				     c->resolution[0] ? c->resolution : "?");
	return TQ_OK;
}

static void resolve(struct conflict *c, const char *why, const char *by, tq_time now, struct change *out)
{
	c->status = CONFLICT_RESOLVED;
	snprintf(c->resolution, sizeof c->resolution, "%s", why);
	snprintf(c->resolved_by, sizeof c->resolved_by, "%s", by ? by : "");
	c->resolved_at = now;
	c->version++;
	c->updated_at = now;
	out->event = "conflict.resolved";
}

int conflict_open(struct conflict *c, struct change *out)
{
	change_init(out);
	c->status = CONFLICT_OPEN;
	c->acks.n = 0;
	c->version = 1;
	out->event = "conflict.opened";
	return TQ_OK;
}

int conflict_acknowledge(struct conflict *c, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if (!party_set_has(&c->parties, party))
		return change_refuse(out, TQ_EFORBIDDEN, "only an affected party acknowledges a conflict");
	if ((rc = unresolved(c, out)))
		return rc;
	if (party_set_has(&c->acks, party))
		return change_refuse(out, TQ_ECONFLICT, "%s has already acknowledged this conflict", party);
	if (party_set_add(&c->acks, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	if (party_set_covers(&c->acks, &c->parties))
		c->status = CONFLICT_ACKNOWLEDGED;
	c->version++;
	c->updated_at = now;
	out->event = "conflict.acknowledged";
	return TQ_OK;
}

int conflict_consent(struct conflict *c, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if (strcmp(c->kind, "influence_entry"))
		return change_refuse(out, TQ_ECONFLICT, "only an influence_entry conflict takes the zone owner's consent");
	if (!c->zone_party[0] || strcmp(c->zone_party, party))
		return change_refuse(out, TQ_EFORBIDDEN, "only the owner of the influence zone (%s) consents",
				     c->zone_party[0] ? c->zone_party : "?");
	if ((rc = unresolved(c, out)))
		return rc;
	resolve(c, "consented", party, now, out);
	out->settles = 1;
	return TQ_OK;
}

int conflict_waive(struct conflict *c, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if ((rc = unresolved(c, out)))
		return rc;
	resolve(c, "waived", party, now, out);
	out->settles = 1;
	return TQ_OK;
}

int conflict_lapse(struct conflict *c, const char *why, tq_time now, struct change *out)
{
	change_init(out);
	resolve(c, why, NULL, now, out);
	return TQ_OK;
}
