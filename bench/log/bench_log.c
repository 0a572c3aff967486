/*
 * bench_log — the tamper-evident log at scale, through the real store
 * (src/store/store.h over SQLite, WAL, synchronous=FULL) and src/core/mlog.
 *
 * Measures, in a fresh temporary store:
 *   1. append rate with one event per transaction (one fsync each: what every
 *      write request pays), on the empty log and again at full size;
 *   2. append rate in transactions of BATCH events up to N events;
 *   3. at size N: root computation, inclusion proofs (random index) and
 *      consistency proofs (random older size), p50/p99 over PROOFS each; every
 *      proof is verified with the RFC 9162 verifiers, so wrong answers fail
 *      the run instead of looking fast.
 *
 * Usage: bench_log [N [BATCH [SINGLE [PROOFS [DIR]]]]]
 *        defaults 1000000 1000 2000 1000 $TMPDIR (the store is deleted after).
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mlog.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Percentile p (0..100) of v[0..n), sorting v. */
static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

/* Leaf i: an event JSON of realistic size (~330 bytes, like a zone.created
 * event with its 16-byte salt), deterministic so proofs can be checked. */
static size_t make_leaf(uint64_t i, char *buf, size_t len)
{
	uint8_t salt[16];
	char salt_hex[33];
	uint64_t x = i * 0x9e3779b97f4a7c15ULL;
	for (int k = 0; k < 16; k++) {
		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ULL;
		salt[k] = (uint8_t)(x >> 56);
	}
	sodium_bin2hex(salt_hex, sizeof salt_hex, salt, sizeof salt);
	int n = snprintf(buf, len,
			 "{\"index\":%" PRIu64 ",\"type\":\"zone.created\",\"track\":\"il-sy\","
			 "\"at\":\"2024-06-01T10:00:00.123Z\",\"by\":{\"user\":\"usr-il-op-0001\",\"party\":\"IL\"},"
			 "\"payload\":{\"id\":\"zone-%016" PRIx64 "\",\"kind\":\"limitation\",\"name\":\"Area %" PRIu64
			 "\",\"status\":\"proposed\",\"version\":1},\"audience\":\",IL,SY,US,RU,\","
			 "\"salt\":\"%s\"}",
			 i, i, i % 997, salt_hex);
	return (size_t)n;
}

static void leaf_hash_of(uint64_t i, uint8_t out[32])
{
	char buf[512];
	size_t n = make_leaf(i, buf, sizeof buf);
	mlog_leaf_hash(buf, n, out);
}

static uint64_t rnd(uint64_t *state, uint64_t bound)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (*state >> 11) % bound;
}

#define CHECK(expr)                                                                          \
	do {                                                                                 \
		int rc_ = (expr);                                                            \
		if (rc_ != 0) {                                                              \
			fprintf(stderr, "bench_log: %s failed: %d at line %d\n", #expr, rc_, \
				__LINE__);                                                   \
			exit(1);                                                             \
		}                                                                            \
	} while (0)

static uint64_t appended;

static void append_one(struct store *s)
{
	char buf[512];
	uint64_t idx;
	size_t n = make_leaf(appended, buf, sizeof buf);
	CHECK(store_event_append(s, "zone.created", "il-sy", ",IL,SY,US,RU,", buf, n, &idx));
	if (idx != appended) {
		fprintf(stderr, "bench_log: index %" PRIu64 ", expected %" PRIu64 "\n", idx, appended);
		exit(1);
	}
	appended++;
}

/* `count` appends, one transaction (and fsync) each; prints rate and latency. */
static void single_tx(struct store *s, size_t count, const char *label)
{
	double *lat = malloc(count * sizeof *lat), t0 = now_s();
	if (!lat)
		exit(1);
	for (size_t i = 0; i < count; i++) {
		double a = now_s();
		CHECK(store_begin(s));
		append_one(s);
		CHECK(store_commit(s));
		lat[i] = now_s() - a;
	}
	double dt = now_s() - t0;
	printf("append, 1 event/transaction %-18s %6zu events  %8.0f events/s   p50 %.2f ms  p99 %.2f ms\n",
	       label, count, (double)count / dt, pct(lat, count, 50) * 1e3, pct(lat, count, 99) * 1e3);
	free(lat);
}

static void report(const char *what, double *t, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += t[i];
	double mean = sum / (double)n;
	printf("%-44s n=%-5zu mean %7.1f us  p50 %7.1f us  p99 %7.1f us\n", what, n, mean * 1e6,
	       pct(t, n, 50) * 1e6, pct(t, n, 99) * 1e6);
}

