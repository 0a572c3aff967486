/*
 * fuzz_commands — an in-process tansiqd whose write endpoints get the input as
 * their JSON body, through http_local(): the same routing, authentication,
 * body parsing, validation and transaction as a network request.
 *
 * Input: byte 0 picks the endpoint ('A'..'Z' then 'a'..'z' index the table
 * below), byte 1 the caller ('0' admin, '1' IL, '2' SY, '3' RU, '4' US,
 * '5' AZ, '6' TR, '7' an IL viewer, '8' an unknown token); the rest is the
 * body, up to its first NUL (http_local takes a C string). Other bytes 0/1:
 * the input is ignored.
 *
 * The cell (made once, and again every RESET_EVERY inputs or past RESET_LOG
 * log entries, so that the store and the engines stay small): a data dir
 * created as `tansiqd init` does, parties IL SY RU US AZ TR with one operator
 * each and an IL viewer, track `t` (IL and SY principals, RU mediator, US
 * supervisor, AZ host; TR outside it) holding one object of each kind for the
 * action endpoints (a proposed demilitarized zone, an influence zone, a
 * deployment, two overlapping activities and their conflicts, a message, a
 * threat, a dispute, a daily meeting series with minutes and an action item). The sweeper and the event hub are not started.
 *
 * Promises checked (api.md Conventions, http.h, app.h): a failed request
 * changes nothing (non-2xx → log size unchanged); every committed write emits
 * an event (2xx write → log grows); the dry-run check never writes; no 5xx
 * on any body; an unknown token gets 401, a non-admin 403 on admin routes, a
 * viewer 403 on writes; no transaction or after-commit action is left open.
 * A crash may depend on the state earlier inputs built: replay it with
 * -runs=1 on a fresh process first; FUZZ_COMMANDS_VERBOSE=1 prints every
 * request and its answer.
 */
#include "fuzz_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/token.h"
#include "server/api.h"
#include "server/app.h"
#include "server/engines.h"
#include "server/http.h"

/* A fresh cell every RESET_EVERY inputs, or once the log passes RESET_LOG
 * entries: each write is re-checked against every live object of the track,
 * so a track holding hundreds of overlapping activities makes every input
 * slow (0.1-1 s under ASan) rather than more interesting. */
#define RESET_EVERY 2000
#define RESET_LOG 400
#define TARGET_BUFSZ 96 /* an occurrence id is a series id + ":" + basic UTC time */

enum target { T_NONE, T_ZONE, T_DEP, T_ACT, T_MSG, T_THR, T_DSP, T_CFL, T_CFL_INF, T_OCC, T_ACTION, T_COUNT };

enum caller { C_ADMIN, C_IL, C_SY, C_RU, C_US, C_AZ, C_TR, C_VIEWER, C_NOBODY, C_COUNT };
static const char *const caller_names[C_COUNT] = {"admin", "IL", "SY", "RU", "US", "AZ", "TR", "IL viewer", "nobody"};

#define E_WRITE 1 /* ROUTE_WRITE: commits, so a 2xx answer appends to the log */
#define E_ADMIN 2 /* ROUTE_ADMIN */

struct endpoint {
	const char *method;
	const char *path; /* "%s" = the target's id */
	enum target target;
	int flags;
};

