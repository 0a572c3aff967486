/* store read snapshots (store_read_begin, src/store/sqlite.c): a reader's snapshot shows only what
 * was committed when it began, never the open write transaction, and does not move while the writer
 * commits; the writer's own reads see its uncommitted writes; snapshots of several threads at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/store.h"

static char dir[64];

static struct store *open_fresh(void)
{
	char path[128];
	struct store *s = NULL;
	snprintf(dir, sizeof dir, "/tmp/tq-store-read-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	assert_int_equal(store_open(path, 1, &s), TQ_OK);
	assert_int_equal(store_begin(s), TQ_OK);
	assert_int_equal(store_meta_set(s, "k", "committed"), TQ_OK);
	assert_int_equal(store_commit(s), TQ_OK);
	return s;
}

static void close_fresh(struct store *s)
{
	char cmd[160];
	store_close(s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void expect_meta(struct store *s, const char *want)
{
	char *v = NULL;
	assert_int_equal(store_meta_get(s, "k", &v), TQ_OK);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void snapshot_ignores_the_open_write_and_stays_put_across_its_commit(void **state)
{
	(void)state;
	struct store *s = open_fresh();
	assert_int_equal(store_begin(s), TQ_OK);
	assert_int_equal(store_meta_set(s, "k", "uncommitted"), TQ_OK);
	expect_meta(s, "uncommitted"); /* the writer reads its own write */

	assert_int_equal(store_read_begin(s), TQ_OK);
	expect_meta(s, "committed");     /* the snapshot does not wait for, nor see, the open write */
	assert_int_equal(store_read_begin(s), TQ_EINTERNAL); /* one snapshot per thread */
	assert_int_equal(store_commit(s), TQ_OK); /* the writer commits while the snapshot is open */
	expect_meta(s, "committed");     /* and the snapshot does not move */
	store_read_end(s);

	assert_int_equal(store_read_begin(s), TQ_OK);
	expect_meta(s, "uncommitted");   /* a snapshot begun after the commit shows it */
	store_read_end(s);
	close_fresh(s);
}

static void a_rolled_back_write_is_never_seen(void **state)
{
	(void)state;
	struct store *s = open_fresh();
	uint64_t size = 1;
	assert_int_equal(store_begin(s), TQ_OK);
	assert_int_equal(store_event_append(s, "message.created", "t", ",IL,", "{}", 2, &size), TQ_OK);
	assert_int_equal(store_read_begin(s), TQ_OK);
	assert_int_equal(store_log_size(s, &size), TQ_OK);
	assert_int_equal(size, 0);
	store_read_end(s);
	store_rollback(s);
	assert_int_equal(store_read_begin(s), TQ_OK);
	assert_int_equal(store_log_size(s, &size), TQ_OK);
	assert_int_equal(size, 0);
	store_read_end(s);
	close_fresh(s);
}

struct reader {
	struct store *s;
	int rc;
	char seen[32];
};

static void *read_in_thread(void *arg)
{
	struct reader *r = arg;
	char *v = NULL;
	if ((r->rc = store_read_begin(r->s)))
		return NULL;
	r->rc = store_meta_get(r->s, "k", &v);
	snprintf(r->seen, sizeof r->seen, "%s", v ? v : "");
	free(v);
	store_read_end(r->s);
	return NULL;
}

static void threads_read_beside_the_writer(void **state)
{
	(void)state;
	struct store *s = open_fresh();
	struct reader rd[4];
	pthread_t th[4];
	assert_int_equal(store_begin(s), TQ_OK);
	assert_int_equal(store_meta_set(s, "k", "uncommitted"), TQ_OK);
	for (int i = 0; i < 4; i++) {
		rd[i] = (struct reader){.s = s};
		assert_int_equal(pthread_create(&th[i], NULL, read_in_thread, &rd[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0); /* done while the write is still open */
		assert_int_equal(rd[i].rc, TQ_OK);
		assert_string_equal(rd[i].seen, "committed");
	}
	assert_int_equal(store_commit(s), TQ_OK);
	close_fresh(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snapshot_ignores_the_open_write_and_stays_put_across_its_commit),
		cmocka_unit_test(a_rolled_back_write_is_never_seen),
		cmocka_unit_test(threads_read_beside_the_writer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
