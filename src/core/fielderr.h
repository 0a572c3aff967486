/*
 * fielderr — which input field was wrong and why, for problem+json errors[].
 * Parsers fill one of these next to a negative tq_err; the HTTP layer turns
 * it into {"field": ..., "message": ...}. Messages are shown to users.
 */
#ifndef TQ_FIELDERR_H
#define TQ_FIELDERR_H

#include <stdarg.h>
#include <stdio.h>

struct tq_field_error {
	char field[128];
	char message[256];
};

/* Fills e (which may be NULL: the caller does not want details). */
static inline void __attribute__((format(printf, 3, 4)))
tq_field_error_set(struct tq_field_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return;
	snprintf(e->field, sizeof e->field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

#define TQ_FIELD_ERROR(e, f, ...) tq_field_error_set((e), (f), __VA_ARGS__)

#endif
