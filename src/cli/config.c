/*
 * config — settings file and state directory. See config.h.
 */
#include "cli/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <sodium.h>

void config_free(struct config *c)
{
	if (c->token)
		sodium_memzero(c->token, strlen(c->token));
	free(c->url);
	free(c->token);
	free(c->track);
	free(c->cacert);
	memset(c, 0, sizeof(*c));
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int config_parse(const char *text, struct config *out, int *line)
{
	char *copy = strdup(text), *save = NULL, *l;
	int ln = 0, ret = -1;
	memset(out, 0, sizeof(*out));
	if (!copy)
		return -1;
	/* strtok_r skips empty lines, so count lines by hand. */
	for (char *p = copy; p; p = l) {
		l = strchr(p, '\n');
		if (l)
			*l++ = '\0';
		ln++;
		char *s = trim(p);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq)
			goto fail;
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		char **dst = !strcmp(key, "url") ? &out->url : !strcmp(key, "token") ? &out->token
			   : !strcmp(key, "track") ? &out->track : !strcmp(key, "cacert") ? &out->cacert : NULL;
		if (!dst)
			goto fail;
		free(*dst);
		if (!(*dst = strdup(val)))
			goto fail;
	}
	(void)save;
	ret = 0;
fail:
	if (line)
		*line = ln;
	if (copy) {
		sodium_memzero(copy, strlen(text));
		free(copy);
	}
	return ret;
}

static int base_dir(const char *xdg_var, const char *home_sub, char *out, size_t cap)
{
	const char *x = getenv(xdg_var), *home = getenv("HOME");
	int n;
	if (x && x[0] == '/')
		n = snprintf(out, cap, "%s/tansiq", x);
	else if (home && *home)
		n = snprintf(out, cap, "%s/%s/tansiq", home, home_sub);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int config_load(struct config *out)
{
	char path[4096];
	char buf[CONFIG_MAX_BYTES + 1];
	struct stat st;
	FILE *f;
	int line = 0;
	memset(out, 0, sizeof(*out));
	if (base_dir("XDG_CONFIG_HOME", ".config", path, sizeof(path) - 8) != 0)
		return 0;
	strcat(path, "/config");
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT || errno == ENOTDIR ? 0 : (fprintf(stderr, "error: cannot read %s: %s\n", path, strerror(errno)), -1);
	size_t n = fread(buf, 1, sizeof(buf), f);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, "warning: %s is readable by others; it may hold a token (chmod 600)\n", path);
	fclose(f);
	if (n > CONFIG_MAX_BYTES) {
		fprintf(stderr, "error: %s is larger than %d bytes\n", path, CONFIG_MAX_BYTES);
		return -1;
	}
	buf[n] = '\0';
	int r = config_parse(buf, out, &line);
	sodium_memzero(buf, n);
	if (r != 0) {
		fprintf(stderr, "error: %s line %d: expected 'url|token|track|cacert = value'\n", path, line);
		return -1;
	}
	return 0;
}

int config_state_dir(const char *url, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int ret = -1;
	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		fprintf(stderr, "error: cannot parse the server URL\n");
		goto fail;
	}
	if (base_dir("XDG_STATE_HOME", ".local/state", out, cap) != 0) {
		fprintf(stderr, "error: neither XDG_STATE_HOME nor HOME is set\n");
		goto fail;
	}
	size_t n = strlen(out);
	/* One safe path component per server: IPv6 brackets and colons become '_'. */
	if (n + strlen(host) + strlen(port) + 3 > cap)
		goto fail;
	out[n++] = '/';
	for (const char *p = host; *p; p++)
		out[n++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '-') ? *p : '_';
	out[n++] = '_';
	strcpy(out + n, port);
	ret = 0;
fail:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}

int config_mkdirs(const char *path)
{
	char tmp[4096];
	if (strlen(path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
