/*
 * static — the console's files, served by tansiqd itself (no token needed):
 *
 *   GET /                      <web>/index.html
 *   GET /app/<path>            <web>/app/<path>
 *   GET /vendor/<pkg>/<path>   <web>/../node_modules/<pkg>/<path>, only the
 *                              files of an allow-list (Leaflet, milsymbol,
 *                              topojson-client, world-atlas)
 *
 * Hostile input: a path with "..", an empty or hidden segment, a backslash or
 * a character outside [A-Za-z0-9._/-] is 404; so is an extension outside the
 * allow-list (html css js mjs json png svg ico). Files are regular files opened
 * without following a final symlink, at most STATIC_MAX_FILE_BYTES, read whole;
 * every answer carries its Content-Type, a strict Content-Security-Policy and
 * X-Content-Type-Options: nosniff (added by http.c to every answer).
 */
#ifndef TQ_STATIC_H
#define TQ_STATIC_H

#include "server/http.h"

#define STATIC_MAX_FILE_BYTES (4 * 1024 * 1024)

/* The Content-Security-Policy of every static answer. Leaflet and milsymbol
 * set inline styles, hence style-src 'unsafe-inline'; scripts only from self. */
#define STATIC_CSP                                                                                          \
	"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "  \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "     \
	"frame-ancestors 'none'"

/* Sets the web root (NULL: the compile-time default TANSIQ_SOURCE_ROOT/web).
 * node_modules is looked for beside it (<web>/../node_modules). Borrows web
 * for the life of the server. Call once at start-up, before http_start. */
void static_configure(const char *web);

/* 1 when rel (a path relative to a root, no leading slash) is safe to open:
 * non-empty segments of [A-Za-z0-9._-] not starting with '.', joined by '/'. */
int static_path_ok(const char *rel);

/* The Content-Type for path's extension, or NULL when it is not served. */
const char *static_content_type(const char *path);

extern const struct route api_static_routes[];

#endif
