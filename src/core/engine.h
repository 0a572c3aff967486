/*
 * engine — the conflict engine of one track: the live subjects (zones,
 * deployments, activities) in an in-memory spatio-temporal index, and the
 * rules of api.md ("Conflicts", "Precise rules" 1–3) applied to a candidate.
 *
 * Promises:
 * - engine_check finds every conflict involving the candidate against the
 *   indexed subjects (without inserting it; an indexed subject with the
 *   candidate's id is its old self and is ignored), in a deterministic order
 *   (by kind, then key). The same state and candidate give the same findings.
 * - Margins (separation_m, vertical_separation_m, time_margin_ms) apply to
 *   activity_overlap, protected_site_risk and deployment_risk: two volumes
 *   conflict when in each dimension they overlap with positive measure or
 *   their gap is below the margin (margin 0: touching is no conflict). The
 *   horizontal gap is the distance between footprints in metres (geo.h).
 *   Zone-entry rules (demilitarized_breach, influence_entry,
 *   restricted_airspace_entry, limitation_exceeded) use the footprint itself:
 *   interiors must intersect (touching is not entry), time windows must
 *   overlap with positive measure, altitude bands too — except that a band of
 *   zero thickness (min == max) counts where it lies inside the other band.
 * - Only zones ZONE_IN_FORCE apply rules (their valid window is their time
 *   extent). influence_entry is reported whether or not the owner consented:
 *   consent is a state of the conflict, kept by the server, matched by key.
 * - limitation_exceeded: the sum of every party's declared strength inside the
 *   zone, per cap field, at each instant; one finding per zone and per maximal
 *   interval in which some field exceeds its cap, reported to a deployment
 *   candidate only for intervals it contributes to. `exceeded` holds, per
 *   exceeded field, the cap and the highest declared sum in the interval.
 * - A finding's key is "<kind>|<sorted subject ids joined by |>", and for
 *   limitation_exceeded "|<start ms>|<end ms>" appended ("-" for an open end).
 *
 * Views (issue 12, reads off the write path): every change (engine_upsert,
 * engine_remove, engine_set_zone_status) is pending until
 * engine_commit_pending: the server makes it for a batch that may still fail
 * to commit. A check reads the engine in a view:
 * - the writer's view (engine_check, engine_check_some, engine_admit, and
 *   engine_get): the index as it is, pending changes included — what a
 *   writer building its batch must see;
 * - the committed view (engine_view.committed): only committed state: a
 *   pending insert is invisible, a pending replacement, status change or
 *   removal still shows the committed version (kept aside until the commit).
 *   Candidates are filtered where they are gathered, so every rule follows,
 *   limitation_exceeded sums included.
 * A failed batch's pending changes are not undone here: the server rebuilds
 * the engine (engines.h).
 *
 * Threads: one thread at a time changes the engine (upsert, remove,
 * set_zone_status, commit_pending, set_margins, free) and nobody checks
 * meanwhile — the caller's reader-writer lock. Otherwise committed-view
 * checks (engine_check_view, engine_admit_view) may run in several threads at
 * once, each with its own geo_ctx (engine_view.geo), beside one thread's
 * writer-view calls with the engine's geo_ctx: a committed-view check writes
 * nothing shared (its own query answers and prepared geometries; GEOS
 * prepared geometries build their indexes lazily and are not for two threads
 * at once), and only reads the indexed geometries (whose envelopes were
 * computed at insert). Completed, cancelled, rejected and withdrawn subjects
 * must be removed by the caller (engine_remove / engine_set_zone_status).
 */
#ifndef TQ_ENGINE_H
#define TQ_ENGINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/fielderr.h"
#include "core/geo.h"
#include "core/subject.h"
#include "core/tqerr.h"
#include "core/tqtime.h"

struct engine_margins {
	double separation_m;          /* >= 0 */
	double vertical_separation_m; /* >= 0 */
	int64_t time_margin_ms;       /* >= 0 */
};

enum finding_kind {
	FINDING_ACTIVITY_OVERLAP,
	FINDING_DEMILITARIZED_BREACH,
	FINDING_LIMITATION_EXCEEDED,
	FINDING_INFLUENCE_ENTRY,
	FINDING_PROTECTED_SITE_RISK,
	FINDING_DEPLOYMENT_RISK,
	FINDING_RESTRICTED_AIRSPACE_ENTRY,
};
enum finding_severity { FINDING_WARNING, FINDING_CRITICAL };

struct finding_subject {
	enum subject_type type;
	char *id; /* owned */
	char party[SUBJECT_PARTY_BYTES];
};