static const struct endpoint endpoints[] = {
	/* A */ {"POST", "/v1/tracks/t/zones", T_NONE, E_WRITE},
	/* B */ {"POST", "/v1/tracks/t/deployments", T_NONE, E_WRITE},
	/* C */ {"POST", "/v1/tracks/t/activities", T_NONE, E_WRITE},
	/* D */ {"POST", "/v1/tracks/t/messages", T_NONE, E_WRITE},
	/* E */ {"POST", "/v1/tracks/t/threats", T_NONE, E_WRITE},
	/* F */ {"POST", "/v1/tracks/t/disputes", T_NONE, E_WRITE},
	/* G */ {"POST", "/v1/tracks/t/meetings/series", T_NONE, E_WRITE},
	/* H */ {"POST", "/v1/tracks/t/check", T_NONE, 0},
	/* I */ {"PATCH", "/v1/tracks/t", T_NONE, E_WRITE | E_ADMIN},
	/* J */ {"POST", "/v1/users", T_NONE, E_WRITE | E_ADMIN},
	/* K */ {"POST", "/v1/parties", T_NONE, E_WRITE | E_ADMIN},
	/* L */ {"POST", "/v1/tracks", T_NONE, E_WRITE | E_ADMIN},
	/* M */ {"POST", "/v1/tracks/t/conflicts/%s/resolve", T_CFL, E_WRITE},
	/* N */ {"POST", "/v1/tracks/t/conflicts/%s/acknowledge", T_CFL, E_WRITE},
	/* O */ {"POST", "/v1/tracks/t/conflicts/%s/consent", T_CFL_INF, E_WRITE},
	/* P */ {"POST", "/v1/tracks/t/conflicts/x/resolve", T_NONE, E_WRITE},
	/* Q */ {"POST", "/v1/tracks/t/zones/%s/accept", T_ZONE, E_WRITE},
	/* R */ {"POST", "/v1/tracks/t/zones/%s/reject", T_ZONE, E_WRITE},
	/* S */ {"DELETE", "/v1/tracks/t/zones/%s", T_ZONE, E_WRITE},
	/* T */ {"PATCH", "/v1/tracks/t/deployments/%s", T_DEP, E_WRITE},
	/* U */ {"DELETE", "/v1/tracks/t/deployments/%s", T_DEP, E_WRITE},
	/* V */ {"PATCH", "/v1/tracks/t/activities/%s", T_ACT, E_WRITE},
	/* W */ {"POST", "/v1/tracks/t/activities/%s/cancel", T_ACT, E_WRITE},
	/* X */ {"POST", "/v1/tracks/t/activities/%s/acknowledge", T_ACT, E_WRITE},
	/* Y */ {"POST", "/v1/tracks/t/messages/%s/ack", T_MSG, E_WRITE},
	/* Z */ {"POST", "/v1/tracks/t/threats/%s/respond", T_THR, E_WRITE},
	/* a */ {"POST", "/v1/tracks/t/disputes/%s/respond", T_DSP, E_WRITE},
	/* b */ {"POST", "/v1/tracks/t/disputes/%s/mediate", T_DSP, E_WRITE},
	/* c */ {"POST", "/v1/tracks/t/disputes/%s/resolve", T_DSP, E_WRITE},
	/* d */ {"POST", "/v1/tracks/t/disputes/%s/withdraw", T_DSP, E_WRITE},
	/* e */ {"POST", "/v1/tracks/t/meetings/%s/minutes", T_OCC, E_WRITE},
	/* f */ {"POST", "/v1/tracks/t/actions/%s/done", T_ACTION, E_WRITE},
};
#define N_ENDPOINTS (sizeof endpoints / sizeof endpoints[0])

static struct {
	int ready;
	char dir[256];
	struct app app;
	char token[C_COUNT][TOKEN_BUFSZ];
	char target[T_COUNT][TARGET_BUFSZ];
	unsigned long inputs;
} g;
static int verbose; /* FUZZ_COMMANDS_VERBOSE set: print each request and its answer */

/* ---- the cell ------------------------------------------------------------ */

/* One seeding request; anything but 2xx aborts (the harness would test nothing). */
static json_t *seed(enum caller c, const char *method, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static json_t *seed(enum caller c, const char *method, const char *path, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	int status = 0;
	json_t *out = NULL;
	va_start(ap, fmt);
	vsnprintf(body, sizeof body, fmt, ap);
	va_end(ap);
	if (http_local(&g.app, g.token[c], method, path, body, &status, &out) || status < 200 || status >= 300) {
		char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
		fprintf(stderr, "fuzz_commands: seeding %s %s as %s → %d %s\n", method, path, caller_names[c], status,
			text ? text : "");
		abort();
	}
	return out;
}

static void seed_id(enum target t, json_t *obj, const char *key)
{
	const char *id = json_string_value(json_object_get(obj, key));
	FUZZ_CHECK(id, "seeded object without %s", key);
	snprintf(g.target[t], sizeof g.target[t], "%s", id);
	json_decref(obj);
}

static const char *at(tq_time t, char buf[TQTIME_BUFSZ])
{
	tqtime_format(t, buf);
	return buf;
}

/* Midnight UTC `days` days from now. */
static tq_time midnight(tq_time now, int days)
{
	struct tq_civil c;
	tqtime_to_civil(now + days * 86400000LL, &c);
	c.hour = c.minute = c.second = c.ms = 0;
	return tqtime_from_civil(&c);
}

/* api.md rule 10: <series id>:<start in RFC 5545 UTC basic form>. */
static void occ_id(const char *series, tq_time start, char out[TARGET_BUFSZ])
{
	char basic[TQTIME_BUFSZ];
	tqtime_format_basic(start, basic);
	snprintf(out, TARGET_BUFSZ, "%s:%s", series, basic);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* A crashed run (abort skips atexit) leaves its dir behind: remove the dirs
 * of processes that are gone. */
static void remove_stale_dirs(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	char path[600];
	long pid;
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "tansiq-fuzz-%ld-", &pid) != 1 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", base, e->d_name);
		remove_dir(path);
	}
	closedir(d);
}

