#include "server/cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char *key;
	char *text;
	size_t len;
	uint64_t version;
};

struct cache {
	pthread_mutex_t mu; /* readers in snapshots use the cache beside the writer */
	struct slot slots[CACHE_SLOTS];
};

struct cache *cache_new(void)
{
	struct cache *c = calloc(1, sizeof(struct cache));
	if (c)
		pthread_mutex_init(&c->mu, NULL);
	return c;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(c->slots[i].key);
		free(c->slots[i].text);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct slot *slot_of(struct cache *c, const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const char *p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return &c->slots[h % CACHE_SLOTS];
}

char *cache_get(struct cache *c, const char *key, uint64_t version, size_t *len)
{
	struct slot *s;
	char *copy;
	if (!c)
		return NULL;
	s = slot_of(c, key);
	pthread_mutex_lock(&c->mu);
	if (!s->key || s->version != version || strcmp(s->key, key) != 0 || !(copy = malloc(s->len + 1))) {
		pthread_mutex_unlock(&c->mu);
		return NULL;
	}
	memcpy(copy, s->text, s->len + 1);
	*len = s->len;
	pthread_mutex_unlock(&c->mu);
	return copy;
}

void cache_put(struct cache *c, const char *key, uint64_t version, const char *text, size_t len)
{
	struct slot *s;
	char *k, *t;
	if (!c || len > CACHE_MAX_TEXT || strlen(key) > CACHE_MAX_KEY)
		return;
	k = strdup(key);
	t = malloc(len + 1);
	if (!k || !t) {
		free(k);
		free(t);
		return;
	}
	memcpy(t, text, len);
	t[len] = '\0';
	s = slot_of(c, key);
	pthread_mutex_lock(&c->mu);
	if (s->key && s->version > version && !strcmp(s->key, key)) {
		/* a reader of an older snapshot keeps no older answer over a newer one */
		pthread_mutex_unlock(&c->mu);
		free(k);
		free(t);
		return;
	}
	free(s->key);
	free(s->text);
	*s = (struct slot){k, t, len, version};
	pthread_mutex_unlock(&c->mu);
}
