/*
 * static — the console's files (see static.h). The routes are public and take
 * no lock: reading a file never waits for the store, and the store never
 * waits for a file.
 */
#include "server/static.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TANSIQ_SOURCE_ROOT
#define TANSIQ_SOURCE_ROOT "."
#endif

/* Set once at start-up, before any request thread exists; read-only after. */
static const char *static_web = TANSIQ_SOURCE_ROOT "/web";

/* The only files of node_modules the console may load: "<pkg>/<path>". */
static const char *const vendor_files[] = {
	"leaflet/dist/leaflet.js",
	"leaflet/dist/leaflet.css",
	"leaflet/dist/images/layers.png",
	"leaflet/dist/images/layers-2x.png",
	"leaflet/dist/images/marker-icon.png",
	"leaflet/dist/images/marker-icon-2x.png",
	"leaflet/dist/images/marker-shadow.png",
	"milsymbol/dist/milsymbol.js",
	"mgrs/dist/mgrs.min.js",
	"topojson-client/dist/topojson-client.js",
	"topojson-client/dist/topojson-client.min.js",
	"world-atlas/countries-110m.json",
	"world-atlas/countries-50m.json",
	NULL,
};

static const struct {
	const char *ext, *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"},
	{".json", "application/json; charset=utf-8"},
	{".png", "image/png"},
	{".svg", "image/svg+xml"},
	{".ico", "image/x-icon"},
	{NULL, NULL},
};

void static_configure(const char *web)
{
	if (web)
		static_web = web;
}

int static_path_ok(const char *rel)
{
	const char *seg = rel;
	if (!rel || !*rel)
		return 0;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			/* empty segment ("a//b", trailing slash) or hidden/dot segment (".", "..", ".git") */
			if (p == seg || *seg == '.')
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
			continue;
		}
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
}

const char *static_content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (!dot || (slash && dot < slash))
		return NULL;
	for (size_t i = 0; content_types[i].ext; i++)
		if (strcmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return NULL;
}

/* Reads the regular file at path whole. Returns owned in *out; TQ_ENOTFOUND
 * for anything that is not a readable regular file within the size cap. */
static int read_whole(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	*out = NULL;
	*len = 0;
	if (fd < 0)
		return TQ_ENOTFOUND;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX_FILE_BYTES)
		goto fail;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = got;
	return TQ_OK;
fail:
	free(buf);
	close(fd);
	return TQ_ENOTFOUND;
}

/* Answers the file root/rel (rel already checked by the caller). */
static int serve_file(struct req *r, const char *root, const char *rel)
{
	char path[1024];
	const char *type = static_content_type(rel);
	char *data;
	size_t len;
	if (!type || !static_path_ok(rel))
		return req_fail(r, TQ_ENOTFOUND, "no such file");
	if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path)
		return req_fail(r, TQ_ENOTFOUND, "no such file");
	if (read_whole(path, &data, &len))
		return req_fail(r, TQ_ENOTFOUND, "no such file");
	r->response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r->response) {
		free(data);
		return req_fail(r, TQ_ENOMEM, "out of memory");
	}
	MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r->response, "Content-Security-Policy", STATIC_CSP);
	MHD_add_response_header(r->response, "Referrer-Policy", "no-referrer");
	r->status = 200;
	return TQ_OK;
}

static int static_index(struct req *r)
{
	return serve_file(r, static_web, "index.html");
}

static int static_app(struct req *r)
{
	char root[1024];
	snprintf(root, sizeof root, "%s/app", static_web);
	return serve_file(r, root, r->param[0]);
}

static int static_vendor(struct req *r)
{
	char want[512], root[1024];
	const char *pkg = r->param[0], *rel = r->param[1];
	if ((size_t)snprintf(want, sizeof want, "%s/%s", pkg, rel) >= sizeof want)
		return req_fail(r, TQ_ENOTFOUND, "no such file");
	for (size_t i = 0; vendor_files[i]; i++) {
		if (strcmp(vendor_files[i], want) == 0) {
			snprintf(root, sizeof root, "%s/../node_modules", static_web);
			return serve_file(r, root, want);
		}
	}
	return req_fail(r, TQ_ENOTFOUND, "no such file");
}

const struct route api_static_routes[] = {
	{"GET", "/", static_index, ROUTE_PUBLIC | ROUTE_NOLOCK},
	{"GET", "/app/*", static_app, ROUTE_PUBLIC | ROUTE_NOLOCK},
	{"GET", "/vendor/:pkg/*", static_vendor, ROUTE_PUBLIC | ROUTE_NOLOCK},
	{NULL, NULL, NULL, 0},
};
