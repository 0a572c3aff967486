/*
 * cmd — the table-driven sub-command engine. See cmd.h.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/http.h"
#include "core/limits.h"
#include "core/tqtime.h"

#define INPUT_MAX_GEOMETRY ((size_t)16 * 1024 * 1024)  /* pretty-printed files are larger than the 1 MiB body */
#define INPUT_MAX_TEXT ((size_t)TQ_MAX_BODY_BYTES)
#define LIST_MAX_PAGES 100000

struct parsed {
	json_t *body;                 /* fields from options, owned */
	json_t *data;                 /* --data, owned or NULL */
	char query[HTTP_MAX_PATH];    /* "k=v&k=v" without '?' */
	const char *pos[4];
	int npos;
	const char *output;
	const char *limit, *after;
	int all;
	int stdin_used;
};

static int usage_err(const char *fmt, const char *a, const char *b)
{
	fputs("error: ", stderr);
	fprintf(stderr, fmt, a, b);
	fputs("\n", stderr);
	return CLI_EUSAGE;
}

char *cmd_read_input(const char *path, size_t cap, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, sz = 0;
	if (!f) {
		fprintf(stderr, "error: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > sz) {
			size_t nsz = sz ? sz * 2 : 8192;
			char *nb;
			if (nsz > cap + 4096 + 1)
				nsz = cap + 4096 + 1;
			nb = realloc(buf, nsz);
			if (!nb) {
				fprintf(stderr, "error: out of memory reading %s\n", path);
				goto fail;
			}
			buf = nb;
			sz = nsz;
		}
		size_t got = fread(buf + n, 1, sz - n - 1, f);
		n += got;
		if (n > cap) {
			fprintf(stderr, "error: %s is larger than %zu bytes\n", path, cap);
			goto fail;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "error: cannot read %s\n", path);
		goto fail;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	if (f != stdin)
		fclose(f);
	return buf;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return NULL;
}

void cmd_print_raw(const char *body, size_t len, int add_newline)
{
	fwrite(body, 1, len, stdout);
	if (add_newline && (len == 0 || body[len - 1] != '\n'))
		fputc('\n', stdout);
}

int cmd_parse_time(const char *flag, const char *v, char *buf)
{
	tq_time t;
	if (strncmp(v, "now", 3) == 0) {
		int64_t d = 0;
		struct timespec ts;
		if (v[3] && ((v[3] != '+' && v[3] != '-') || tqtime_duration_parse(v + 4, &d) != 0)) {
			usage_err("%s: '%s' is not now, now+DURATION or now-DURATION", flag, v);
			return -1;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		t = (tq_time)ts.tv_sec * 1000;   /* whole seconds read better */
		t += v[3] == '-' ? -d : d;
		tqtime_format(t, buf);
		return 0;
	}
	if (tqtime_parse(v, &t) != 0) {
		usage_err("%s: '%s' is not an RFC 3339 time (e.g. 2026-01-06T09:00:00Z)", flag, v);
		return -1;
	}
	/* Keep what the user wrote: the server accepts any offset. */
	snprintf(buf, TQTIME_BUFSZ, "%s", v);
	return 0;
}

/* Sets body[path] = v (takes v), creating intermediate objects. */
static int set_path(json_t *body, const char *path, json_t *v)
{
	char key[128];
	json_t *cur = body;
	for (;;) {
		const char *dot = strchr(path, '.');
		if (!dot)
			return json_object_set_new(cur, path, v);
		size_t n = (size_t)(dot - path);
		if (n >= sizeof(key)) {
			json_decref(v);
			return -1;
		}
		memcpy(key, path, n);
		key[n] = '\0';
		json_t *next = json_object_get(cur, key);
		if (!json_is_object(next)) {
			next = json_object();
			if (json_object_set_new(cur, key, next) != 0) {
				json_decref(v);
				return -1;
			}
		}
		cur = next;
		path = dot + 1;
	}
}

/* Appends v to the array at body[path], creating it. Takes v. */
static int append_path(json_t *body, const char *path, json_t *v)
{
	json_t *arr = json_path(body, path);
	if (!json_is_array(arr)) {
		arr = json_array();
		if (set_path(body, path, arr) != 0) {
			json_decref(v);
			return -1;
		}
	}
	return json_array_append_new(arr, v);
}

/* Deep merge: every field of src into dst, objects merged recursively, src wins. */
static int deep_update(json_t *dst, json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v) {
		json_t *d = json_object_get(dst, k);
		if (json_is_object(d) && json_is_object(v)) {
			if (deep_update(d, v) != 0)
				return -1;
		} else if (json_object_set(dst, k, v) != 0) {
			return -1;
		}
	}
	return 0;
}

static json_t *split_csv(const char *v)
{
	json_t *arr = json_array();
	const char *p = v;
	while (arr && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n && json_array_append_new(arr, json_stringn(p, n)) != 0) {
			json_decref(arr);
			return NULL;
		}
		p += n + (c ? 1 : 0);
	}
	return arr;
}

