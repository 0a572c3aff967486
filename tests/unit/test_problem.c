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

static void a_503_of_the_handler_keeps_its_detail_while_the_database_is_up(void **state)
{
	(void)state;
	char detail[256] = "other nodes keep writing; retry shortly";
	int err = TQ_EUNAVAIL;
	assert_int_equal(problem_status(503, &err, 0, detail, sizeof detail), 503);
	assert_int_equal(err, TQ_EUNAVAIL);
	assert_string_equal(detail, "other nodes keep writing; retry shortly");
}

static void an_unavailable_store_answers_the_database_sentence(void **state)
{
	(void)state;
	char detail[256] = "the change could not be committed";
	int err = TQ_EUNAVAIL;
	assert_int_equal(problem_status(503, &err, 1, detail, sizeof detail), 503);
	assert_int_equal(err, TQ_EUNAVAIL);
	assert_string_equal(detail, "the database is unreachable; retry shortly");
}

static void a_500_while_the_database_is_unreachable_is_a_503(void **state)
{
	(void)state;
	char detail[256] = "store failure";
	int err = TQ_EIO;
	assert_int_equal(problem_status(500, &err, 1, detail, sizeof detail), 503);
	assert_int_equal(err, TQ_EUNAVAIL);
	assert_string_equal(detail, "the database is unreachable; retry shortly");
}

static void a_500_while_the_database_is_up_stays_a_500(void **state)
{
	(void)state;
	char detail[256] = "store failure";
	int err = TQ_EIO;
	assert_int_equal(problem_status(500, &err, 0, detail, sizeof detail), 500);
	assert_int_equal(err, TQ_EIO);
	assert_string_equal(detail, "store failure");
}

static void a_client_error_stays_one_while_the_database_is_unreachable(void **state)
{
	(void)state;
	char detail[256] = "no such track";
	int err = TQ_ENOTFOUND;
	assert_int_equal(problem_status(404, &err, 1, detail, sizeof detail), 404);
	assert_int_equal(err, TQ_ENOTFOUND);
	assert_string_equal(detail, "no such track");
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
