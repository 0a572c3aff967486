/*
 * config — the client's files: the settings file and the per-server state
 * directory used by `tansiq verify`.
 *
 * Settings: $XDG_CONFIG_HOME/tansiq/config (default $HOME/.config/tansiq/config),
 * lines "key = value" for url, token, track, cacert; '#' starts a comment;
 * a missing file is no error. State: $XDG_STATE_HOME/tansiq/<host_port>
 * (default $HOME/.local/state/tansiq/<host_port>).
 */
#ifndef TQ_CLI_CONFIG_H
#define TQ_CLI_CONFIG_H

#include <stddef.h>
#include "core/tqerr.h"

#define CONFIG_MAX_BYTES (64 * 1024)

struct config {
	char *url, *token, *track, *cacert;   /* owned or NULL */
};

/* Reads the settings file. Returns 0, or -1 after printing an error
 * (unreadable or malformed file). Free with config_free() in every case. */
TQ_MUST_USE int config_load(struct config *out);
void config_free(struct config *c);

/* Parses settings text (for config_load and tests). Returns 0 or -1 and sets *line. */
TQ_MUST_USE int config_parse(const char *text, struct config *out, int *line);

/* Writes the state directory for the server at url into out (cap bytes),
 * e.g. ".../tansiq/127.0.0.1_8080". Returns 0 or -1 after printing an error. */
TQ_MUST_USE int config_state_dir(const char *url, char *out, size_t cap);

/* mkdir -p with mode 0700 for every created component. Returns 0 or -1 (errno). */
TQ_MUST_USE int config_mkdirs(const char *path);

#endif
