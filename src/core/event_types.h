/*
 * event_types — the one list of event types the server emits.
 *
 * Every event appended to the log (and so sent on the live streams) has one of
 * these types; app_emit refuses any other, so a new type cannot ship without
 * being added here. docs/openapi.yaml (components/schemas/EventType) and the
 * console's EVENT_TYPES (web/app/api.js) list the same set, checked by
 * tests/e2e/test_event_types.py. Deadline kinds of the sweeper ("threat.respond",
 * "message.ack", …) are not event types.
 */
#ifndef TQ_EVENT_TYPES_H
#define TQ_EVENT_TYPES_H

#include <stddef.h>

/* The types, sorted, NULL-terminated. */
extern const char *const event_types[];

/* 1 if type is in the list, else 0 (NULL is not). */
int event_type_known(const char *type);

#endif
