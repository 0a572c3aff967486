/*
 * sse — event-stream parser and `tansiq watch`. See sse.h.
 */
#include "cli/sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/http.h"

#define BACKOFF_MIN_MS 500L
#define BACKOFF_MAX_MS 30000L

void sse_init(struct sse_parser *p, sse_event_fn on_event, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->retry_ms = -1;
	p->on_event = on_event;
	p->arg = arg;
}

void sse_free(struct sse_parser *p)
{
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
}

void sse_reset(struct sse_parser *p)
{
	p->line_len = 0;
	p->data_len = 0;
	p->type[0] = '\0';
	p->saw_cr = 0;
}

static int grow(char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	if (need > SSE_MAX_EVENT + 1)
		return -1;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SSE_MAX_EVENT + 1)
		ncap = SSE_MAX_EVENT + 1;
	char *nb = realloc(*buf, ncap);
	if (!nb)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

static int dispatch(struct sse_parser *p)
{
	int r = 0;
	if (p->data_len > 0) {
		struct sse_event ev;
		/* The trailing LF added after each data line is not part of the data. */
		p->data_len--;
		p->data[p->data_len] = '\0';
		ev.id = p->last_id;
		ev.type = p->type[0] ? p->type : "message";
		ev.data = p->data;
		ev.data_len = p->data_len;
		r = p->on_event(&ev, p->arg) ? 1 : 0;
	}
	p->data_len = 0;
	p->type[0] = '\0';
	return r;
}

static int process_line(struct sse_parser *p)
{
	const char *line = p->line ? p->line : "";
	size_t len = p->line_len;
	if (len == 0)
		return dispatch(p);
	if (line[0] == ':')
		return 0;
	const char *colon = memchr(line, ':', len);
	size_t nlen = colon ? (size_t)(colon - line) : len;
	const char *val = colon ? colon + 1 : "";
	size_t vlen = colon ? len - nlen - 1 : 0;
	if (vlen && *val == ' ')
		val++, vlen--;
	if (nlen == 4 && memcmp(line, "data", 4) == 0) {
		if (grow(&p->data, &p->data_cap, p->data_len + vlen + 2) != 0)
			return -1;
		memcpy(p->data + p->data_len, val, vlen);
		p->data_len += vlen;
		p->data[p->data_len++] = '\n';
		p->data[p->data_len] = '\0';
	} else if (nlen == 5 && memcmp(line, "event", 5) == 0) {
		size_t n = vlen < sizeof(p->type) - 1 ? vlen : sizeof(p->type) - 1;
		memcpy(p->type, val, n);
		p->type[n] = '\0';
	} else if (nlen == 2 && memcmp(line, "id", 2) == 0) {
		/* Ids with NUL are ignored (spec); over-long ones are a protocol error. */
		if (memchr(val, '\0', vlen))
			return 0;
		if (vlen > SSE_MAX_ID)
			return -1;
		memcpy(p->last_id, val, vlen);
		p->last_id[vlen] = '\0';
	} else if (nlen == 5 && memcmp(line, "retry", 5) == 0) {
		if (vlen > 0 && vlen < 10 && strspn(val, "0123456789") >= vlen) {
			long ms = 0;
			for (size_t i = 0; i < vlen; i++)
				ms = ms * 10 + (val[i] - '0');
			p->retry_ms = ms;
		}
	}
	return 0;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];
		if (p->saw_cr) {
			p->saw_cr = 0;
			if (ch == '\n')
				continue;   /* CRLF: the line already ended at CR */
		}
		if (ch == '\r' || ch == '\n') {
			p->saw_cr = ch == '\r';
			int r = process_line(p);
			p->line_len = 0;
			if (r) {
				if (r < 0)
					p->error = 1;
				return r;
			}
			continue;
		}
		if (p->line_len + p->data_len + 2 > SSE_MAX_EVENT ||
		    grow(&p->line, &p->line_cap, p->line_len + 2) != 0) {
			p->error = 1;
			return -1;
		}
		p->line[p->line_len++] = ch;
		p->line[p->line_len] = '\0';
	}
	return 0;
}

/* ---- tansiq watch ---- */

struct watch {
	const struct cli_ctx *ctx;
	struct sse_parser parser;
	long count, seen;       /* stop after count events (0 = never) */
	int got_event;          /* an event arrived on this connection */
};

