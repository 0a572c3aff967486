#include "core/event.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

int event_encode(const struct event *e, char **out, size_t *len)
{
	char when[TQTIME_BUFSZ];
	char salt[EVENT_SALT_BYTES * 2 + 1];
	json_t *actor, *root;

	if (!e->type || !e->actor_user || !e->payload)
		return TQ_EINTERNAL;
	tqtime_format(e->time, when);
	sodium_bin2hex(salt, sizeof salt, e->salt, sizeof e->salt);
	actor = json_pack("{s:s?, s:s}", "party", e->actor_party, "user", e->actor_user);
	if (actor && e->actor_signature && e->actor_signed_body) {
		json_object_set_new(actor, "signature", json_string(e->actor_signature));
		json_object_set_new(actor, "signed_body", json_string(e->actor_signed_body));
	}
	root = json_pack("{s:o, s:O, s:s, s:s, s:s?, s:s}", "actor", actor, "payload", e->payload, "salt", salt,
			 "time", when, "track", e->track, "type", e->type);
	if (!root)
		return TQ_ENOMEM;
	*out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (!*out)
		return TQ_ENOMEM;
	*len = strlen(*out);
	return TQ_OK;
}
