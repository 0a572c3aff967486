#include "server/hub_caps.h"

#include <pthread.h>
#include <stdlib.h>
#include "server/tally.h"

struct hub_caps {
	pthread_mutex_t mu;
	unsigned max_streams, per_user, per_address;
	unsigned open;
	struct tally *by_user, *by_addr;
};

struct hub_caps *hub_caps_new(unsigned max_streams, unsigned per_user, unsigned per_address)
{
	struct hub_caps *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->max_streams = max_streams;
	c->per_user = per_user;
	c->per_address = per_address;
	c->by_user = tally_new();
	c->by_addr = tally_new();
	if (!c->by_user || !c->by_addr) {
		tally_free(c->by_user);
		tally_free(c->by_addr);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void hub_caps_free(struct hub_caps *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	tally_free(c->by_user);
	tally_free(c->by_addr);
	free(c);
}

int hub_caps_take(struct hub_caps *c, const char *user, const char *address, const char **detail)
{
	int rc = TQ_OK, t;
	pthread_mutex_lock(&c->mu);
	if (c->open >= c->max_streams) {
		*detail = "the server holds as many event streams as it may; retry later";
		rc = TQ_ERATE;
	} else if ((t = tally_take(c->by_user, user, c->per_user))) {
		*detail = t < 0 ? "out of memory" : "this user has too many open event streams; close one";
		rc = t < 0 ? TQ_ENOMEM : TQ_ERATE;
	} else if ((t = tally_take(c->by_addr, address, c->per_address))) {
		tally_give(c->by_user, user);
		*detail = t < 0 ? "out of memory" : "this address has too many open event streams; close one";
		rc = t < 0 ? TQ_ENOMEM : TQ_ERATE;
	} else {
		c->open++;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void hub_caps_give(struct hub_caps *c, const char *user, const char *address)
{
	pthread_mutex_lock(&c->mu);
	c->open--;
	tally_give(c->by_user, user);
	tally_give(c->by_addr, address);
	pthread_mutex_unlock(&c->mu);
}

unsigned hub_caps_open(struct hub_caps *c)
{
	unsigned n;
	pthread_mutex_lock(&c->mu);
	n = c->open;
	pthread_mutex_unlock(&c->mu);
	return n;
}