/* As initialise() in src/server/main.c: dir, server.key, store with its
 * origin, the cell admin. */
static void make_dir(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ?: "/tmp");
	char path[512];
	uint8_t pk[32], sk[64], rnd[8];
	char hex[17], origin[64];
	struct store *s = NULL;
	json_t *admin = NULL;
	int fd;

	remove_stale_dirs(base);
	snprintf(g.dir, sizeof g.dir, "%s/tansiq-fuzz-%ld-XXXXXX", base, (long)getpid());
	FUZZ_CHECK(mkdtemp(g.dir), "mkdtemp %s: %s", g.dir, strerror(errno));
	snprintf(path, sizeof path, "%s/server.key", g.dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0, "cannot create %s", path);
	crypto_sign_keypair(pk, sk);
	FUZZ_CHECK(write(fd, sk, sizeof sk) == (ssize_t)sizeof sk, "cannot write %s", path);
	close(fd);
	snprintf(path, sizeof path, "%s/tansiq.db", g.dir);
	FUZZ_CHECK(store_open(path, 1, &s) == TQ_OK, "cannot create %s", path);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	snprintf(origin, sizeof origin, "tansiq.cell/%s", hex);
	FUZZ_CHECK(store_meta_set(s, "origin", origin) == TQ_OK, "meta origin");
	store_close(s);
	FUZZ_CHECK(app_open(&g.app, g.dir) == TQ_OK, "app_open %s", g.dir);

	struct req r = {.app = &g.app, .now = app_now()};
	snprintf(r.who.user, sizeof r.who.user, "tansiqd");
	snprintf(r.who.role, sizeof r.who.role, "server");
	FUZZ_CHECK(commit_new(&g.app, &r.who, r.now, &r.commit) == TQ_OK, "batch");
	FUZZ_CHECK(api_user_create(&r, "admin", NULL, "admin", NULL, &admin) == TQ_OK, "admin: %s", r.detail);
	FUZZ_CHECK(commit_apply(r.commit) == TQ_OK, "commit");
	commit_free(r.commit);
	snprintf(g.token[C_ADMIN], TOKEN_BUFSZ, "%s", json_string_value(json_object_get(admin, "token")));
	json_decref(admin);
}