static int print_event(const struct sse_event *ev, void *arg)
{
	struct watch *w = arg;
	json_t *data = json_loadb(ev->data, ev->data_len, 0, NULL);
	w->got_event = 1;
	if (w->ctx->json) {
		json_t *line = json_pack("{s:s, s:s, s:o}", "id", ev->id, "event", ev->type, "data",
					 data ? json_incref(data) : json_stringn(ev->data, ev->data_len));
		if (line) {
			json_dumpf(line, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(line);
		}
	} else {
		char cell[512];
		table_cell(data, cell, sizeof(cell));
		out_safe(stdout, ev->id[0] ? ev->id : "-");
		fputs("  ", stdout);
		out_safe(stdout, ev->type);
		fputs("  ", stdout);
		if (data)
			out_safe(stdout, cell);
		else
			out_safe(stdout, ev->data);
		fputc('\n', stdout);
	}
	fflush(stdout);
	json_decref(data);
	return w->count > 0 && ++w->seen >= w->count;
}

static int on_chunk(const char *data, size_t len, void *arg)
{
	struct watch *w = arg;
	return sse_feed(&w->parser, data, len) != 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int sse_cmd_watch(struct cli_ctx *ctx, const struct group_spec *g, const struct cmd_spec *c,
		  int argc, char **argv)
{
	struct watch w = {.ctx = ctx};
	const char *after = NULL;
	int all_tracks = 0, once = 0, ret;
	long backoff = BACKOFF_MIN_MS;
	char path[HTTP_MAX_PATH];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cmd_help(stdout, g, c);
			return CLI_OK;
		} else if ((r = cli_global_opt(ctx, argc, argv, &i)) != 0) {
			if (r < 0)
				return CLI_EUSAGE;
		} else if (!strcmp(a, "--after") && i + 1 < argc) {
			after = argv[++i];
			if (!*after || strspn(after, "0123456789") != strlen(after) || strlen(after) > 19) {
				fprintf(stderr, "error: --after needs a log index\n");
				return CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--count") && i + 1 < argc) {
			char *end;
			w.count = strtol(argv[++i], &end, 10);
			if (*end || w.count <= 0) {
				fprintf(stderr, "error: --count needs a positive number\n");
				return CLI_EUSAGE;
			}
		} else if (!strcmp(a, "--all-tracks")) {
			all_tracks = 1;
		} else if (!strcmp(a, "--once")) {
			once = 1;
		} else {
			fprintf(stderr, "error: unknown option %s (see tansiq watch --help)\n", a);
			return CLI_EUSAGE;
		}
	}
	sse_init(&w.parser, print_event, &w);
	if (after)
		snprintf(w.parser.last_id, sizeof(w.parser.last_id), "%s", after);
	for (;;) {
		int stopped;
		long status;
		path[0] = '\0';
		if (ctx->track && !all_tracks) {
			strcpy(path, "/v1/tracks/");
			if (http_append_escaped(path, sizeof(path) - 16, ctx->track, 1) != 0) {
				ret = CLI_EUSAGE;
				break;
			}
			strcat(path, "/events");
		} else {
			strcpy(path, "/v1/events");
		}
		/* Resume from the last id seen (or --after): the server sends every
		 * visible event after it, then live, without gap or duplicate. */
		w.got_event = 0;
		sse_reset(&w.parser);
		ret = http_stream(ctx, path, w.parser.last_id, on_chunk, &w, &status, &stopped);
		if (stopped && !w.parser.error) {
			ret = CLI_OK;
			break;
		}
		if (w.parser.error) {
			fprintf(stderr, "error: the server sent a malformed or oversized event\n");
			ret = CLI_ESERVER;
		}
		if (ret == CLI_ECLIENT || ret == CLI_EUSAGE || ret == CLI_ELOCAL || once)
			break;
		if (w.got_event)
			backoff = BACKOFF_MIN_MS;
		if (w.parser.retry_ms >= 0 && w.parser.retry_ms > backoff)
			backoff = w.parser.retry_ms < BACKOFF_MAX_MS ? w.parser.retry_ms : BACKOFF_MAX_MS;
		fprintf(stderr, "watch: connection %s; reconnecting in %.1f s%s%s\n",
			ret == CLI_OK ? "closed by the server" : "lost", (double)backoff / 1000.0,
			w.parser.last_id[0] ? " after event " : "", w.parser.last_id);
		sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
	sse_free(&w.parser);
	return ret;
}