static json_t *load_geometry(const char *flag, const char *path)
{
	json_error_t jerr;
	char *text = cmd_read_input(path, INPUT_MAX_GEOMETRY, NULL);
	json_t *root, *g;
	if (!text)
		return NULL;
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!root) {
		fprintf(stderr, "error: %s %s: not JSON: line %d: %s\n", flag, path, jerr.line, jerr.text);
		return NULL;
	}
	g = root;
	const char *type = json_string_value(json_object_get(g, "type"));
	if (type && strcmp(type, "FeatureCollection") == 0) {
		json_t *fs = json_object_get(g, "features");
		if (json_array_size(fs) != 1) {
			fprintf(stderr, "error: %s %s: a FeatureCollection must hold exactly one feature\n",
				flag, path);
			json_decref(root);
			return NULL;
		}
		g = json_array_get(fs, 0);
		type = json_string_value(json_object_get(g, "type"));
	}
	if (type && strcmp(type, "Feature") == 0) {
		g = json_object_get(g, "geometry");
		type = json_string_value(json_object_get(g, "type"));
	}
	if (!type || !json_object_get(g, "coordinates")) {
		fprintf(stderr, "error: %s %s: not a GeoJSON geometry (need \"type\" and \"coordinates\")\n",
			flag, path);
		json_decref(root);
		return NULL;
	}
	json_incref(g);
	json_decref(root);
	return g;
}

static int parse_num(const char *flag, const char *v, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(*out))
		return usage_err("%s: '%s' is not a number", flag, v);
	return 0;
}

