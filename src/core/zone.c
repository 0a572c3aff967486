#include "core/zone.h"

#include <string.h>

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int zone_from_json(const json_t *obj, struct zone *out)
{
	const json_t *version = json_object_get(obj, "version");
	int kind = zone_kind_parse(str(obj, "kind") ? str(obj, "kind") : "");
	int status = zone_status_parse(str(obj, "status") ? str(obj, "status") : "");
	memset(out, 0, sizeof *out);
	out->in_force_at = out->withdrawn_at = out->updated_at = TQ_TIME_MIN;
	if (kind < 0 || status < 0 || !json_is_integer(version) ||
	    change_party_copy(out->declared_by, str(obj, "declared_by")) ||
	    change_party_copy(out->owner, str(obj, "owner")) ||
	    party_set_from_json(json_object_get(obj, "accepted_by"), &out->accepted_by))
		return TQ_EINVALID;
	if (str(obj, "rejected_by") && change_party_copy(out->rejected_by, str(obj, "rejected_by")))
		return TQ_EINVALID;
	out->kind = (enum zone_kind)kind;
	out->status = (enum zone_status)status;
	out->version = json_integer_value(version);
	return TQ_OK;
}

int zone_to_json(const struct zone *z, json_t *obj)
{
	json_t *acc = party_set_to_json(&z->accepted_by);
	if (!acc || json_object_set_new(obj, "accepted_by", acc) ||
	    json_object_set_new(obj, "status", json_string(zone_status_name(z->status))) ||
	    json_object_set_new(obj, "declared_by", json_string(z->declared_by)) ||
	    json_object_set_new(obj, "owner", json_string(z->owner)) ||
	    json_object_set_new(obj, "version", json_integer(z->version)) ||
	    change_str_to_json(obj, "rejected_by", z->rejected_by) ||
	    change_time_to_json(obj, "in_force_at", z->in_force_at) ||
	    change_time_to_json(obj, "withdrawn_at", z->withdrawn_at) ||
	    change_time_to_json(obj, "updated_at", z->updated_at))
		return TQ_ENOMEM;
	return TQ_OK;
}

static void bump(struct zone *z, tq_time now)
{
	z->version++;
	z->updated_at = now;
}

int zone_declare(struct zone *z, enum zone_kind kind, const char *party, const char *owner,
		 const struct party_set *principals, struct change *out)
{
	change_init(out);
	memset(z, 0, sizeof *z);
	z->in_force_at = z->withdrawn_at = z->updated_at = TQ_TIME_MIN;
	z->kind = kind;
	z->status = (kind == ZONE_DEMILITARIZED || kind == ZONE_LIMITATION) ? ZONE_PROPOSED : ZONE_IN_FORCE;
	if (change_party_copy(z->declared_by, party) || change_party_copy(z->owner, owner ? owner : party) ||
	    party_set_add(&z->accepted_by, party)) {
		out->field = "owner";
		return change_refuse(out, TQ_EINVALID, "not a party id");
	}
	z->version = 1;
	/* A lone principal (or an in-force kind) has nothing to wait for. */
	if (z->status == ZONE_PROPOSED && party_set_covers(&z->accepted_by, principals))
		z->status = ZONE_IN_FORCE;
	out->event = "zone.declared";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

int zone_accept(struct zone *z, const char *party, const struct party_set *principals, tq_time now,
		struct change *out)
{
	change_init(out);
	if (z->status != ZONE_PROPOSED)
		return change_refuse(out, TQ_ECONFLICT, "the zone is %s; only a proposed zone is accepted",
				     zone_status_name(z->status));
	if (party_set_has(&z->accepted_by, party))
		return change_refuse(out, TQ_ECONFLICT, "%s has already accepted this zone", party);
	if (party_set_add(&z->accepted_by, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	if (party_set_covers(&z->accepted_by, principals)) {
		z->status = ZONE_IN_FORCE;
		z->in_force_at = now;
	}
	bump(z, now);
	out->event = "zone.accepted";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

int zone_reject(struct zone *z, const char *party, tq_time now, struct change *out)
{
	change_init(out);
	if (!strcmp(z->declared_by, party))
		return change_refuse(out, TQ_EFORBIDDEN,
				     "the declaring party withdraws its zone (DELETE) instead of rejecting it");
	if (z->status != ZONE_PROPOSED)
		return change_refuse(out, TQ_ECONFLICT, "the zone is %s; only a proposed zone is rejected",
				     zone_status_name(z->status));
	if (change_party_copy(z->rejected_by, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	z->status = ZONE_REJECTED;
	bump(z, now);
	out->event = "zone.rejected";
	out->index = CHANGE_INDEX_REMOVE;
	out->why = "rejected";
	return TQ_OK;
}

int zone_withdraw(struct zone *z, const char *party, tq_time now, struct change *out)
{
	change_init(out);
	if (strcmp(z->declared_by, party))
		return change_refuse(out, TQ_EFORBIDDEN, "only the declaring party withdraws a zone");
	if (z->status != ZONE_PROPOSED && z->status != ZONE_IN_FORCE)
		return change_refuse(out, TQ_ECONFLICT, "the zone is already %s", zone_status_name(z->status));
	z->status = ZONE_WITHDRAWN;
	z->withdrawn_at = now;
	bump(z, now);
	out->event = "zone.withdrawn";
	out->index = CHANGE_INDEX_REMOVE;
	out->why = "withdrawn";
	return TQ_OK;
}
