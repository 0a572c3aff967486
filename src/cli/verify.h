/*
 * verify — `tansiq verify`: checks the server's tamper-evident log.
 *
 * Order of trust: the verifier key is pinned on first use (TOFU) in the state
 * directory and compared on every later run; the checkpoint's signature is
 * verified with the pinned key before anything in it is used; every entry's
 * leaf hash, content and inclusion proof, and the consistency of every saved
 * checkpoint with the new one, are checked against the verified root only.
 */
#ifndef TQ_CLI_VERIFY_H
#define TQ_CLI_VERIFY_H

#include "cli/cmd.h"

#define VERIFY_HELP \
	"Checks, printing each with OK or FAIL:\n" \
	"  key         the vkey equals the one pinned in $XDG_STATE_HOME/tansiq/<host_port>/vkey\n" \
	"              (default ~/.local/state/...; pinned on first use)\n" \
	"  signature   the checkpoint is signed by that key (before it is parsed)\n" \
	"  leaf hash   SHA-256(0x00 || leaf_data) of each of your entries, and event = leaf_data\n" \
	"  inclusion   each entry is in the tree of the checkpoint\n" \
	"  consistency each checkpoint saved before is a prefix of the new one\n" \
	"With --witness VKEY (repeatable; a C2SP cosignature/v1 key, as 'tansiq witness init' prints)\n" \
	"and --quorum N (default: every witness given):\n" \
	"  witnesses   the checkpoint carries N valid cosignatures by those keys; if the newest one\n" \
	"              has fewer (witnesses answer ~1 s after a write), the server's latest checkpoint\n" \
	"              with N cosignatures (GET /v1/log/checkpoint?cosigned=N) is verified instead\n" \
	"  split view  the largest witnessed checkpoint seen before (.../<host_port>/witnessed) and the\n" \
	"              new one are one history; if not (a fork, or a rollback then new writes), both\n" \
	"              signed checkpoints are printed and saved in .../split-<time> as evidence\n" \
	"Then the new checkpoint is saved as .../<host_port>/checkpoints/<size> (only when every\n" \
	"check passed). Exit 5 on any failure (e.g. 'FAIL: inclusion of entry 17'); --json prints\n" \
	"one report {ok, checks: [{check, ok, detail}], size, root, entries, vkey, split?: {witnessed,\n" \
	"server}}.\n" \
	"If the operators really replaced the log key, delete the pinned vkey file to pin the new one."

int verify_cmd(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
	       int argc, char **argv);

#endif
