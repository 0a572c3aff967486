/*
 * visibility — who sees what (architecture.md, "Who sees what"; api.md rules
 * 4 and 8), as pure functions of a track's members and an object.
 *
 *   role        sees
 *   principal   everything in the track (messages: those to all, to it, or from it)
 *   mediator    everything in the track
 *   supervisor  everything in the track
 *   host        meetings, minutes, action items; messages to all, to it, or from it
 *   observer    zones in force, meetings, minutes, action items
 *
 * An event carries an audience tag: ",IL,SY,US," lists the parties that may
 * see it, "@" in the list stands for the cell admin, "*" alone means every
 * authenticated user. The audience of an event about an object is everyone
 * who saw the object before the change or sees it after (an observer that saw
 * a zone in force sees its withdrawal), plus mediator and supervisor for
 * escalations and lapses (rule 4). An audience never silently drops a member:
 * VIS_AUDIENCE_MAX holds the largest legal track, and anything larger is
 * TQ_ETOOBIG.
 *
 * Nothing here reads a request, the store or the clock.
 */
#ifndef TQ_VISIBILITY_H
#define TQ_VISIBILITY_H

#include <jansson.h>
#include <stddef.h>
#include "core/limits.h"
#include "core/tqerr.h"

/* Party ids are [A-Z0-9]{2,8} (api.md, Conventions). */
#define VIS_PARTY_MAX 8
#define VIS_PARTY_BUFSZ (VIS_PARTY_MAX + 1)
/* ",@," + "<party>," per member + NUL: the largest legal track fits. */
#define VIS_AUDIENCE_MAX (3 + TQ_MAX_TRACK_MEMBERS * (VIS_PARTY_MAX + 1) + 1)

enum vis_role { VIS_NONE = 0, VIS_PRINCIPAL, VIS_MEDIATOR, VIS_SUPERVISOR, VIS_HOST, VIS_OBSERVER };

/* "principal" … "observer"; VIS_NONE for NULL or anything else. */
enum vis_role vis_role_parse(const char *s);
/* The role's name; NULL for VIS_NONE. */
const char *vis_role_name(enum vis_role r);

/* A set of parties (at most one track's worth), in insertion order. */
struct vis_parties {
	size_t n;
	char p[TQ_MAX_TRACK_MEMBERS][VIS_PARTY_BUFSZ];
};
int vis_parties_has(const struct vis_parties *s, const char *party);
/* Adds party unless present. TQ_ETOOBIG when full, TQ_EINVALID for a bad id. */
TQ_MUST_USE int vis_parties_add(struct vis_parties *s, const char *party);
/* Removes party if present; returns 1 if it was. */
int vis_parties_remove(struct vis_parties *s, const char *party);
/* Reads a JSON array of party ids (TQ_EINVALID if it is not one); NULL gives the empty set. */
TQ_MUST_USE int vis_parties_from_json(const json_t *arr, struct vis_parties *out);
/* Returns a new JSON array. */
json_t *vis_parties_to_json(const struct vis_parties *s);

struct vis_member {
	char party[VIS_PARTY_BUFSZ];
	enum vis_role role;
};
/* A track's members, as the track's JSON lists them. */
struct vis_track {
	size_t n;
	struct vis_member m[TQ_MAX_TRACK_MEMBERS];
};
/* Reads track["members"]; TQ_EINVALID when it breaks the limits (too many
 * members, a party id too long, an unknown role). */
TQ_MUST_USE int vis_track_from_json(const json_t *track, struct vis_track *out);
/* The party's role in the track, VIS_NONE when it is not a member. */
enum vis_role vis_role_of(const struct vis_track *t, const char *party);

/*
 * Whether a party with `role` may see an object of `type` ("zone",
 * "deployment", "activity", "conflict", "message", "threat", "dispute",
 * "meeting", "minutes", "action"). obj may be NULL to ask about the type as a
 * whole (then messages and zones answer for a message/zone the party could
 * see at best: see vis_reads_type); it is consulted for message addressees
 * and sender and for zone status.
 */
int vis_sees(enum vis_role role, const char *party, const char *type, const json_t *obj);
/* Whether a role may ever see some object of `type` (lists answer 403 otherwise). */
int vis_reads_type(enum vis_role role, const char *type);

/*
 * The audience tag of an event about an object of `type` changing from
 * `before` (NULL for a new object) to `after`: every member who sees either
 * state, plus mediators and supervisors when oversight is set. Writes at most
 * len bytes (VIS_AUDIENCE_MAX always suffices); TQ_ETOOBIG if it does not
 * fit, never a cut list. An audience with nobody in it is ",".
 */
TQ_MUST_USE int vis_audience(const struct vis_track *t, const char *type, const json_t *before,
			     const json_t *after, int oversight, char *out, size_t len);
/* Audience of track metadata events: the cell admin and every member. */
TQ_MUST_USE int vis_audience_track(const struct vis_track *t, char *out, size_t len);

/* Whether a caller sees an event with this audience tag: is_admin for the
 * cell admin, else party ("" or NULL for none). */
int vis_event_visible(int is_admin, const char *party, const char *audience);

#endif
