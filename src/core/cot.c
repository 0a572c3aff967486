#define _GNU_SOURCE /* memmem */
#include "core/cot.h"

#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (86400LL * 1000)
#define YEAR_MS (365 * DAY_MS)
/* Deletions and pongs go stale quickly, as TAK servers send them. */
#define SHORT_STALE_MS (20 * 1000)

/* Colours, ARGB as TAK writes them (a signed 32-bit decimal). docs/tak.md. */
#define ARGB_OWN 0xFF0000FFu          /* blue: the viewer's party (f) */
#define ARGB_OTHER 0xFF00C000u        /* green: another party (n) */
#define ARGB_DEMILITARIZED 0xFFFFFFFFu
#define ARGB_LIMITATION 0xFFFFFF00u
#define ARGB_PROTECTED 0xFF00FFFFu
#define ARGB_AIRSPACE 0xFFFF00FFu
#define ARGB_ACTIVITY 0xFFFF8000u
#define ARGB_CRITICAL 0xFFFF0000u
#define ARGB_WARNING 0xFFFFBF00u
#define FILL_ALPHA 0x40000000u

/* ---- output buffer ------------------------------------------------------------ */

void cot_buf_free(struct cot_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int buf_put(struct cot_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *grown = realloc(b->data, cap);
		if (!grown)
			return TQ_ENOMEM;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return TQ_OK;
}

static int buf_printf(struct cot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(struct cot_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return TQ_EINTERNAL;
	if ((size_t)n < sizeof small)
		return buf_put(b, small, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (!big)
		return TQ_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = buf_put(b, big, (size_t)n);
	free(big);
	return rc;
}

/* XML-escapes s into an attribute value or text (both quotes escaped, so one
 * function serves both). Control characters other than tab/newline are not
 * allowed in XML 1.0 and are dropped. */
static int buf_esc(struct cot_buf *b, const char *s)
{
	int rc = TQ_OK;
	for (; s && *s && rc == TQ_OK; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': rc = buf_put(b, "&amp;", 5); break;
		case '<': rc = buf_put(b, "&lt;", 4); break;
		case '>': rc = buf_put(b, "&gt;", 4); break;
		case '"': rc = buf_put(b, "&quot;", 6); break;
		case '\'': rc = buf_put(b, "&apos;", 6); break;
		default:
			if (c < 0x20 && c != '\t' && c != '\n')
				break;
			rc = buf_put(b, (const char *)&c, 1);
		}
	}
	return rc;
}

/* ---- small readers of the object JSON ------------------------------------------ */

static const char *str_at(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *str_or(const char *s, const char *dflt)
{
	return s && s[0] ? s : dflt;
}

static int32_t argb(uint32_t v)
{
	return (int32_t)v;
}

static tq_time time_at(const json_t *o, const char *k, tq_time dflt)
{
	tq_time t;
	const char *s = str_at(o, k);
	return s && tqtime_parse(s, &t) == TQ_OK ? t : dflt;
}

/* ---- geometry → parts ------------------------------------------------------------ */

enum part_kind { PART_POINT, PART_LINE, PART_RING };
struct part {
	enum part_kind kind;
	const json_t *coords; /* Point: [lon,lat]; LINE/RING: [[lon,lat],…] */
};
struct parts {
	struct part p[COT_PARTS_MAX];
	size_t n;
};

static int position_ok(const json_t *pos)
{
	return json_is_array(pos) && json_array_size(pos) >= 2 && json_is_number(json_array_get(pos, 0)) &&
	       json_is_number(json_array_get(pos, 1));
}

static int positions_ok(const json_t *arr, size_t min)
{
	size_t i;
	json_t *p;
	if (!json_is_array(arr) || json_array_size(arr) < min)
		return 0;
	json_array_foreach(arr, i, p) if (!position_ok(p)) return 0;
	return 1;
}

static int part_add(struct parts *ps, enum part_kind k, const json_t *coords)
{
	if (ps->n >= COT_PARTS_MAX)
		return TQ_OK; /* further parts are not drawn; documented limit */
	ps->p[ps->n].kind = k;
	ps->p[ps->n].coords = coords;
	ps->n++;
	return TQ_OK;
}

/* Polygons contribute their exterior ring only: CoT shapes have no holes. */
static int geometry_parts(const json_t *g, struct parts *ps, int depth)
{
	const char *type = str_at(g, "type");
	const json_t *c = json_object_get(g, "coordinates");
	size_t i;
	json_t *e;
	if (!type || depth > 2)
		return TQ_EINVALID;
	if (!strcmp(type, "Point"))
		return position_ok(c) ? part_add(ps, PART_POINT, c) : TQ_EINVALID;
	if (!strcmp(type, "LineString"))
		return positions_ok(c, 2) ? part_add(ps, PART_LINE, c) : TQ_EINVALID;
	if (!strcmp(type, "Polygon")) {
		const json_t *ring = json_array_get(c, 0);
		return positions_ok(ring, 4) ? part_add(ps, PART_RING, ring) : TQ_EINVALID;
	}
	if (!strcmp(type, "MultiPoint") || !strcmp(type, "MultiLineString") || !strcmp(type, "MultiPolygon")) {
		if (!json_is_array(c))
			return TQ_EINVALID;
		json_array_foreach(c, i, e) {
			int rc;
			if (type[5] == 'P' && type[6] == 'o' && type[7] == 'i')
				rc = position_ok(e) ? part_add(ps, PART_POINT, e) : TQ_EINVALID;
			else if (type[5] == 'L')
				rc = positions_ok(e, 2) ? part_add(ps, PART_LINE, e) : TQ_EINVALID;
			else
				rc = positions_ok(json_array_get(e, 0), 4) ? part_add(ps, PART_RING, json_array_get(e, 0))
									   : TQ_EINVALID;
			if (rc)
				return rc;
		}
		return TQ_OK;
	}
	if (!strcmp(type, "GeometryCollection")) {
		json_array_foreach(json_object_get(g, "geometries"), i, e) {
			int rc = geometry_parts(e, ps, depth + 1);
			if (rc)
				return rc;
		}
		return TQ_OK;
	}
	return TQ_EINVALID;
}

static double lon_of(const json_t *pos)
{
	return json_number_value(json_array_get(pos, 0));
}

static double lat_of(const json_t *pos)
{
	return json_number_value(json_array_get(pos, 1));
}

/* ---- event skeleton ------------------------------------------------------------------ */

static int event_open(struct cot_buf *b, const char *uid, const char *type, tq_time now, tq_time start,
		      tq_time stale, double lat, double lon)
{
	char t[TQTIME_BUFSZ], s[TQTIME_BUFSZ], st[TQTIME_BUFSZ];
	tqtime_format(now, t);
	tqtime_format(start, s);
	tqtime_format(stale, st);
	int rc = buf_put(b, "<event version=\"2.0\" uid=\"", 26);
	if (!rc)
		rc = buf_esc(b, uid);
	if (!rc)
		rc = buf_printf(b,
				"\" type=\"%s\" how=\"h-g-i-g-o\" time=\"%s\" start=\"%s\" stale=\"%s\">"
				"<point lat=\"%.9f\" lon=\"%.9f\" hae=\"9999999.0\" ce=\"9999999.0\" le=\"9999999.0\"/>"
				"<detail>",
				type, t, s, st, lat, lon);
	return rc;
}

static int event_close(struct cot_buf *b)
{
	return buf_put(b, "</detail></event>\n", 18);
}

static void part_uid(const char *id, size_t k, char *out, size_t len)
{
	if (k == 0)
		snprintf(out, len, "%s", id);
	else
		snprintf(out, len, "%s.%zu", id, k);
}

static int delete_xml(const char *uid, tq_time now, struct cot_buf *b)
{
	int rc = event_open(b, uid, "t-x-d-d", now, now, now + SHORT_STALE_MS, 0, 0);
	if (!rc)
		rc = buf_put(b, "<link uid=\"", 11);
	if (!rc)
		rc = buf_esc(b, uid);
	if (!rc)
		rc = buf_put(b, "\" relation=\"none\" type=\"none\"/><__forcedelete/>", 47);
	return rc ? rc : event_close(b);
}

/* ---- what each object looks like ------------------------------------------------------- */

struct look {
	const char *marker_type;   /* CoT type of a Point part */
	uint32_t stroke;           /* ARGB */
	int dashed;
	const char *callsign;
	tq_time start, stale;
	double radius_m;           /* > 0: a Point part is drawn as a circle */
	const char *remarks;       /* borrowed, owned by the caller's cot_buf */
};

static int affiliated(const struct cot_view *v, const char *party)
{
	return v->party && party && !strcmp(v->party, party);
}

static uint32_t zone_colour(const char *kind, int own)
{
	if (!strcmp(kind, "demilitarized"))
		return ARGB_DEMILITARIZED;
	if (!strcmp(kind, "limitation"))
		return ARGB_LIMITATION;
	if (!strcmp(kind, "protected_site"))
		return ARGB_PROTECTED;
	if (!strcmp(kind, "restricted_airspace"))
		return ARGB_AIRSPACE;
	return own ? ARGB_OWN : ARGB_OTHER; /* influence, base */
}

static int remarks_altitude(struct cot_buf *r, const json_t *alt)
{
	if (!json_is_object(alt))
		return TQ_OK;
	return buf_printf(r, "; altitude %.0f-%.0f m", json_number_value(json_object_get(alt, "min_m")),
			  json_number_value(json_object_get(alt, "max_m")));
}

static int remarks_window(struct cot_buf *r, const char *label, const json_t *w, const char *from, const char *to)
{
	if (!json_is_object(w))
		return TQ_OK;
	return buf_printf(r, "; %s %s to %s", label, str_or(str_at(w, from), "-"), str_or(str_at(w, to), "open"));
}

static int parties_list(struct cot_buf *r, const char *label, const json_t *arr)
{
	size_t i;
	json_t *p;
	int rc = TQ_OK;
	if (!json_array_size(arr))
		return TQ_OK;
	rc = buf_printf(r, "; %s ", label);
	json_array_foreach(arr, i, p) {
		if (!rc)
			rc = buf_printf(r, "%s%s", i ? "," : "", str_or(json_string_value(p), "?"));
	}
	return rc;
}

static int look_zone(const json_t *z, const char *track, const struct cot_view *v, struct look *l,
		     struct cot_buf *r)
{
	const char *kind = str_or(str_at(z, "kind"), "zone");
	const char *owner = str_or(str_at(z, "owner"), str_at(z, "declared_by"));
	const char *status = str_or(str_at(z, "status"), "?");
	int own = affiliated(v, owner);
	const json_t *valid = json_object_get(z, "valid");
	l->stroke = zone_colour(kind, own);
	l->dashed = !strcmp(status, "proposed");
	l->callsign = str_or(str_at(z, "name"), str_at(z, "id"));
	l->start = time_at(valid, "from", v->now);
	l->stale = time_at(valid, "until", v->now + YEAR_MS);
	int rc = buf_printf(r, "%s zone (%s); owner %s (%s); declared by %s; track %s", kind, status,
			    str_or(owner, "?"), own ? "f" : "n", str_or(str_at(z, "declared_by"), "?"), track);
	if (!rc)
		rc = parties_list(r, "accepted by", json_object_get(z, "accepted_by"));
	if (!rc)
		rc = remarks_altitude(r, json_object_get(z, "altitude"));
	if (!rc)
		rc = remarks_window(r, "valid", valid, "from", "until");
	return rc;
}

static int look_deployment(const json_t *d, const char *track, const struct cot_view *v, struct look *l,
			   struct cot_buf *r)
{
	const char *party = str_at(d, "declared_by");
	int own = affiliated(v, party);
	const json_t *valid = json_object_get(d, "valid");
	const json_t *s = json_object_get(d, "strength");
	l->marker_type = own ? "a-f-G-U-C" : "a-n-G-U-C";
	l->stroke = own ? ARGB_OWN : ARGB_OTHER;
	l->callsign = str_or(str_at(d, "unit"), str_at(d, "id"));
	l->start = time_at(valid, "from", v->now);
	l->stale = time_at(valid, "until", v->now + YEAR_MS);
	int rc = buf_printf(r, "deployment of %s (%s); unit %s; strength troops %lld, tanks %lld, artillery %lld, "
			       "air defense %lld; track %s",
			    str_or(party, "?"), own ? "f" : "n", str_or(str_at(d, "unit"), "?"),
			    (long long)json_integer_value(json_object_get(s, "troops")),
			    (long long)json_integer_value(json_object_get(s, "tanks")),
			    (long long)json_integer_value(json_object_get(s, "artillery")),
			    (long long)json_integer_value(json_object_get(s, "air_defense")), track);
	if (!rc && json_is_number(json_object_get(d, "radius_m")))
		rc = buf_printf(r, "; radius %.0f m", json_number_value(json_object_get(d, "radius_m")));
	if (!rc)
		rc = remarks_window(r, "valid", valid, "from", "until");
	return rc;
}

static int look_activity(const json_t *a, const char *track, const struct cot_view *v, struct look *l,
			 struct cot_buf *r)
{
	const char *party = str_at(a, "declared_by");
	int own = affiliated(v, party);
	const json_t *w = json_object_get(a, "window");
	const char *kind = str_or(str_at(a, "kind"), "activity");
	l->marker_type = "b-m-p-s-m";
	l->stroke = ARGB_ACTIVITY;
	l->callsign = kind;
	l->start = time_at(w, "start", v->now);
	l->stale = time_at(w, "end", v->now + YEAR_MS);
	if (json_is_number(json_object_get(a, "radius_m")))
		l->radius_m = json_number_value(json_object_get(a, "radius_m"));
	int rc = buf_printf(r, "%s activity of %s (%s); status %s%s; track %s", kind, str_or(party, "?"),
			    own ? "f" : "n", str_or(str_at(a, "status"), "?"),
			    json_is_true(json_object_get(a, "short_notice")) ? " (short notice)" : "", track);
	if (!rc && json_is_number(json_object_get(a, "width_m")))
		rc = buf_printf(r, "; corridor width %.0f m", json_number_value(json_object_get(a, "width_m")));
	if (!rc && l->radius_m > 0)
		rc = buf_printf(r, "; radius %.0f m", l->radius_m);
	if (!rc)
		rc = remarks_altitude(r, json_object_get(a, "altitude"));
	if (!rc)
		rc = remarks_window(r, "window", w, "start", "end");
	if (!rc && str_at(a, "description")) {
		rc = buf_put(r, "; ", 2);
		if (!rc)
			rc = buf_put(r, str_at(a, "description"), strlen(str_at(a, "description")));
	}
	return rc;
}

static int look_conflict(const json_t *c, const char *track, const struct cot_view *v, struct look *l,
			 struct cot_buf *r)
{
	const char *severity = str_or(str_at(c, "severity"), "warning");
	const char *kind = str_or(str_at(c, "kind"), "conflict");
	const json_t *ov = json_object_get(c, "overlap");
	size_t i;
	json_t *s;
	l->marker_type = "b-m-p-s-m";
	l->stroke = !strcmp(severity, "critical") ? ARGB_CRITICAL : ARGB_WARNING;
	l->callsign = kind;
	l->start = v->now;
	l->stale = v->now + YEAR_MS; /* until resolved: then deleted */
	int rc = buf_printf(r, "CONFLICT %s, severity %s; status %s; track %s", kind, severity,
			    str_or(str_at(c, "status"), "?"), track);
	if (!rc)
		rc = parties_list(r, "affected", json_object_get(c, "parties"));
	if (!rc)
		rc = parties_list(r, "acknowledged by", json_object_get(c, "acks"));
	json_array_foreach(json_object_get(c, "subjects"), i, s) {
		if (!rc)
			rc = buf_printf(r, "%s%s %s (%s)", i ? ", " : "; subjects ", str_or(str_at(s, "type"), "?"),
					str_or(str_at(s, "id"), "?"), str_or(str_at(s, "party"), "?"));
	}
	if (!rc)
		rc = remarks_altitude(r, json_object_get(ov, "altitude"));
	if (!rc)
		rc = remarks_window(r, "window", json_object_get(ov, "window"), "start", "end");
	return rc;
}

static const json_t *object_geometry(const char *type, const json_t *obj)
{
	if (!strcmp(type, "conflict"))
		return json_object_get(json_object_get(obj, "overlap"), "geometry");
	return json_object_get(obj, "geometry");
}

int cot_object_shown(const char *type, const json_t *obj)
{
	const char *st = str_or(str_at(obj, "status"), "");
	if (!strcmp(type, "zone"))
		return !strcmp(st, "proposed") || !strcmp(st, "in_force");
	if (!strcmp(type, "deployment"))
		return strcmp(st, "withdrawn") != 0;
	if (!strcmp(type, "activity"))
		return !strcmp(st, "notified") || !strcmp(st, "active");
	if (!strcmp(type, "conflict"))
		return !strcmp(st, "open") || !strcmp(st, "acknowledged");
	return 0;
}

/* One shape part: the common detail of TAK drawings. */
static int part_xml(const struct part *p, const char *uid, const struct look *l, const struct cot_view *v,
		    const char *remarks, struct cot_buf *b)
{
	int rc;
	size_t i, n;
	json_t *pos;
	if (p->kind == PART_POINT) {
		int circle = l->radius_m > 0;
		rc = event_open(b, uid, circle ? "u-d-c-c" : l->marker_type, v->now, l->start, l->stale,
				lat_of(p->coords), lon_of(p->coords));
		if (!rc && circle)
			rc = buf_printf(b,
					"<shape><ellipse major=\"%.3f\" minor=\"%.3f\" angle=\"360\"/></shape>"
					"<strokeColor value=\"%d\"/><strokeWeight value=\"3.0\"/><fillColor value=\"%d\"/>",
					l->radius_m, l->radius_m, argb(l->stroke), argb((l->stroke & 0xFFFFFFu) | FILL_ALPHA));
		else if (!rc)
			rc = buf_printf(b, "<color argb=\"%d\"/>", argb(l->stroke));
	} else {
		/* <point> is the mean of the vertices (the closing one excluded). */
		n = json_array_size(p->coords);
		size_t m = p->kind == PART_RING ? n - 1 : n;
		double la = 0, lo = 0;
		for (i = 0; i < m; i++) {
			la += lat_of(json_array_get(p->coords, i));
			lo += lon_of(json_array_get(p->coords, i));
		}
		rc = event_open(b, uid, "u-d-f", v->now, l->start, l->stale, la / (double)m, lo / (double)m);
		/* A closed list of links is a polygon to TAK (first vertex repeated). */
		json_array_foreach(p->coords, i, pos) {
			if (!rc)
				rc = buf_printf(b, "<link point=\"%.9f,%.9f\"/>", lat_of(pos), lon_of(pos));
		}
		if (!rc)
			rc = buf_printf(b, "<strokeColor value=\"%d\"/><strokeWeight value=\"3.0\"/>", argb(l->stroke));
		if (!rc && l->dashed)
			rc = buf_put(b, "<strokeStyle value=\"dashed\"/>", 29);
		if (!rc && p->kind == PART_RING)
			rc = buf_printf(b, "<fillColor value=\"%d\"/>", argb((l->stroke & 0xFFFFFFu) | FILL_ALPHA));
		if (!rc)
			rc = buf_put(b, "<labels_on value=\"true\"/>", 25);
	}
	if (!rc)
		rc = buf_put(b, "<contact callsign=\"", 19);
	if (!rc)
		rc = buf_esc(b, l->callsign);
	if (!rc)
		rc = buf_put(b, "\"/><remarks>", 12);
	if (!rc)
		rc = buf_esc(b, remarks);
	if (!rc)
		rc = buf_put(b, "</remarks>", 10);
	return rc ? rc : event_close(b);
}

int cot_object_xml(const char *type, const json_t *obj, const char *track, const struct cot_view *v,
		   struct cot_buf *out)
{
	struct parts ps = {.n = 0};
	struct look l = {0};
	struct cot_buf remarks = {0};
	const char *id = str_at(obj, "id");
	char uid[192];
	size_t start = out->len;
	int rc;

	if (!id || !track)
		return TQ_EINVALID;
	if ((rc = geometry_parts(object_geometry(type, obj), &ps, 0)))
		return rc;
	if (ps.n == 0)
		return TQ_EINVALID;
	if (!cot_object_shown(type, obj)) {
		for (size_t k = 0; k < ps.n && !rc; k++) {
			part_uid(id, k, uid, sizeof uid);
			rc = delete_xml(uid, v->now, out);
		}
		goto done;
	}
	if (!strcmp(type, "zone"))
		rc = look_zone(obj, track, v, &l, &remarks);
	else if (!strcmp(type, "deployment"))
		rc = look_deployment(obj, track, v, &l, &remarks);
	else if (!strcmp(type, "activity"))
		rc = look_activity(obj, track, v, &l, &remarks);
	else if (!strcmp(type, "conflict"))
		rc = look_conflict(obj, track, v, &l, &remarks);
	else
		rc = TQ_EINVALID;
	if (!rc && !l.marker_type)
		l.marker_type = "b-m-p-s-m";
	if (!rc && l.stale <= l.start)
		l.stale = l.start + 1000;
	for (size_t k = 0; k < ps.n && !rc; k++) {
		part_uid(id, k, uid, sizeof uid);
		rc = part_xml(&ps.p[k], uid, &l, v, remarks.data ? remarks.data : "", out);
	}
done:
	cot_buf_free(&remarks);
	if (rc) {
		out->len = start; /* nothing half-written */
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int cot_chat_xml(const json_t *msg, const struct cot_view *v, struct cot_buf *out)
{
	const char *id = str_at(msg, "id"), *track = str_at(msg, "track");
	const char *from = str_or(str_at(msg, "from"), "?");
	const char *user = str_or(str_at(json_object_get(msg, "created_by"), "user"), "?");
	const char *prec = str_or(str_at(msg, "precedence"), "routine");
	char uid[320], sender[96], t[TQTIME_BUFSZ];
	size_t start = out->len;
	int rc;

	if (!id || !track)
		return TQ_EINVALID;
	snprintf(sender, sizeof sender, "tansiq.%s", user);
	snprintf(uid, sizeof uid, "GeoChat.%s.%s.%s", sender, track, id);
	tqtime_format(v->now, t);
	rc = event_open(out, uid, "b-t-f", v->now, v->now, v->now + DAY_MS, 0, 0);
	if (!rc)
		rc = buf_put(out, "<__chat parent=\"RootContactGroup\" groupOwner=\"false\" messageId=\"", 64);
	if (!rc)
		rc = buf_esc(out, id);
	if (!rc)
		rc = buf_put(out, "\" chatroom=\"", 12);
	if (!rc)
		rc = buf_esc(out, track);
	if (!rc)
		rc = buf_put(out, "\" id=\"", 6);
	if (!rc)
		rc = buf_esc(out, track);
	if (!rc)
		rc = buf_put(out, "\" senderCallsign=\"", 18);
	if (!rc)
		rc = buf_esc(out, from);
	if (!rc)
		rc = buf_put(out, "\"><chatgrp uid0=\"", 17);
	if (!rc)
		rc = buf_esc(out, sender);
	if (!rc)
		rc = buf_put(out, "\" uid1=\"", 8);
	if (!rc)
		rc = buf_esc(out, track);
	if (!rc)
		rc = buf_put(out, "\" id=\"", 6);
	if (!rc)
		rc = buf_esc(out, track);
	if (!rc)
		rc = buf_put(out, "\"/></__chat><link uid=\"", 23);
	if (!rc)
		rc = buf_esc(out, sender);
	if (!rc)
		rc = buf_printf(out, "\" type=\"%s\" relation=\"p-p\"/><remarks source=\"",
				affiliated(v, from) ? "a-f-G-U-C" : "a-n-G-U-C");
	if (!rc)
		rc = buf_esc(out, sender);
	if (!rc)
		rc = buf_put(out, "\" to=\"", 6);
	if (!rc)
		rc = buf_esc(out, track);
	if (!rc)
		rc = buf_printf(out, "\" time=\"%s\">", t);
	/* Routine messages read as plain chat; higher precedences say so first. */
	if (!rc && strcmp(prec, "routine") != 0) {
		char up[16];
		size_t i;
		for (i = 0; prec[i] && i < sizeof up - 1; i++)
			up[i] = (char)(prec[i] >= 'a' && prec[i] <= 'z' ? prec[i] - 32 : prec[i]);
		up[i] = '\0';
		rc = buf_printf(out, "[%s] ", up);
	}
	if (!rc)
		rc = buf_esc(out, str_at(msg, "subject"));
	if (!rc)
		rc = buf_put(out, ": ", 2);
	if (!rc)
		rc = buf_esc(out, str_at(msg, "body"));
	if (!rc)
		rc = buf_put(out, "</remarks>", 10);
	if (!rc)
		rc = event_close(out);
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;
}

int cot_log_event_xml(const char *event_type, const json_t *payload, const char *track, const struct cot_view *v,
		      struct cot_buf *out)
{
	static const char *const types[] = {"zone", "deployment", "activity", "conflict", NULL};
	const char *dot = event_type ? strchr(event_type, '.') : NULL;
	if (!dot || !json_is_object(payload))
		return TQ_OK;
	size_t n = (size_t)(dot - event_type);
	if (!strcmp(event_type, "message.created"))
		return cot_chat_xml(payload, v, out);
	for (const char *const *t = types; *t; t++)
		if (strlen(*t) == n && !strncmp(event_type, *t, n))
			return cot_object_xml(*t, payload, track, v, out);
	return TQ_OK;
}

int cot_pong_xml(tq_time now, struct cot_buf *out)
{
	int rc = event_open(out, "takPong", "t-x-c-t-r", now, now, now + SHORT_STALE_MS, 0, 0);
	return rc ? rc : event_close(out);
}

/* ---- inbound ---------------------------------------------------------------------- */

enum cot_frame cot_frame(const char *buf, size_t len, size_t *start, size_t *end)
{
	static const char close_tag[] = "</event>";
	size_t s = 0;
	while (s < len && (buf[s] == ' ' || buf[s] == '\t' || buf[s] == '\r' || buf[s] == '\n' || buf[s] == '\0'))
		s++;
	*start = s;
	*end = s;
	const char *hit = len - s >= sizeof close_tag - 1 ? memmem(buf + s, len - s, close_tag, sizeof close_tag - 1)
							 : NULL;
	if (hit) {
		size_t e = (size_t)(hit - buf) + sizeof close_tag - 1;
		if (e - s > COT_EVENT_MAX)
			return COT_FRAME_TOOBIG;
		*end = e;
		return COT_FRAME_EVENT;
	}
	return len - s > COT_EVENT_MAX ? COT_FRAME_TOOBIG : COT_FRAME_MORE;
}

struct parse {
	XML_Parser p;
	struct cot_in *in;
	int depth;
	int err;              /* first failure */
	int in_detail;        /* depth of <detail> under <event>, 0 if outside */
	int in_remarks;
	size_t remarks_len, remarks_cap;
};

static void fail(struct parse *ps, int err)
{
	if (!ps->err)
		ps->err = err;
	XML_StopParser(ps->p, XML_FALSE);
}

/* Copies an attribute, cut to the buffer at a whole UTF-8 character. */
static void copy_attr(char *dst, size_t len, const char *v)
{
	snprintf(dst, len, "%s", v ? v : "");
	size_t n = strlen(dst);
	if (v && strlen(v) > n) {
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--; /* v[n] continues a character that the cut split: drop its start too */
		dst[n] = '\0';
	}
}

static const char *attr(const XML_Char **atts, const char *name)
{
	for (; atts && atts[0]; atts += 2)
		if (!strcmp(atts[0], name))
			return atts[1];
	return NULL;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parse *ps = ud;
	ps->depth++;
	if (ps->depth > COT_DEPTH_MAX) {
		fail(ps, TQ_EMALFORMED);
		return;
	}
	if (ps->depth == 1) {
		if (strcmp(name, "event") != 0 || !attr(atts, "type")) {
			fail(ps, TQ_EMALFORMED);
			return;
		}
		copy_attr(ps->in->type, sizeof ps->in->type, attr(atts, "type"));
		copy_attr(ps->in->uid, sizeof ps->in->uid, attr(atts, "uid"));
		return;
	}
	if (ps->depth == 2 && !strcmp(name, "detail"))
		ps->in_detail = 1;
	if (ps->depth == 3 && ps->in_detail && !strcmp(name, "__chat")) {
		ps->in->is_chat = 1;
		copy_attr(ps->in->chatroom, sizeof ps->in->chatroom, attr(atts, "chatroom"));
		copy_attr(ps->in->chat_id, sizeof ps->in->chat_id, attr(atts, "id"));
		copy_attr(ps->in->sender, sizeof ps->in->sender, attr(atts, "senderCallsign"));
	}
	if (ps->depth == 3 && ps->in_detail && !strcmp(name, "remarks")) {
		ps->in_remarks = 1;
		if (!ps->in->remarks) {
			ps->in->remarks = calloc(1, 1);
			if (!ps->in->remarks)
				fail(ps, TQ_ENOMEM);
		}
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct parse *ps = ud;
	(void)name;
	if (ps->depth == 3)
		ps->in_remarks = 0;
	if (ps->depth == 2)
		ps->in_detail = 0;
	ps->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int n)
{
	struct parse *ps = ud;
	if (!ps->in_remarks || n <= 0 || !ps->in->remarks)
		return;
	if (ps->remarks_len + (size_t)n + 1 > ps->remarks_cap) {
		size_t cap = ps->remarks_cap ? ps->remarks_cap : 256;
		while (cap < ps->remarks_len + (size_t)n + 1)
			cap *= 2;
		char *g = realloc(ps->in->remarks, cap);
		if (!g) {
			fail(ps, TQ_ENOMEM);
			return;
		}
		ps->in->remarks = g;
		ps->remarks_cap = cap;
	}
	memcpy(ps->in->remarks + ps->remarks_len, s, (size_t)n);
	ps->remarks_len += (size_t)n;
	ps->in->remarks[ps->remarks_len] = '\0';
}

/* No DTD at all: with none, no entity can be declared or expanded (billion
 * laughs, external entities), and an undefined reference is a parse error. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int has_internal)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	fail(ud, TQ_EFORBIDDEN);
}

static void XMLCALL on_entity_decl(void *ud, const XML_Char *name, int is_param, const XML_Char *value, int len,
				   const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
				   const XML_Char *notation)
{
	(void)name, (void)is_param, (void)value, (void)len, (void)base, (void)sysid, (void)pubid, (void)notation;
	fail(ud, TQ_EFORBIDDEN);
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
				      const XML_Char *sysid, const XML_Char *pubid)
{
	(void)p, (void)context, (void)base, (void)sysid, (void)pubid;
	return XML_STATUS_ERROR;
}

void cot_in_clear(struct cot_in *in)
{
	free(in->remarks);
	memset(in, 0, sizeof *in);
}

int cot_parse(const char *xml, size_t len, struct cot_in *out)
{
	struct parse ps = {.in = out};
	memset(out, 0, sizeof *out);
	if (len > COT_EVENT_MAX)
		return TQ_ETOOBIG;
	/* Expat reads a document in its declared encoding; CoT is UTF-8 (and
	 * ASCII-compatible declarations only: others are refused as malformed). */
	ps.p = XML_ParserCreate("UTF-8");
	if (!ps.p)
		return TQ_ENOMEM;
	XML_SetUserData(ps.p, &ps);
	XML_SetElementHandler(ps.p, on_start, on_end);
	XML_SetCharacterDataHandler(ps.p, on_text);
	XML_SetStartDoctypeDeclHandler(ps.p, on_doctype);
	XML_SetEntityDeclHandler(ps.p, on_entity_decl);
	XML_SetExternalEntityRefHandler(ps.p, on_external_entity);
	XML_SetParamEntityParsing(ps.p, XML_PARAM_ENTITY_PARSING_NEVER);
	enum XML_Status st = XML_Parse(ps.p, xml, (int)len, XML_TRUE);
	if (st != XML_STATUS_OK && !ps.err)
		ps.err = TQ_EMALFORMED;
	if (!ps.err && !out->type[0])
		ps.err = TQ_EMALFORMED;
	XML_ParserFree(ps.p);
	if (ps.err)
		cot_in_clear(out);
	return ps.err;
}
