/*
 * testhooks — test-only controls under /v1/test/, for end-to-end tests that must
 * not sleep on the wall clock or that need a failing deadline handler.
 *
 * They exist only when tansiqd was started with --test-hooks (refused on a
 * non-loopback address); otherwise every /v1/test/ route answers 404 like an
 * unknown path. Cell admin only.
 *
 *   POST /v1/test/clock {"advance": "PT5M"}      moves app_now() forward, fires
 *        what became due, then answers {"now", "offset"}: deadline events are
 *        committed when the answer arrives.
 *   POST /v1/test/deadline-faults {"kind", "failures": n}   the next n attempts
 *        of deadlines of that kind fail as a store failure would.
 *   POST /v1/test/hold-write {"track"}   a long write: a thread takes the
 *        writers' lock, opens a write transaction and writes half a change in
 *        it through the commit path (the message.created event of a copy of the
 *        track's last message under a new id and seq), then holds it all until
 *        release-write (at most
 *        60 s); answers {"track", "id"} once it holds. Writers wait meanwhile;
 *        readers in snapshots must not, nor see the uncommitted rows.
 *   POST /v1/test/hold-write {"track", "next_write": true}   arms instead the
 *        pause point of holdpoint.h: the next successful write of the track
 *        (a declaration, say) pauses just before its COMMIT — batch applied,
 *        engines changed (pending), writers' lock held — until release-write
 *        (at most 60 s), then commits and answers as usual. Answers at once.
 *   POST /v1/test/held   waits (at most 30 s) until the armed write is held;
 *        {"held": true, "request": path}, or 409 if none came.
 *   POST /v1/test/release-write   rolls the held transaction back (a held
 *        next write: lets it commit), lets go of the lock and answers
 *        {"released": true} when it was still held (false when the 60 s ran
 *        out first, or the armed write never came).
 */
#ifndef TQ_TESTHOOKS_H
#define TQ_TESTHOOKS_H

#include "server/http.h"

extern const struct route testhooks_routes[];

#endif
