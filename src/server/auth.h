/*
 * auth — who may see and do what. Every read path asks here; nothing else
 * decides visibility (architecture.md, Who sees what).
 *
 * A track the caller's party is not in answers 404, like one that does not
 * exist. The cell admin sees every track's metadata but no track content (403).
 *
 * The rules themselves are pure functions in core/visibility.h (unit-tested
 * against the roles table); this module applies them to requests.
 *
 * Events carry an audience tag computed here when they are emitted:
 * ",IL,SY,US," lists the parties that may see the event; "@" in the list
 * stands for the cell admin; "*" alone means every authenticated user.
 */
#ifndef TQ_AUTH_H
#define TQ_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include "core/visibility.h"
#include "server/req.h"

#define AUTH_AUDIENCE_MAX VIS_AUDIENCE_MAX
#define AUTH_SESSION_COOKIE "tansiq_session"
#define AUTH_CSRF_HEADER "X-CSRF-Token"
#define AUTH_CSRF_BUFSZ 48

/* The CSRF token of a console session: base64url(SHA-256("tansiq-csrf-v1\0" || session)). */
void auth_csrf_token(const char *session, char out[AUTH_CSRF_BUFSZ]);

/* The track as the caller may see it. *track is owned (json_decref). *role is
 * the caller's role (borrowed from *track), NULL for the cell admin.
 * Fails via req_fail: 404 unknown or not a member. */
TQ_MUST_USE int auth_track(struct req *r, const char *track_id, json_t **track, const char **role);
/* As auth_track, but for track content: the cell admin gets 403. */
TQ_MUST_USE int auth_track_content(struct req *r, const char *track_id, json_t **track, const char **role);

/* Whether a party with `role` in the track may see an object of `type`
 * ("zone", "deployment", "activity", "conflict", "message", "threat",
 * "dispute", "meeting", "minutes", "action"). obj may be consulted (message
 * addressees, zone status). */
int auth_sees(const char *role, const char *party, const char *type, const json_t *obj);

/* Loads object `id` of `type` in the request's track (r->param[0]) if a party
 * with `role` sees it. *out is owned. Fails via req_fail: 404 "no such <what>"
 * when it is unknown or invisible (rule 8: the same answer for both). */
TQ_MUST_USE int auth_object(struct req *r, const char *role, const char *type, const char *id, const char *what,
			    json_t **out);

/* Answers GET …/tracks/{t}/<things>/{id} (r->param[0], r->param[1]) with the
 * object if the caller sees it: the whole of most "get one" handlers. */
TQ_MUST_USE int auth_answer_object(struct req *r, const char *type, const char *what);

/* Audience tag for an event about an object of type in track that changed
 * from `before` (NULL: new) to `after`: everyone who saw either state.
 * oversight=1 adds the mediator and supervisor whatever the object
 * (escalations, lapses). TQ_ETOOBIG / TQ_EINVALID instead of a cut list. */
TQ_MUST_USE int auth_audience(const json_t *track, const char *type, const json_t *before, const json_t *after,
			      int oversight, char *out, size_t len);
/* Audience tag for track metadata events (members and the cell admin). */
TQ_MUST_USE int auth_audience_track(const json_t *track, char *out, size_t len);

/* Whether the caller may see an event with this audience tag. */
int auth_event_visible(const struct who *w, const char *audience);

/* 403 unless role is one of the NULL-terminated list. */
TQ_MUST_USE int auth_require_role(struct req *r, const char *role, const char *const *allowed, const char *what);

#endif