static void seed_cell(void)
{
	static const char *const parties[] = {"IL", "SY", "RU", "US", "AZ", "TR"};
	const tq_time now = app_now();
	char t0[TQTIME_BUFSZ], t1[TQTIME_BUFSZ], path[256];
	json_t *o, *c;
	size_t i;

	for (i = 0; i < 6; i++) {
		json_decref(seed(C_ADMIN, "POST", "/v1/parties", "{\"id\":\"%s\",\"name\":\"Party %s\"}", parties[i],
				 parties[i]));
		o = seed(C_ADMIN, "POST", "/v1/users", "{\"name\":\"op-%s\",\"party\":\"%s\",\"role\":\"operator\"}",
			 parties[i], parties[i]);
		snprintf(g.token[C_IL + i], TOKEN_BUFSZ, "%s", json_string_value(json_object_get(o, "token")));
		json_decref(o);
	}
	o = seed(C_ADMIN, "POST", "/v1/users", "{\"name\":\"viewer-IL\",\"party\":\"IL\",\"role\":\"viewer\"}");
	snprintf(g.token[C_VIEWER], TOKEN_BUFSZ, "%s", json_string_value(json_object_get(o, "token")));
	json_decref(o);
	snprintf(g.token[C_NOBODY], TOKEN_BUFSZ, "tq_not-a-token");
	json_decref(seed(C_ADMIN, "POST", "/v1/tracks",
			 "{\"id\":\"t\",\"name\":\"fuzz\",\"members\":[{\"party\":\"IL\",\"role\":\"principal\"},"
			 "{\"party\":\"SY\",\"role\":\"principal\"},{\"party\":\"RU\",\"role\":\"mediator\"},"
			 "{\"party\":\"US\",\"role\":\"supervisor\"},{\"party\":\"AZ\",\"role\":\"host\"}]}"));

	/* Zones, a deployment and two activities: IL's sortie enters SY's area of
	 * influence (influence_entry, SY may consent) and meets SY's UAV
	 * (activity_overlap, RU or US may waive it). */
	seed_id(T_ZONE,
		seed(C_IL, "POST", "/v1/tracks/t/zones",
		     "{\"kind\":\"demilitarized\",\"name\":\"dmz\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
		     "[[[35.78,32.70],[35.86,32.70],[35.90,33.00],[35.79,33.13],[35.78,32.70]]]}}"),
		"id");
	json_decref(seed(C_SY, "POST", "/v1/tracks/t/zones",
			 "{\"kind\":\"influence\",\"name\":\"influence\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
			 "[[[36.0,33.0],[36.2,33.0],[36.2,33.2],[36.0,33.2],[36.0,33.0]]]}}"));
	seed_id(T_DEP,
		seed(C_SY, "POST", "/v1/tracks/t/deployments",
		     "{\"unit\":\"brigade\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[36.3,33.3]},\"radius_m\":1000,"
		     "\"strength\":{\"troops\":100,\"tanks\":4}}"),
		"id");
	seed_id(T_ACT,
		seed(C_IL, "POST", "/v1/tracks/t/activities",
		     "{\"kind\":\"air_sortie\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[36.05,33.05],"
		     "[36.15,33.05],[36.15,33.15],[36.05,33.15],[36.05,33.05]]]},\"altitude\":{\"min_m\":1000,"
		     "\"max_m\":4500},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
		     at(now + 2 * 3600000LL, t0), at(now + 3 * 3600000LL, t1)),
		"id");
	json_decref(seed(C_SY, "POST", "/v1/tracks/t/activities",
			 "{\"kind\":\"uav\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[36.1,33.1]},\"radius_m\":5000,"
			 "\"altitude\":{\"min_m\":2000,\"max_m\":3000},\"window\":{\"start\":\"%s\",\"end\":\"%s\"}}",
			 at(now + 2 * 3600000LL, t0), at(now + 3 * 3600000LL, t1)));
	o = seed(C_RU, "GET", "/v1/tracks/t/conflicts", "%s", "");
	json_array_foreach(json_object_get(o, "items"), i, c) {
		const char *kind = json_string_value(json_object_get(c, "kind"));
		enum target t = kind && strcmp(kind, "influence_entry") == 0 ? T_CFL_INF : T_CFL;
		snprintf(g.target[t], TARGET_BUFSZ, "%s", json_string_value(json_object_get(c, "id")));
	}
	json_decref(o);
	FUZZ_CHECK(g.target[T_CFL][0] && g.target[T_CFL_INF][0], "the seeded activities found no conflicts");

	seed_id(T_MSG,
		seed(C_IL, "POST", "/v1/tracks/t/messages",
		     "{\"to\":\"all\",\"precedence\":\"immediate\",\"subject\":\"s\",\"body\":\"b\"}"),
		"id");
	seed_id(T_THR,
		seed(C_IL, "POST", "/v1/tracks/t/threats",
		     "{\"category\":\"armed_group\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[35.82,33.13]},"
		     "\"observed_at\":\"%s\",\"description\":\"d\",\"confidence\":\"medium\",\"refer_to\":\"SY\"}",
		     at(now - 3600000LL, t0)),
		"id");
	seed_id(T_DSP,
		seed(C_SY, "POST", "/v1/tracks/t/disputes", "{\"against\":\"IL\",\"subject\":\"s\",\"description\":\"d\"}"),
		"id");

	/* A daily series that began three days ago: two meetings already held;
	 * minutes of the second, with an action item for IL. */
	char series[APP_ID_BUFSZ], occ2[TARGET_BUFSZ];
	o = seed(C_AZ, "POST", "/v1/tracks/t/meetings/series",
		 "{\"title\":\"talks\",\"venue\":\"Baku\",\"host\":\"AZ\",\"start\":\"%s\",\"duration\":\"PT1H\","
		 "\"rrule\":\"FREQ=DAILY\"}",
		 at(midnight(now, -3), t0));
	snprintf(series, sizeof series, "%s", json_string_value(json_object_get(o, "id")));
	json_decref(o);
	occ_id(series, midnight(now, -3), g.target[T_OCC]);
	occ_id(series, midnight(now, -2), occ2);
	snprintf(path, sizeof path, "/v1/tracks/t/meetings/%s/minutes", occ2);
	o = seed(C_AZ, "POST", path, "{\"text\":\"t\",\"actions\":[{\"owner\":\"IL\",\"text\":\"x\",\"due\":\"%s\"}]}",
		 at(now + 86400000LL, t0));
	const char *action = json_string_value(json_array_get(json_object_get(o, "actions"), 0));
	FUZZ_CHECK(action, "minutes without an action item");
	snprintf(g.target[T_ACTION], TARGET_BUFSZ, "%s", action);
	json_decref(o);
}

