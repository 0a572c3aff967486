/*
 * table — human-readable output of server objects.
 *
 * Everything the server sends is untrusted text: control characters (C0, DEL,
 * C1) are shown escaped so that no answer can move the cursor or retitle the
 * terminal. Columns are addressed by dotted paths into each object
 * ("window.start", "created_by.party"); missing values print as "-".
 */
#ifndef TQ_CLI_TABLE_H
#define TQ_CLI_TABLE_H

#include <stdio.h>
#include <jansson.h>

struct table_col {
	const char *header;
	const char *path;    /* dotted path into the object */
};

/* Writes s with control characters escaped as \xNN. */
void out_safe(FILE *f, const char *s);

/* Looks up a dotted path ("a.b.c") in obj. Returns borrowed or NULL. */
json_t *json_path(const json_t *obj, const char *path);

/* Renders one value in a single line into buf (capacity cap, >= 4):
 * strings as-is, numbers, true/false, arrays of scalars joined by ",",
 * objects as k=v, geometries as "Polygon(5 pts)". Truncates with "…". */
void table_cell(const json_t *v, char *buf, size_t cap);

/* Prints items (a JSON array of objects) as aligned columns, one row each.
 * cols ends with a {NULL, NULL} entry. */
void table_print(FILE *f, const json_t *items, const struct table_col *cols);

/* Prints one object as "key: value" lines, nested objects flattened with
 * dotted keys; a "conflicts" array is printed as its own table after. */
void table_show(FILE *f, const json_t *obj);

/* The columns used for conflicts wherever they appear. */
extern const struct table_col table_conflict_cols[];

#endif
