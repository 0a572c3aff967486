#include "server/tally.h"

#include <stdlib.h>
#include <string.h>

struct tally_entry {
	char key[TALLY_KEY_MAX];
	unsigned count;
	struct tally_entry *next;
};

struct tally {
	struct tally_entry **slots;
	size_t nslots, nentries;
};

/* FNV-1a. */
static size_t hash_key(const char *key)
{
	size_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static void copy_key(char out[TALLY_KEY_MAX], const char *key)
{
	size_t n = strnlen(key, TALLY_KEY_MAX - 1);
	memcpy(out, key, n);
	out[n] = '\0';
}

struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->nslots = 64;
	t->slots = calloc(t->nslots, sizeof *t->slots);
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

void tally_free(struct tally *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nslots; i++) {
		struct tally_entry *e = t->slots[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->slots);
	free(t);
}

static struct tally_entry **find(const struct tally *t, const char key[TALLY_KEY_MAX])
{
	struct tally_entry **p = &t->slots[hash_key(key) % t->nslots];
	while (*p && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

unsigned tally_get(const struct tally *t, const char *key)
{
	char k[TALLY_KEY_MAX];
	copy_key(k, key);
	struct tally_entry **p = find(t, k);
	return *p ? (*p)->count : 0;
}

/* Doubles the table when it holds more entries than slots; on failure keeps
 * the old table (longer chains, still correct). */
static void grow(struct tally *t)
{
	size_t n = t->nslots * 2;
	struct tally_entry **slots = calloc(n, sizeof *slots);
	if (!slots)
		return;
	for (size_t i = 0; i < t->nslots; i++) {
		struct tally_entry *e = t->slots[i], *next;
		for (; e; e = next) {
			next = e->next;
			size_t j = hash_key(e->key) % n;
			e->next = slots[j];
			slots[j] = e;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

int tally_take(struct tally *t, const char *key, unsigned cap)
{
	char k[TALLY_KEY_MAX];
	copy_key(k, key);
	struct tally_entry **p = find(t, k);
	if (*p) {
		if (cap && (*p)->count >= cap)
			return 1;
		(*p)->count++;
		return 0;
	}
	struct tally_entry *e = calloc(1, sizeof *e);
	if (!e)
		return -1;
	memcpy(e->key, k, sizeof k);
	e->count = 1;
	*p = e;
	if (++t->nentries > t->nslots)
		grow(t);
	return 0;
}

void tally_give(struct tally *t, const char *key)
{
	char k[TALLY_KEY_MAX];
	copy_key(k, key);
	struct tally_entry **p = find(t, k), *e = *p;
	if (!e)
		return;
	if (--e->count == 0) {
		*p = e->next;
		free(e);
		t->nentries--;
	}
}
