/*
 * hub_caps — the stream caps of issue 17: open event streams in the cell, per
 * user and per source address. A stream takes one slot of each before it
 * starts and gives them back when it ends; a take over any cap changes
 * nothing and names the cap. Counts follow what is open now (tally.h). Has
 * its own lock, so it may be called from any thread; it calls nothing else.
 */
#ifndef TQ_HUB_CAPS_H
#define TQ_HUB_CAPS_H

#include "core/tqerr.h"

struct hub_caps;

/* Caps of 0 are not allowed here (the hub puts its defaults in). NULL when out of memory. */
struct hub_caps *hub_caps_new(unsigned max_streams, unsigned per_user, unsigned per_address);
void hub_caps_free(struct hub_caps *c);
/* TQ_OK (a slot of each taken), TQ_ERATE (a cap is full; *detail says which,
 * for the 429's problem body) or TQ_ENOMEM. */
TQ_MUST_USE int hub_caps_take(struct hub_caps *c, const char *user, const char *address, const char **detail);
void hub_caps_give(struct hub_caps *c, const char *user, const char *address);
/* Streams open now. */
unsigned hub_caps_open(struct hub_caps *c);

#endif
