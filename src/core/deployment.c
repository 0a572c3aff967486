#include "core/deployment.h"

#include <string.h>

static const char *const status_names[] = {"active", "withdrawn"};

const char *deployment_status_name(enum deployment_status s)
{
	return (unsigned)s < 2 ? status_names[s] : "?";
}

int deployment_status_parse(const char *s)
{
	for (int i = 0; s && i < 2; i++)
		if (!strcmp(status_names[i], s))
			return i;
	return -1;
}

int deployment_from_json(const json_t *obj, struct deployment *out)
{
	const json_t *version = json_object_get(obj, "version");
	int status = deployment_status_parse(json_string_value(json_object_get(obj, "status")));
	memset(out, 0, sizeof *out);
	out->withdrawn_at = out->updated_at = TQ_TIME_MIN;
	if (status < 0 || !json_is_integer(version) ||
	    change_party_copy(out->declared_by, json_string_value(json_object_get(obj, "declared_by"))))
		return TQ_EINVALID;
	out->status = (enum deployment_status)status;
	out->version = json_integer_value(version);
	return TQ_OK;
}

int deployment_to_json(const struct deployment *d, json_t *obj)
{
	if (json_object_set_new(obj, "status", json_string(deployment_status_name(d->status))) ||
	    json_object_set_new(obj, "declared_by", json_string(d->declared_by)) ||
	    json_object_set_new(obj, "version", json_integer(d->version)) ||
	    change_time_to_json(obj, "withdrawn_at", d->withdrawn_at) ||
	    change_time_to_json(obj, "updated_at", d->updated_at))
		return TQ_ENOMEM;
	return TQ_OK;
}

int deployment_declare(struct deployment *d, const char *party, struct change *out)
{
	change_init(out);
	memset(d, 0, sizeof *d);
	d->withdrawn_at = d->updated_at = TQ_TIME_MIN;
	if (change_party_copy(d->declared_by, party))
		return change_refuse(out, TQ_EINVALID, "not a party id");
	d->status = DEPLOYMENT_ACTIVE;
	d->version = 1;
	out->event = "deployment.declared";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

/* The refusals every change of an existing deployment shares. */
static int may_change(const struct deployment *d, const char *party, struct change *out)
{
	if (strcmp(d->declared_by, party))
		return change_refuse(out, TQ_EFORBIDDEN, "only the declaring party changes a deployment");
	if (d->status != DEPLOYMENT_ACTIVE)
		return change_refuse(out, TQ_ECONFLICT, "the deployment is withdrawn");
	return TQ_OK;
}

int deployment_modify(struct deployment *d, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if ((rc = may_change(d, party, out)))
		return rc;
	d->version++;
	d->updated_at = now;
	out->event = "deployment.modified";
	out->index = CHANGE_INDEX_UPSERT;
	return TQ_OK;
}

int deployment_withdraw(struct deployment *d, const char *party, tq_time now, struct change *out)
{
	int rc;
	change_init(out);
	if ((rc = may_change(d, party, out)))
		return rc;
	d->status = DEPLOYMENT_WITHDRAWN;
	d->withdrawn_at = now;
	d->version++;
	d->updated_at = now;
	out->event = "deployment.withdrawn";
	out->index = CHANGE_INDEX_REMOVE;
	out->why = "withdrawn";
	return TQ_OK;
}
