#include "server/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define RATELIMIT_SLOTS 4096
#define RATELIMIT_PROBE 8
#define RATELIMIT_KEY 64

struct bucket {
	char key[RATELIMIT_KEY];
	double tokens;
	tq_time last;
};

struct ratelimit {
	pthread_mutex_t mu;
	double rate, burst;
	struct bucket slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(double rate, double burst)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return NULL;
	pthread_mutex_init(&rl->mu, NULL);
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

/* FNV-1a: keys are short and not attacker-chosen in bulk beyond addresses. */
static uint32_t key_hash(const char *key)
{
	uint32_t h = 2166136261u;
	for (; *key; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h;
}

int ratelimit_take(struct ratelimit *rl, const char *key, tq_time now)
{
	struct bucket *b = NULL, *oldest = NULL;
	int wait = 0;
	if (!rl || rl->rate <= 0)
		return 0;
	uint32_t h = key_hash(key);
	pthread_mutex_lock(&rl->mu);
	for (int i = 0; i < RATELIMIT_PROBE; i++) {
		struct bucket *c = &rl->slots[(h + (uint32_t)i) % RATELIMIT_SLOTS];
		if (strncmp(c->key, key, RATELIMIT_KEY - 1) == 0 && c->key[0]) {
			b = c;
			break;
		}
		if (!oldest || c->last < oldest->last)
			oldest = c;
	}
	if (!b) {
		b = oldest;
		strncpy(b->key, key, RATELIMIT_KEY - 1);
		b->key[RATELIMIT_KEY - 1] = '\0';
		b->tokens = rl->burst;
		b->last = now;
	}
	double elapsed = (double)(now - b->last) / 1000.0;
	if (elapsed > 0)
		b->tokens = fmin(rl->burst, b->tokens + elapsed * rl->rate);
	b->last = now;
	if (b->tokens >= 1) {
		b->tokens -= 1;
	} else {
		wait = (int)ceil((1 - b->tokens) / rl->rate);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->mu);
	return wait;
}