struct finding {
	enum finding_kind kind;
	enum finding_severity severity;
	struct finding_subject *subjects; /* zone first, then by id */
	size_t n_subjects;
	char (*parties)[SUBJECT_PARTY_BYTES]; /* affected parties, sorted, unique */
	size_t n_parties;
	json_t *overlap_geometry; /* owned GeoJSON: the overlap, or the part of
				     the other footprint within the margin */
	double alt_min, alt_max;  /* overlap band (or the gap within the margin) */
	tq_time start, end;       /* overlap window (or the gap); open ends MIN/MAX */
	unsigned exceeded_mask;   /* limitation: bit per enum strength_field */
	int64_t cap[STRENGTH_COUNT], declared[STRENGTH_COUNT];
	char *key; /* owned; stable across re-checks */
};

struct finding_list {
	struct finding *items;
	size_t n, cap;
};

void finding_list_init(struct finding_list *l);
/* Frees every finding; the list stays usable. */
void finding_list_clear(struct finding_list *l);

const char *finding_kind_name(enum finding_kind k);
const char *finding_severity_name(enum finding_severity s);
/* api.md conflict fields: kind, severity, subjects, parties, overlap
 * {geometry, altitude {min_m, max_m}, window {start, end} (null for an open
 * end)}, and "exceeded" for limitation_exceeded. Returns owned; NULL on OOM. */
json_t *finding_to_json(const struct finding *f);

struct engine;

/* Borrows geo (must outlive the engine). Returns owned; free with engine_free. */
struct engine *engine_new(struct geo_ctx *geo, const struct engine_margins *m);
void engine_free(struct engine *e);
void engine_set_margins(struct engine *e, const struct engine_margins *m);

/* Takes s (always, also on failure); replaces an indexed subject with the
 * same id. Zones that are rejected or withdrawn are not indexed (freed). */
TQ_MUST_USE int engine_upsert(struct engine *e, struct subject *s);
/* TQ_ENOTFOUND when id is not indexed. */
TQ_MUST_USE int engine_remove(struct engine *e, const char *id);
/* Borrowed; NULL when not indexed. */
const struct subject *engine_get(const struct engine *e, const char *id);
/* Changes an indexed zone's status; rejected/withdrawn remove it. */
TQ_MUST_USE int engine_set_zone_status(struct engine *e, const char *id, enum zone_status st);
/* The writer's view: pending changes included. */
size_t engine_count(const struct engine *e);
/* Every pending change is committed (the committed view shows it now). */
void engine_commit_pending(struct engine *e);
/* Whether some change is pending. */
int engine_has_pending(const struct engine *e);

/* How a check reads the engine ("Views" above). */
struct engine_view {
	int committed;       /* 1: committed state only; 0: the writer's view */
	struct geo_ctx *geo; /* the calling thread's context; NULL: the engine's */
};

/* Fills out (cleared first) with every finding involving candidate.
 * TQ_ETOOBIG when the candidate's margin buffer is past geo_buffer_m's work
 * bounds (engine_admit says so first, with a reason). */
TQ_MUST_USE int engine_check(struct engine *e, const struct subject *candidate, struct finding_list *out);

/* Which findings need their overlap geometry (the rest keep the one their
 * caller already has: a known conflict's overlap does not change until one
 * of its subjects does, and then it is matched by key, not rebuilt). */
struct engine_overlaps {
	int (*want)(void *ud, const char *key); /* nonzero: compute it */
	void *ud;
};
/* engine_check, with overlap_geometry computed only for the findings whose
 * key want accepts (NULL: all, as engine_check); the others have it NULL and
 * are otherwise identical (same findings, order, keys, bands, windows). */
TQ_MUST_USE int engine_check_some(struct engine *e, const struct subject *candidate,
				  const struct engine_overlaps *want, struct finding_list *out);
/* engine_check_some in view v (NULL: the writer's, with the engine's geo). */
TQ_MUST_USE int engine_check_view(struct engine *e, const struct engine_view *v, const struct subject *candidate,
				  const struct engine_overlaps *want, struct finding_list *out);

/* Would engine_check on candidate stay within the work bounds of limits.h
 * (issue 17: one check must never hold the cell for seconds)? TQ_EINVALID,
 * with err naming "geometry" and why, when it meets more than
 * TQ_MAX_CHECK_CANDIDATES indexed volumes, or when a margin rule may apply and
 * its buffer by separation_m is past geo_buffer_m's bounds (or would reach the
 * polar caps or ±180°). Zones are judged as if in force. Costs one index query
 * and, with margins, one densify and projection of the footprint. */
TQ_MUST_USE int engine_admit(struct engine *e, const struct subject *candidate, struct tq_field_error *err);
/* engine_admit in view v (NULL: the writer's). */
TQ_MUST_USE int engine_admit_view(struct engine *e, const struct engine_view *v, const struct subject *candidate,
				  struct tq_field_error *err);

#endif
