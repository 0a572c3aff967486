/*
 * test_cli_config — the CLI's settings file parser and per-server state
 * directory (src/cli/config.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/config.h"

static void keys_values_comments_and_blank_lines(void **state)
{
	(void)state;
	struct config c;
	int line = 0;
	assert_int_equal(config_parse("# tansiq\n\n  url = https://cell.example:8443  \n"
				      "token=tq_abc\n\ttrack = il-sy\ncacert = /etc/ca.pem\n",
				      &c, &line),
			 0);
	assert_string_equal(c.url, "https://cell.example:8443");
	assert_string_equal(c.token, "tq_abc");
	assert_string_equal(c.track, "il-sy");
	assert_string_equal(c.cacert, "/etc/ca.pem");
	config_free(&c);
	assert_null(c.url);
}

static void missing_keys_stay_null(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_parse("track = tr-il\n", &c, NULL), 0);
	assert_null(c.url);
	assert_null(c.token);
	assert_string_equal(c.track, "tr-il");
	config_free(&c);
}

static void a_later_line_wins_and_values_may_hold_equals(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_parse("token = one\ntoken = two=three\r\n", &c, NULL), 0);
	assert_string_equal(c.token, "two=three");
	config_free(&c);
}

static void unknown_key_fails_with_its_line(void **state)
{
	(void)state;
	struct config c;
	int line = 0;
	assert_int_equal(config_parse("url = http://x\n\ncolour = blue\n", &c, &line), -1);
	assert_int_equal(line, 3);
	config_free(&c);
}

static void line_without_equals_fails_with_its_line(void **state)
{
	(void)state;
	struct config c;
	int line = 0;
	assert_int_equal(config_parse("# c\nurl http://x\n", &c, &line), -1);
	assert_int_equal(line, 2);
	config_free(&c);
}

static void state_dir_is_per_host_and_port_under_xdg_state_home(void **state)
{
	(void)state;
	char out[512];
	assert_int_equal(setenv("XDG_STATE_HOME", "/srv/state", 1), 0);
	assert_int_equal(config_state_dir("http://127.0.0.1:8080", out, sizeof out), 0);
	assert_string_equal(out, "/srv/state/tansiq/127.0.0.1_8080");
	assert_int_equal(config_state_dir("https://cell.example/", out, sizeof out), 0);
	assert_string_equal(out, "/srv/state/tansiq/cell.example_443");
	/* "[::1]": brackets and colons each become one '_'. */
	assert_int_equal(config_state_dir("http://[::1]:9000", out, sizeof out), 0);
	assert_string_equal(out, "/srv/state/tansiq/___1__9000");
}

static void state_dir_falls_back_to_home_for_a_relative_xdg_path(void **state)
{
	(void)state;
	char out[512];
	assert_int_equal(setenv("XDG_STATE_HOME", "relative/state", 1), 0);
	assert_int_equal(setenv("HOME", "/home/op", 1), 0);
	assert_int_equal(config_state_dir("http://10.0.0.5:80", out, sizeof out), 0);
	assert_string_equal(out, "/home/op/.local/state/tansiq/10.0.0.5_80");
	unsetenv("XDG_STATE_HOME");
}

static void state_dir_refuses_a_too_small_buffer(void **state)
{
	(void)state;
	char out[24];
	assert_int_equal(setenv("XDG_STATE_HOME", "/srv/state", 1), 0);
	assert_int_equal(config_state_dir("http://127.0.0.1:8080", out, sizeof out), -1);
	unsetenv("XDG_STATE_HOME");
}

static void mkdirs_creates_private_nested_directories(void **state)
{
	(void)state;
	char base[] = "/tmp/tq-cli-config-XXXXXX", path[128];
	struct stat st;
	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof path, "%s/a/b/c", base);
	assert_int_equal(config_mkdirs(path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(config_mkdirs(path), 0);   /* existing: fine */
	rmdir(path);
	snprintf(path, sizeof path, "%s/a/b", base);
	rmdir(path);
	snprintf(path, sizeof path, "%s/a", base);
	rmdir(path);
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_values_comments_and_blank_lines),
		cmocka_unit_test(missing_keys_stay_null),
		cmocka_unit_test(a_later_line_wins_and_values_may_hold_equals),
		cmocka_unit_test(unknown_key_fails_with_its_line),
		cmocka_unit_test(line_without_equals_fails_with_its_line),
		cmocka_unit_test(state_dir_is_per_host_and_port_under_xdg_state_home),
		cmocka_unit_test(state_dir_falls_back_to_home_for_a_relative_xdg_path),
		cmocka_unit_test(state_dir_refuses_a_too_small_buffer),
		cmocka_unit_test(mkdirs_creates_private_nested_directories),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