/* Converts one option value to JSON. Returns owned JSON, or NULL after printing. */
static json_t *convert(const struct opt_spec *o, const char *v, struct parsed *p)
{
	char tbuf[TQTIME_BUFSZ];
	double d;
	if (strcmp(v, "-") == 0 && (o->type == OT_GEOM || o->type == OT_TEXTFILE)) {
		if (p->stdin_used++) {
			usage_err("%s: standard input is already used by another option%s", o->flag, "");
			return NULL;
		}
	}
	switch (o->type) {
	case OT_STR:
	case OT_STRS: {
		json_t *j = json_string(v);
		if (!j)
			usage_err("%s: not valid UTF-8%s", o->flag, "");
		return j;
	}
	case OT_INT: {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (!*v || *end || errno) {
			usage_err("%s: '%s' is not an integer", o->flag, v);
			return NULL;
		}
		return json_integer(n);
	}
	case OT_NUM:
		if (parse_num(o->flag, v, &d) != 0)
			return NULL;
		return json_real(d);
	case OT_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
			return json_true();
		if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
			return json_false();
		usage_err("%s: '%s' is not true or false", o->flag, v);
		return NULL;
	case OT_TIME:
		if (cmd_parse_time(o->flag, v, tbuf) != 0)
			return NULL;
		return json_string(tbuf);
	case OT_DUR: {
		int64_t ms;
		if (tqtime_duration_parse(v, &ms) != 0) {
			usage_err("%s: '%s' is not an ISO 8601 duration (e.g. PT5M, P1D)", o->flag, v);
			return NULL;
		}
		return json_string(v);
	}
	case OT_GEOM:
		return load_geometry(o->flag, v);
	case OT_POINT: {
		char a[64];
		const char *c = strchr(v, ',');
		double lon, lat;
		if (!c || (size_t)(c - v) >= sizeof(a)) {
			usage_err("%s: '%s' is not LON,LAT", o->flag, v);
			return NULL;
		}
		memcpy(a, v, (size_t)(c - v));
		a[c - v] = '\0';
		if (parse_num(o->flag, a, &lon) != 0 || parse_num(o->flag, c + 1, &lat) != 0)
			return NULL;
		return json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates", lon, lat);
	}
	case OT_CSV:
		return split_csv(v);
	case OT_TO:
		return strcmp(v, "all") == 0 ? json_string("all") : split_csv(v);
	case OT_REF:
	case OT_MEMBER: {
		const char *c = strchr(v, ':');
		if (!c || c == v || !c[1]) {
			usage_err("%s: '%s' is not A:B", o->flag, v);
			return NULL;
		}
		json_t *a = json_stringn(v, (size_t)(c - v));
		return json_pack("{s:o, s:s}", o->type == OT_REF ? "type" : "party", a,
				 o->type == OT_REF ? "id" : "role", c + 1);
	}
	case OT_ACTION: {
		const char *c1 = strchr(v, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		char due[80];
		if (!c1 || !c2 || (size_t)(c2 - c1 - 1) >= sizeof(due)) {
			usage_err("%s: '%s' is not OWNER,DUE,TEXT", o->flag, v);
			return NULL;
		}
		memcpy(due, c1 + 1, (size_t)(c2 - c1 - 1));
		due[c2 - c1 - 1] = '\0';
		if (cmd_parse_time(o->flag, due, tbuf) != 0)
			return NULL;
		return json_pack("{s:o, s:s, s:s}", "owner", json_stringn(v, (size_t)(c1 - v)),
				 "due", tbuf, "text", c2 + 1);
	}
	case OT_TEXTFILE: {
		size_t n;
		char *text = cmd_read_input(v, INPUT_MAX_TEXT, &n);
		json_t *s = text ? json_stringn(text, n) : NULL;
		if (text && !s)
			fprintf(stderr, "error: %s %s: not UTF-8 text\n", o->flag, v);
		free(text);
		return s;
	}
	case OT_FLAG:
		return json_true();
	case OT_JSON: {
		json_error_t jerr;
		json_t *j;
		if (v[0] == '@') {
			char *text = cmd_read_input(v + 1, INPUT_MAX_GEOMETRY, NULL);
			if (!text)
				return NULL;
			j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
			free(text);
		} else {
			j = json_loads(v, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		}
		if (!j)
			usage_err("%s: not JSON: %s", o->flag, jerr.text);
		return j;
	}
	}
	return NULL;
}

static int add_query(struct parsed *p, const char *name, const char *v)
{
	size_t n = strlen(p->query);
	if (n + strlen(name) + 3 > sizeof(p->query))
		return CLI_EUSAGE;
	snprintf(p->query + n, sizeof(p->query) - n, "%s%s=", n ? "&" : "", name);
	if (http_append_escaped(p->query, sizeof(p->query), v, 0) != 0)
		return usage_err("query too long%s%s", "", "");
	return 0;
}

static const struct opt_spec *find_opt(const struct cmd_spec *c, const char *flag, size_t n)
{
	for (const struct opt_spec *o = c->opts; o && o->flag; o++)
		if (strlen(o->flag) == n && strncmp(o->flag, flag, n) == 0)
			return o;
	return NULL;
}

/* Option value: "--x=v" or the next argument. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq)
{
	if (eq)
		return eq + 1;
	if (*i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static int parse_args(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		      int argc, char **argv, struct parsed *p)
{
	int only_pos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
			if (p->npos >= (int)(sizeof(p->pos) / sizeof(p->pos[0])))
				return usage_err("too many arguments (at '%s')%s", a, "");
			p->pos[p->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cmd_help(stdout, g, c);
			return -1;
		}
		int r = cli_global_opt(ctx, argc, argv, &i);
		if (r < 0)
			return CLI_EUSAGE;
		if (r > 0)
			continue;
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		const char *v;
		if (n == 6 && strncmp(a, "--data", 6) == 0 && (c->method[0] == 'P' || c->flags & CMD_BODY)) {
			if (!(v = opt_value(argc, argv, &i, eq)))
				return usage_err("--data needs a value%s%s", "", "");
			struct opt_spec dopt = {"--data", "", OT_JSON, 0, NULL};
			if (strcmp(v, "-") == 0)
				v = "@-";
			if (strcmp(v, "@-") == 0 && p->stdin_used++)
				return usage_err("--data: standard input is already used%s%s", "", "");
			json_decref(p->data);
			p->data = convert(&dopt, v, p);
			if (!p->data)
				return CLI_EUSAGE;
			if (!json_is_object(p->data))
				return usage_err("--data must be a JSON object%s%s", "", "");
			continue;
		}
		if (c->flags & CMD_LIST && n == 7 && strncmp(a, "--limit", n) == 0) {
			if (!(p->limit = opt_value(argc, argv, &i, eq)))
				return usage_err("--limit needs a value%s%s", "", "");
			continue;
		}
		if (c->flags & CMD_LIST && n == 7 && strncmp(a, "--after", n) == 0) {
			if (!(p->after = opt_value(argc, argv, &i, eq)))
				return usage_err("--after needs a value%s%s", "", "");
			continue;
		}
		if (c->flags & CMD_LIST && strcmp(a, "--all") == 0) {
			p->all = 1;
			continue;
		}
		if (c->flags & CMD_RAW && (strcmp(a, "-o") == 0 || (n == 8 && !strncmp(a, "--output", 8)))) {
			if (!(p->output = opt_value(argc, argv, &i, eq)))
				return usage_err("%s needs a file name%s", a, "");
			continue;
		}
		const struct opt_spec *o = find_opt(c, a, n);
		if (!o)
			return usage_err("unknown option %s (see: tansiq %s --help)", a, g->name);
		if (o->type == OT_FLAG)
			v = "true";
		else if (!(v = opt_value(argc, argv, &i, eq)))
			return usage_err("%s needs a value%s", o->flag, "");
		json_t *j = convert(o, v, p);
		if (!j)
			return CLI_EUSAGE;
		if (o->flags & OPT_QUERY) {
			int qr = add_query(p, o->field, json_is_string(j) ? json_string_value(j) : v);
			json_decref(j);
			if (qr)
				return CLI_EUSAGE;
			continue;
		}
		int repeat = o->type == OT_REF || o->type == OT_MEMBER || o->type == OT_STRS ||
			     o->type == OT_ACTION;
		if ((repeat ? append_path(p->body, o->field, j) : set_path(p->body, o->field, j)) != 0)
			return CLI_ELOCAL;
	}
	return 0;
}

/* Substitutes {t} and {id} in the template. */
static int build_path(const struct cli_ctx *ctx, const struct cmd_spec *c, const char *id,
		      const char *query, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *t = c->path; *t; t++) {
		const char *val = NULL;
		if (strncmp(t, "{t}", 3) == 0)
			val = ctx->track, t += 2;
		else if (strncmp(t, "{id}", 4) == 0)
			val = id, t += 3;
		if (val) {
			if (!*val || !strcmp(val, ".") || !strcmp(val, ".."))
				return usage_err("'%s' is not a valid id%s", val, "");
			if (http_append_escaped(out, cap, val, 1) != 0)
				return usage_err("id too long%s%s", "", "");
			continue;
		}
		size_t n = strlen(out);
		if (n + 2 > cap)
			return CLI_EUSAGE;
		out[n] = *t;
		out[n + 1] = '\0';
	}
	if (query && *query) {
		size_t n = strlen(out);
		if (n + strlen(query) + 2 > cap)
			return usage_err("query too long%s%s", "", "");
		snprintf(out + n, cap - n, "%s%s", strchr(out, '?') ? "&" : "?", query);
	}
	return 0;
}

static int print_result(const struct cli_ctx *ctx, const struct cmd_spec *c, const struct http_resp *r)
{
	if (ctx->json) {
		if (r->len)
			cmd_print_raw(r->body, r->len, 1);
		return CLI_OK;
	}
	if (r->len == 0 || r->status == 204) {
		puts("ok");
		return CLI_OK;
	}
	json_t *j = http_resp_json(r);
	if (!j)
		return CLI_ESERVER;
	if (c->flags & CMD_LIST && json_is_array(json_object_get(j, "items"))) {
		static const struct table_col fallback[] = {{"ID", "id"}, {"STATUS", "status"}, {NULL, NULL}};
		table_print(stdout, json_object_get(j, "items"), c->cols ? c->cols : fallback);
	} else if (json_is_array(json_object_get(j, "conflicts")) && json_object_size(j) == 1) {
		table_show(stdout, j);      /* check: only conflicts */
	} else {
		table_show(stdout, j);
	}
	json_decref(j);
	return CLI_OK;
}

/* GET every page of a list; prints the merged {"items", "next": null}. */
static int run_all(const struct cli_ctx *ctx, const struct cmd_spec *c, const char *base_query)
{
	json_t *all = json_array();
	char path[HTTP_MAX_PATH], query[HTTP_MAX_PATH];
	char *cursor = NULL;
	int ret = CLI_ELOCAL;
	for (int page = 0; all; page++) {
		struct http_resp r;
		if (page >= LIST_MAX_PAGES) {
			fprintf(stderr, "error: more than %d pages; stopping\n", LIST_MAX_PAGES);
			ret = CLI_ESERVER;
			goto fail;
		}
		snprintf(query, sizeof(query), "%s", base_query);
		if (cursor) {
			size_t n = strlen(query);
			snprintf(query + n, sizeof(query) - n, "%safter=", n ? "&" : "");
			if (http_append_escaped(query, sizeof(query), cursor, 0) != 0)
				goto fail;
		}
		if ((ret = build_path(ctx, c, NULL, query, path, sizeof(path))) != 0)
			goto fail;
		ret = http_request(ctx, "GET", path, NULL, &r);
		if (ret != CLI_OK) {
			http_resp_free(&r);
			goto fail;
		}
		json_t *j = http_resp_json(&r);
		http_resp_free(&r);
		ret = CLI_ESERVER;
		if (!j || !json_is_array(json_object_get(j, "items"))) {
			json_decref(j);
			goto fail;
		}
		json_array_extend(all, json_object_get(j, "items"));
		const char *next = json_string_value(json_object_get(j, "next"));
		if (next && cursor && strcmp(next, cursor) == 0) {
			fprintf(stderr, "error: the server repeated cursor; stopping\n");
			json_decref(j);
			goto fail;
		}
		free(cursor);
		cursor = next ? strdup(next) : NULL;
		json_decref(j);
		if (!cursor)
			break;
	}
	ret = CLI_ELOCAL;
	if (!all)
		goto fail;
	if (ctx->json) {
		json_t *out = json_pack("{s:O, s:n}", "items", all, "next");
		if (!out)
			goto fail;
		json_dumpf(out, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		json_decref(out);
	} else {
		static const struct table_col fallback[] = {{"ID", "id"}, {NULL, NULL}};
		table_print(stdout, all, c->cols ? c->cols : fallback);
	}
	ret = CLI_OK;
fail:
	free(cursor);
	json_decref(all);
	return ret;
}

int cmd_run(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c, int argc,
	    char **argv)
{
	struct parsed p;
	struct http_resp r = {0};
	char path[HTTP_MAX_PATH];
	int ret;

	memset(&p, 0, sizeof(p));
	p.body = json_object();
	if (!p.body)
		return CLI_ELOCAL;
	ret = parse_args(ctx, g, c, argc, argv, &p);
	if (ret < 0) {              /* --help */
		ret = CLI_OK;
		goto done;
	}
	if (ret)
		goto done;
	ret = CLI_EUSAGE;
	if ((c->flags & CMD_ID) && p.npos != 1) {
		usage_err("%s %s needs exactly one ID (see --help)", g->name, c->name);
		goto done;
	}
	if (!(c->flags & CMD_ID) && p.npos) {
		usage_err("unexpected argument '%s'%s", p.pos[0], "");
		goto done;
	}
	if ((c->flags & CMD_TRACK) && !ctx->track) {
		usage_err("this command needs a track: --track TRACK (or TANSIQ_TRACK)%s%s", "", "");
		goto done;
	}
	if (p.data) {
		json_t *merged = p.data;
		if (deep_update(merged, p.body) != 0) {
			ret = CLI_ELOCAL;
			goto done;
		}
		json_decref(p.body);
		p.body = merged;
		p.data = NULL;
	}
	int missing = 0;
	for (const struct opt_spec *o = c->opts; o && o->flag; o++) {
		if ((o->flags & OPT_REQ) && !json_path(p.body, o->field)) {
			usage_err("missing %s (required)%s", o->flag, "");
			missing++;
		}
	}
	if (missing)
		goto done;
	if (p.limit && add_query(&p, "limit", p.limit))
		goto done;
	if (p.all) {
		if (p.after && add_query(&p, "after", p.after))
			goto done;
		ret = run_all(ctx, c, p.query);
		goto done;
	}
	if (p.after && add_query(&p, "after", p.after))
		goto done;
	if (build_path(ctx, c, p.npos ? p.pos[0] : NULL, p.query, path, sizeof(path)) != 0)
		goto done;
	int send = (c->flags & CMD_BODY) || json_object_size(p.body) > 0;
	ret = http_request(ctx, c->method, path, send ? p.body : NULL, &r);
	if (ret != CLI_OK)
		goto done;
	if (c->flags & CMD_RAW) {
		FILE *f = p.output && strcmp(p.output, "-") ? fopen(p.output, "wb") : stdout;
		if (!f) {
			fprintf(stderr, "error: cannot write %s: %s\n", p.output, strerror(errno));
			ret = CLI_ELOCAL;
			goto done;
		}
		if (fwrite(r.body, 1, r.len, f) != r.len)
			ret = CLI_ELOCAL;
		if (f != stdout && fclose(f) != 0)
			ret = CLI_ELOCAL;
		if (ret != CLI_OK)
			fprintf(stderr, "error: cannot write %s\n", p.output);
		goto done;
	}
	ret = print_result(ctx, c, &r);
	if (ret == CLI_OK && !ctx->json && (c->flags & CMD_LIST)) {
		json_t *j = json_loadb(r.body, r.len, 0, NULL);
		const char *next = json_string_value(json_object_get(j, "next"));
		if (next) {
			fputs("next: --after ", stderr);
			out_safe(stderr, next);
			fputs("  (or --all)\n", stderr);
		}
		json_decref(j);
	}
done:
	http_resp_free(&r);
	json_decref(p.body);
	json_decref(p.data);
	return ret;
}