int main(int argc, char **argv)
{
	uint64_t total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	size_t batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000;
	size_t single = argc > 3 ? strtoul(argv[3], NULL, 10) : 2000;
	size_t proofs = argc > 4 ? strtoul(argv[4], NULL, 10) : 1000;
	const char *tmp = argc > 5 ? argv[5] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	char dir[4096], path[4200];
	struct store *s = NULL;

	if (sodium_init() < 0 || batch == 0 || proofs == 0 || total < 2 * single + 2)
		return 2;
	snprintf(dir, sizeof dir, "%s/bench_log.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/tansiq.db", dir);
	CHECK(store_open(path, 1, &s));
	printf("store %s; N = %" PRIu64 ", batch %zu, single %zu, proofs %zu\n", path, total, batch, single,
	       proofs);

	/* 1. One event per transaction on an empty log. */
	single_tx(s, single, "(log empty)");

	/* 2. Batched appends up to N - single. */
	uint64_t target = total - single;
	double t0 = now_s(), tlast = t0;
	uint64_t last = appended;
	while (appended < target) {
		CHECK(store_begin(s));
		for (size_t k = 0; k < batch && appended < target; k++)
			append_one(s);
		CHECK(store_commit(s));
		if (appended / 100000 != last / 100000 || appended == target) {
			double t = now_s();
			printf("  batched: %8" PRIu64 " events  %8.0f events/s (last %" PRIu64 ")\n", appended,
			       (double)(appended - last) / (t - tlast), appended - last);
			fflush(stdout);
			tlast = t;
			last = appended;
		}
	}
	double dt = now_s() - t0;
	printf("append, %zu events/transaction            %8" PRIu64 " events  %8.0f events/s   total %.1f s\n",
	       batch, target - single, (double)(target - single) / dt, dt);

	/* 1'. One event per transaction again, at full size. */
	single_tx(s, single, "(log at N)");

	uint64_t n;
	CHECK(store_log_size(s, &n));
	if (n != total) {
		fprintf(stderr, "bench_log: size %" PRIu64 " != %" PRIu64 "\n", n, total);
		return 1;
	}

	/* 3. Root, inclusion and consistency at size N. */
	double *t = malloc(proofs * sizeof *t);
	uint8_t root[32], root_m[32], leaf[32], (*proof)[32] = malloc(MLOG_MAX_PROOF * 32);
	size_t count;
	uint64_t seed = 42;
	if (!t || !proof)
		return 1;
	for (size_t i = 0; i < proofs; i++) {
		double a = now_s();
		CHECK(store_log_root(s, n, root));
		t[i] = now_s() - a;
	}
	report("root at size N", t, proofs);
	for (size_t i = 0; i < proofs; i++) {
		uint64_t m = 1 + rnd(&seed, n);
		double a = now_s();
		CHECK(store_log_root(s, m, root_m));
		t[i] = now_s() - a;
	}
	report("root at a random size <= N", t, proofs);

	CHECK(store_log_root(s, n, root));
	for (size_t i = 0; i < proofs; i++) {
		uint64_t idx = rnd(&seed, n);
		double a = now_s();
		CHECK(store_log_inclusion(s, idx, n, proof, &count));
		t[i] = now_s() - a;
		leaf_hash_of(idx, leaf);
		CHECK(mlog_verify_inclusion(idx, n, leaf, (const uint8_t(*)[32])proof, count, root));
	}
	report("inclusion proof (random index, size N)", t, proofs);

	for (size_t i = 0; i < proofs; i++) {
		uint64_t m = 1 + rnd(&seed, n - 1);
		double a = now_s();
		CHECK(store_log_consistency(s, m, n, proof, &count));
		t[i] = now_s() - a;
		CHECK(store_log_root(s, m, root_m));
		CHECK(mlog_verify_consistency(m, n, root_m, root, (const uint8_t(*)[32])proof, count));
	}
	report("consistency proof (random m -> N)", t, proofs);

	struct stat st;
	char wal[4300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	long long bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
	printf("database file: %.1f MB for %" PRIu64 " events (%.0f bytes/event)\n", (double)bytes / 1e6, n,
	       (double)bytes / (double)n);

	store_close(s);
	free(t);
	free(proof);
	unlink(wal);
	snprintf(wal, sizeof wal, "%s-shm", path);
	unlink(wal);
	unlink(path);
	if (rmdir(dir) != 0 && errno != ENOENT)
		perror("rmdir");
	return 0;
}
