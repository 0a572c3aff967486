/*
 * demo — the demo scenario of architecture.md, seeded through the API itself
 * (in-process requests: same validation, events and log as real clients).
 *
 * Each module that adds objects to the demo writes a demo_seed_<module>()
 * in its own file and lists it in demo.c's seed table.
 */
#ifndef TQ_DEMO_H
#define TQ_DEMO_H

#include <jansson.h>
#include "core/token.h"
#include "server/app.h"

#define DEMO_PARTIES 6

struct demo {
	struct app *app;
	tq_time now;
	char admin[TOKEN_BUFSZ];
	char token[DEMO_PARTIES][TOKEN_BUFSZ];   /* operator tokens, in demo_parties order */
};

extern const char *const demo_parties[DEMO_PARTIES];   /* IL SY TR RU US AZ */

/* Calls the API as `party` ("admin" for the cell admin); body is JSON text
 * or NULL. Returns the answer (owned) or NULL after printing why on stderr. */
json_t *demo_call(struct demo *d, const char *party, const char *method, const char *path, const char *body);
/* demo_call with a printf-style body; the id of the created object is
 * copied into id_out (if not NULL, APP_ID_BUFSZ bytes). 0 or -1. */
int demo_post(struct demo *d, const char *party, const char *path, char *id_out, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* "2026-…Z" for now + offset minutes, into buf (TQTIME_BUFSZ). */
const char *demo_time(struct demo *d, long minutes, char *buf);

/* Seeds everything and writes DIR/demo-tokens.json and DIR/demo-passwords.json. */
TQ_MUST_USE int demo_seed(struct app *a, const char *admin_token);
int demo_seed_hotline(struct demo *d); /* demo_hotline.c */
int demo_seed_cell(struct demo *d); /* threats, disputes, meetings (demo_cell.c) */
int demo_seed_zones(struct demo *d); /* zones, deployments, activities, conflicts (demo_zones.c) */

#endif
