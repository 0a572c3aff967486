/*
 * limits — every hard cap on outside input, in one place (api.md, Conventions).
 * Parsers check these before allocating. Values marked "configurable" may be
 * overridden at start-up; the constants are the contract's defaults.
 */
#ifndef TQ_LIMITS_H
#define TQ_LIMITS_H

#define TQ_MAX_BODY_BYTES        (1024 * 1024)  /* configurable; 413 above */
#define TQ_MAX_MESSAGE_BODY      (64 * 1024)    /* hotline message body */
#define TQ_MAX_JSON_DEPTH        32
#define TQ_MAX_VERTICES          10000          /* per geometry */
#define TQ_MIN_ALTITUDE_M        (-500.0)
#define TQ_MAX_ALTITUDE_M        30000.0
#define TQ_MAX_BUFFER_M          500000.0       /* radius_m, width_m of a footprint */
#define TQ_MIN_BUFFER_M          0.01           /* radius_m, width_m: 1 cm (issue 17: 1e-300 gave 500) */
/* Work bounds per footprint (lessons.md: one request held the cell for 22 s).
 * A metre buffer first densifies edges to GEO_DENSIFY_DEG (geo.h): at most
 * this many vertices may come out of that, counted before densifying. */
#define TQ_MAX_DENSE_VERTICES    12000
/* ... and the buffer's noding work: pairs of monotone chains of the projected
 * input lying within twice the distance of each other (their offset curves
 * may cross), counted before GEOS is called. A 9,600-vertex comb buffered by
 * 1 km has ~10^6 of them and took 14 s (5,000: ~50 ms); ordinary footprints
 * have < 10^3. */
#define TQ_MAX_BUFFER_CHAIN_PAIRS 5000
/* Live volumes a checked footprint may meet (bounding boxes, after the
 * margins), checked before the exact tests (engine_admit). */
#define TQ_MAX_CHECK_CANDIDATES  10000
#define TQ_MAX_LIST_LIMIT        1000
#define TQ_DEFAULT_LIST_LIMIT    100
#define TQ_MAX_NAME_BYTES        256            /* names, titles, subjects */
#define TQ_MAX_TEXT_BYTES        (64 * 1024)    /* descriptions, notes, minutes */
#define TQ_MAX_URL_BYTES         4096
#define TQ_MAX_HEADER_BYTES      (16 * 1024)
#define TQ_MAX_NOTE_BYTES        (16 * 1024)    /* signed note / checkpoint */
#define TQ_MAX_TRACK_MEMBERS     64
#define TQ_MAX_RRULE_BYTES       256            /* RRULE text; COUNT <= 10000, INTERVAL 1..1000 */
#define TQ_MAX_RRULE_COUNT       10000
#define TQ_MAX_RRULE_INTERVAL    1000
#define TQ_IDEMPOTENCY_TTL_S     (24 * 3600)

#endif