static void teardown(void)
{
	if (!g.ready)
		return;
	engines_free(&g.app);
	app_close(&g.app);
	remove_dir(g.dir);
	memset(&g, 0, sizeof g);
}

static void setup(void)
{
	memset(&g, 0, sizeof g);
	make_dir();
	if (engines_load(&g.app))
		fprintf(stderr, "fuzz_commands: engines_load failed; built on first use\n");
	seed_cell();
	g.ready = 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(sodium_init() >= 0, "libsodium");
	verbose = getenv("FUZZ_COMMANDS_VERBOSE") != NULL;
	setup();
	atexit(teardown);
	return 0;
}

/* ---- one request --------------------------------------------------------- */

struct outcome {
	const struct endpoint *ep;
	const char *path;
	int caller, status;
	const json_t *out;
	uint64_t before, after;
};

/* The request and its answer, for a failed check or FUZZ_COMMANDS_VERBOSE. */
static const char *describe(const struct outcome *o)
{
	static char buf[2048];
	char *text = o->out ? json_dumps(o->out, JSON_COMPACT) : NULL;
	snprintf(buf, sizeof buf, "%s %s as %s → %d %s (log %llu → %llu)", o->ep->method, o->path,
		 caller_names[o->caller], o->status, text ? text : "(no body)", (unsigned long long)o->before,
		 (unsigned long long)o->after);
	free(text);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int e = data[0] >= 'A' && data[0] <= 'Z'   ? data[0] - 'A'
		: data[0] >= 'a' && data[0] <= 'z' ? 26 + data[0] - 'a'
						   : -1;
	int c = data[1] - '0';
	if (e < 0 || (size_t)e >= N_ENDPOINTS || c < 0 || c >= C_COUNT)
		return 0;
	uint64_t before = 0, after = 0;
	FUZZ_CHECK(store_log_size(g.app.store, &before) == TQ_OK, "log size");
	if (++g.inputs % RESET_EVERY == 0 || before > RESET_LOG) {
		unsigned long inputs = g.inputs;
		teardown();
		setup();
		g.inputs = inputs;
		FUZZ_CHECK(store_log_size(g.app.store, &before) == TQ_OK, "log size");
	}
	const struct endpoint *ep = &endpoints[e];
	char path[256];
	snprintf(path, sizeof path, ep->path, g.target[ep->target]);
	char *body = malloc(size - 1);
	if (!body)
		return 0;
	memcpy(body, data + 2, size - 2);
	body[size - 2] = '\0';

	int status = 0;
	json_t *out = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = http_local(&g.app, g.token[c], ep->method, path, body, &status, &out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	FUZZ_CHECK(store_log_size(g.app.store, &after) == TQ_OK, "log size");

	struct outcome o = {ep, path, c, status, out, before, after};
	if (verbose)
		fprintf(stderr, "%.1f ms %s\n", (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
			describe(&o));
	FUZZ_CHECK(status >= 200 && status < 500, "%s", describe(&o));
	FUZZ_CHECK(rc == TQ_OK || status >= 300, "%s", describe(&o));
	if (status >= 300)
		FUZZ_CHECK(after == before, "a failed request changed the log: %s", describe(&o));
	else if (ep->flags & E_WRITE)
		FUZZ_CHECK(after > before, "a successful write emitted no event: %s", describe(&o));
	else
		FUZZ_CHECK(after == before, "the dry-run check wrote to the log: %s", describe(&o));
	if (c == C_NOBODY)
		FUZZ_CHECK(status == 401, "%s", describe(&o));
	else if ((ep->flags & E_ADMIN) && c != C_ADMIN)
		FUZZ_CHECK(status == 403, "%s", describe(&o));
	else if ((ep->flags & E_WRITE) && c == C_VIEWER)
		FUZZ_CHECK(status == 403, "%s", describe(&o));
	/* http_local builds the problem with json_pack, as the network path does:
	 * NULL means the client would get an empty problem+json body (e.g. a
	 * detail that is not valid UTF-8). */
	FUZZ_CHECK(status == 204 || out, "no JSON answer: %s", describe(&o));
	FUZZ_CHECK(!g.app.open_batch, "transaction left open: %s", describe(&o));
	json_decref(out);
	free(body);
	return 0;
}
