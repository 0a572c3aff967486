/* problem (src/server/problem.h): which failures a database outage turns into
 * a 503 with the database sentence, and which keep the handler's own detail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/tqerr.h"
#include "server/problem.h"

#define DB "the database is unreachable; retry shortly"

/* One failure through problem_status: what the handler set, then what is answered. */
static void expect(int status, int err, int store_down, const char *detail, int want_status, int want_err,
		   const char *want_detail)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", detail);
	assert_int_equal(problem_status(status, &err, store_down, buf, sizeof buf), want_status);
	assert_int_equal(err, want_err);
	assert_string_equal(buf, want_detail);
}

static void a_503_of_the_handler_keeps_its_detail_while_the_database_is_up(void **state)
{
	(void)state;
	expect(503, TQ_EUNAVAIL, 0, "other nodes keep writing; retry shortly", 503, TQ_EUNAVAIL,
	       "other nodes keep writing; retry shortly");
}

static void an_unavailable_store_answers_the_database_sentence(void **state)
{
	(void)state;
	expect(503, TQ_EUNAVAIL, 1, "the change could not be committed", 503, TQ_EUNAVAIL, DB);
}

static void a_500_while_the_database_is_unreachable_is_a_503(void **state)
{
	(void)state;
	expect(500, TQ_EIO, 1, "store failure", 503, TQ_EUNAVAIL, DB);
}

static void a_500_while_the_database_is_up_stays_a_500(void **state)
{
	(void)state;
	expect(500, TQ_EIO, 0, "store failure", 500, TQ_EIO, "store failure");
}

static void a_client_error_stays_one_while_the_database_is_unreachable(void **state)
{
	(void)state;
	expect(404, TQ_ENOTFOUND, 1, "no such track", 404, TQ_ENOTFOUND, "no such track");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_503_of_the_handler_keeps_its_detail_while_the_database_is_up),
		cmocka_unit_test(an_unavailable_store_answers_the_database_sentence),
		cmocka_unit_test(a_500_while_the_database_is_unreachable_is_a_503),
		cmocka_unit_test(a_500_while_the_database_is_up_stays_a_500),
		cmocka_unit_test(a_client_error_stays_one_while_the_database_is_unreachable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
