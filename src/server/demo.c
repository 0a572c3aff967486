#define _GNU_SOURCE /* asprintf */
#include "server/demo.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "server/http.h"

const char *const demo_parties[DEMO_PARTIES] = {"IL", "SY", "TR", "RU", "US", "AZ"};

static const char *const party_names[DEMO_PARTIES] = {
	"Israel", "Syria", "Türkiye", "Russian Federation", "United States", "Azerbaijan",
};

static const char *token_of(struct demo *d, const char *party)
{
	if (strcmp(party, "admin") == 0)
		return d->admin;
	for (int i = 0; i < DEMO_PARTIES; i++)
		if (strcmp(demo_parties[i], party) == 0)
			return d->token[i];
	return "";
}

json_t *demo_call(struct demo *d, const char *party, const char *method, const char *path, const char *body)
{
	int status;
	json_t *out = NULL;
	int rc = http_local(d->app, token_of(d, party), method, path, body, &status, &out);
	if (rc || status >= 300) {
		char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
		fprintf(stderr, "tansiqd: demo seed: %s %s as %s → %d %s\n", method, path, party, status,
			text ? text : "");
		free(text);
		json_decref(out);
		return NULL;
	}
	return out;
}

int demo_post(struct demo *d, const char *party, const char *path, char *id_out, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	json_t *out = demo_call(d, party, "POST", path, body);
	free(body);
	if (!out)
		return -1;
	if (id_out)
		snprintf(id_out, APP_ID_BUFSZ, "%s", json_string_value(json_object_get(out, "id")) ?: "");
	json_decref(out);
	return 0;
}

const char *demo_time(struct demo *d, long minutes, char *buf)
{
	tqtime_format(d->now + (tq_time)minutes * 60000, buf);
	return buf;
}

/* Writes a JSON object to DIR/name with mode 0600, replacing nothing. */
static int write_secret_file(struct app *a, const char *name, const json_t *obj)
{
	char path[1200];
	char *text = json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS);
	int fd, rc = TQ_EIO;
	snprintf(path, sizeof path, "%s/%s", a->data_dir, name);
	if (!text)
		return TQ_ENOMEM;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		size_t len = strlen(text);
		if (write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0)
			rc = TQ_OK;
		close(fd);
	}
	if (rc)
		fprintf(stderr, "tansiqd: cannot write %s\n", path);
	free(text);
	return rc;
}

static int seed_cell(struct demo *d, json_t *tokens, json_t *passwords)
{
	char lower[8];
	for (int i = 0; i < DEMO_PARTIES; i++) {
		if (demo_post(d, "admin", "/v1/parties", NULL, "{\"id\":\"%s\",\"name\":\"%s\"}", demo_parties[i],
			      party_names[i]))
			return -1;
	}
	for (int i = 0; i < DEMO_PARTIES; i++) {
		uint8_t rnd[12];
		char password[32];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2base64(password, sizeof password, rnd, sizeof rnd, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		for (int k = 0; k < 3 && demo_parties[i][k]; k++)
			lower[k] = (char)(demo_parties[i][k] - 'A' + 'a'), lower[k + 1] = '\0';
		char *body = NULL;
		if (asprintf(&body, "{\"name\":\"%s\",\"party\":\"%s\",\"role\":\"operator\",\"password\":\"%s\"}", lower,
			     demo_parties[i], password) < 0)
			return -1;
		json_t *user = demo_call(d, "admin", "POST", "/v1/users", body);
		free(body);
		if (!user)
			return -1;
		snprintf(d->token[i], sizeof d->token[i], "%s", json_string_value(json_object_get(user, "token")));
		json_object_set_new(tokens, demo_parties[i], json_string(d->token[i]));
		json_object_set_new(passwords, lower, json_string(password));
		json_decref(user);
	}
	if (demo_post(d, "admin", "/v1/tracks", NULL,
		      "{\"id\":\"il-sy\",\"name\":\"Israel–Syria deconfliction (US supervision, Russian mediation)\","
		      "\"members\":[{\"party\":\"IL\",\"role\":\"principal\"},{\"party\":\"SY\",\"role\":\"principal\"},"
		      "{\"party\":\"US\",\"role\":\"supervisor\"},{\"party\":\"RU\",\"role\":\"mediator\"}]}") ||
	    demo_post(d, "admin", "/v1/tracks", NULL,
		      "{\"id\":\"tr-il\",\"name\":\"Türkiye–Israel deconfliction (hosted in Baku)\","
		      "\"members\":[{\"party\":\"TR\",\"role\":\"principal\"},{\"party\":\"IL\",\"role\":\"principal\"},"
		      "{\"party\":\"AZ\",\"role\":\"host\"}]}") ||
	    demo_post(d, "admin", "/v1/tracks", NULL,
		      "{\"id\":\"ru-il\",\"name\":\"Russia–Israel deconfliction line\","
		      "\"members\":[{\"party\":\"RU\",\"role\":\"principal\"},{\"party\":\"IL\",\"role\":\"principal\"}]}"))
		return -1;
	return 0;
}

/* Later modules add their seed functions here, in the order they must run. */
typedef int (*demo_seed_fn)(struct demo *d);
static const demo_seed_fn module_seeds[] = {
	demo_seed_zones, /* first: later seeds may refer to its conflicts */
	demo_seed_cell,
	demo_seed_hotline,
	NULL,
};

int demo_seed(struct app *a, const char *admin_token)
{
	struct demo *d = calloc(1, sizeof *d);
	json_t *tokens = json_object(), *passwords = json_object();
	int rc = TQ_EIO;
	if (!d)
		return TQ_ENOMEM;
	d->app = a;
	d->now = app_now();
	snprintf(d->admin, sizeof d->admin, "%s", admin_token);
	json_object_set_new(tokens, "admin", json_string(admin_token));
	if (seed_cell(d, tokens, passwords))
		goto done;
	for (size_t i = 0; module_seeds[i]; i++)
		if (module_seeds[i](d))
			goto done;
	if (write_secret_file(a, "demo-tokens.json", tokens) || write_secret_file(a, "demo-passwords.json", passwords))
		goto done;
	rc = TQ_OK;
done:
	json_decref(tokens);
	json_decref(passwords);
	sodium_memzero(d, sizeof *d);
	free(d);
	return rc;
}
