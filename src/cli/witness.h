/*
 * witness — `tansiq witness`: a C2SP transparency-log witness for a tansiq
 * cell's log (https://c2sp.org/tlog-witness, https://c2sp.org/tlog-cosignature).
 *
 *   tansiq witness init --key FILE [--name NAME]
 *   tansiq witness --key FILE --listen ADDR:PORT --log-vkey VKEY... [--state FILE]
 *
 * Promises:
 *  - init creates FILE (mode 0600, O_EXCL: an existing FILE is left unchanged,
 *    exit 1) and prints the witness's cosigner vkey alone on the last line.
 *  - POST /add-checkpoint cosigns a checkpoint of a configured log only when
 *    its signature verifies with that log's vkey and it is consistent with
 *    the latest checkpoint this witness cosigned for its origin (codes of
 *    tlog-witness: 400, 403, 404, 409 with text/x.tlog.size, 422).
 *  - The state (origin -> size, root, cosigned checkpoint) is written before
 *    the cosignature is answered, atomically (temporary file, fsync, rename,
 *    fsync of the directory): after a crash or SIGKILL the state file is the
 *    old or the new one, never a mix; a witness never cosigns two
 *    inconsistent checkpoints of one origin, across restarts too. One process
 *    per state file (an flock on FILE.lock).
 *  - GET /<hex SHA-256 of origin>/checkpoint serves the latest cosigned
 *    checkpoint (tlog-witness, "Monitor Retrieval Mechanism").
 * Key file: one line "PRIVATE+KEY+<name>+<hex key id>+<base64(0x04 || seed)>".
 */
#ifndef TQ_CLI_WITNESS_H
#define TQ_CLI_WITNESS_H

#include "cli/cmd.h"

extern const struct group_spec cmd_witness_groups[];

int witness_cmd(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		int argc, char **argv);

#endif
