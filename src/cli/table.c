/*
 * table — human-readable output. See table.h.
 */
#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

#define CELL_MAX 256     /* a table cell is at most this many bytes */
#define TABLE_MAX_COLS 16

const struct table_col table_conflict_cols[] = {
	{"ID", "id"}, {"KIND", "kind"}, {"SEVERITY", "severity"}, {"STATUS", "status"},
	{"PARTIES", "parties"}, {"ACKS", "acks"}, {"SUBJECTS", "subjects"}, {NULL, NULL},
};

void out_safe(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p; p++) {
		/* C0 and DEL, and C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F). */
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			fprintf(f, "\\u%04x", p[1]);
			p++;
		} else {
			fputc(*p, f);
		}
	}
}

json_t *json_path(const json_t *obj, const char *path)
{
	char key[128];
	const json_t *cur = obj;
	while (cur && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		cur = json_object_get(cur, key);
		path += n + (dot ? 1 : 0);
	}
	return (json_t *)cur;
}

struct cellbuf {
	char *buf;
	size_t cap, len;
	int full;
};

static void cb_put(struct cellbuf *c, const char *s)
{
	size_t n = strlen(s);
	if (c->full)
		return;
	if (c->len + n + 1 > c->cap) {
		/* Keep room for "…" (3 bytes) and NUL; never cut inside a UTF-8 sequence. */
		size_t keep = c->cap > 4 ? c->cap - 4 - c->len : 0;
		if (keep > n)
			keep = n;
		while (keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep--;
		memcpy(c->buf + c->len, s, keep);
		c->len += keep;
		memcpy(c->buf + c->len, "\xe2\x80\xa6", 4);
		c->len += 3;
		c->full = 1;
		return;
	}
	memcpy(c->buf + c->len, s, n + 1);
	c->len += n;
}

static size_t count_positions(const json_t *coords, int depth)
{
	if (depth > 4 || !json_is_array(coords))
		return 0;
	if (json_array_size(coords) > 0 && json_is_number(json_array_get(coords, 0)))
		return 1;
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(coords, i, e) n += count_positions(e, depth + 1);
	return n;
}

static void render(struct cellbuf *c, const json_t *v, int depth)
{
	char num[64];
	size_t i;
	const char *k;
	json_t *e;
	switch (json_typeof(v)) {
	case JSON_STRING:
		cb_put(c, json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		cb_put(c, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		cb_put(c, num);
		break;
	case JSON_TRUE: cb_put(c, "true"); break;
	case JSON_FALSE: cb_put(c, "false"); break;
	case JSON_NULL: cb_put(c, "-"); break;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			cb_put(c, "-");
			break;
		}
		json_array_foreach(v, i, e) {
			if (i)
				cb_put(c, ",");
			if (json_is_object(e) && depth < 3) {
				/* {party, role} → "IL:principal" */
				size_t j = 0;
				json_t *f;
				json_object_foreach(e, k, f) {
					if (json_is_object(f) || json_is_array(f))
						continue;
					if (j++)
						cb_put(c, ":");
					render(c, f, depth + 1);
				}
			} else if (depth < 3) {
				render(c, e, depth + 1);
			}
		}
		break;
	case JSON_OBJECT: {
		const char *type = json_string_value(json_object_get(v, "type"));
		const json_t *coords = json_object_get(v, "coordinates");
		if (type && coords) {
			snprintf(num, sizeof(num), "(%zu pts)", count_positions(coords, 0));
			cb_put(c, type);
			cb_put(c, num);
			break;
		}
		size_t j = 0;
		json_object_foreach((json_t *)v, k, e) {
			if (j++)
				cb_put(c, " ");
			cb_put(c, k);
			cb_put(c, "=");
			if (depth < 3)
				render(c, e, depth + 1);
		}
		if (!j)
			cb_put(c, "-");
		break;
	}
	}
}

void table_cell(const json_t *v, char *buf, size_t cap)
{
	struct cellbuf c = {buf, cap, 0, 0};
	buf[0] = '\0';
	if (!v)
		cb_put(&c, "-");
	else
		render(&c, v, 0);
}

/* Display width of a UTF-8 string, counting code points (good enough for
 * Latin, Arabic, Hebrew and Cyrillic; wide CJK glyphs are rare here). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void table_print(FILE *f, const json_t *items, const struct table_col *cols)
{
	size_t ncols = 0, rows = json_array_size(items);
	size_t w[TABLE_MAX_COLS];
	char cell[CELL_MAX];
	while (cols[ncols].header && ncols < TABLE_MAX_COLS)
		ncols++;
	for (size_t j = 0; j < ncols; j++)
		w[j] = width(cols[j].header);
	/* Two passes over the rows: widths first, then printing. */
	for (size_t r = 0; r < rows; r++) {
		for (size_t j = 0; j < ncols; j++) {
			table_cell(json_path(json_array_get(items, r), cols[j].path), cell, sizeof(cell));
			size_t cw = width(cell);
			if (cw > w[j])
				w[j] = cw;
		}
	}
	for (size_t j = 0; j < ncols; j++)
		fprintf(f, "%s%-*s", j ? "  " : "", j + 1 < ncols ? (int)w[j] : 0, cols[j].header);
	fputc('\n', f);
	for (size_t r = 0; r < rows; r++) {
		for (size_t j = 0; j < ncols; j++) {
			table_cell(json_path(json_array_get(items, r), cols[j].path), cell, sizeof(cell));
			if (j)
				fputs("  ", f);
			out_safe(f, cell);
			if (j + 1 < ncols)
				for (size_t pad = width(cell); pad < w[j]; pad++)
					fputc(' ', f);
		}
		fputc('\n', f);
	}
}

static void show_rec(FILE *f, const json_t *obj, const char *prefix, int depth)
{
	const char *k;
	json_t *v;
	char cell[CELL_MAX * 4];
	json_object_foreach((json_t *)obj, k, v) {
		char key[256];
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (depth == 0 && strcmp(k, "conflicts") == 0 && json_is_array(v))
			continue;
		if (json_is_object(v) && !json_object_get(v, "coordinates") && depth < 3 &&
		    json_object_size(v) > 0) {
			show_rec(f, v, key, depth + 1);
			continue;
		}
		table_cell(v, cell, sizeof(cell));
		out_safe(f, key);
		fputs(": ", f);
		out_safe(f, cell);
		fputc('\n', f);
	}
}

void table_show(FILE *f, const json_t *obj)
{
	if (!json_is_object(obj)) {
		char cell[CELL_MAX];
		table_cell(obj, cell, sizeof(cell));
		out_safe(f, cell);
		fputc('\n', f);
		return;
	}
	show_rec(f, obj, "", 0);
	const json_t *conf = json_object_get(obj, "conflicts");
	if (json_is_array(conf)) {
		if (json_array_size(conf) == 0) {
			fputs("conflicts: none\n", f);
		} else {
			fprintf(f, "conflicts: %zu\n", json_array_size(conf));
			table_print(f, conf, table_conflict_cols);
		}
	}
}
