/*
 * tansiqd — the tansiq server.
 *
 *   tansiqd init [--data DIR] [--store postgresql://…]
 *   tansiqd [--data DIR] [--store postgresql://…] [--listen ADDR:PORT] [--demo] [--insecure]
 *           [--tls-cert FILE --tls-key FILE] [connection and stream caps, see usage()]
 *           [--cot-listen ADDR:PORT [--cot-tls-cert FILE --cot-tls-key FILE]
 *            | --cot-insecure --cot-insecure-user NAME]
 *           [--test-hooks [--clock-offset DURATION]]   (tests only; loopback only)
 *
 * Exit codes (api.md, operations contract): 0 clean stop, 1 usage or
 * configuration error, 2 store cannot be opened or is corrupt.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/token.h"
#include "core/tqtime.h"
#include "server/api.h"
#include "server/group.h"
#include "server/ca.h"
#include "server/certs.h"
#include "server/cot_server.h"
#include "server/app.h"
#include "server/demo.h"
#include "server/engines.h"
#include "server/follow.h"
#include "server/http.h"
#include "server/static.h"
#include "server/hub.h"
#include "server/connguard.h"
#include "server/ratelimit.h"
#include "server/sweeper.h"
#include "server/witness.h"

#define EXIT_USAGE 1
#define EXIT_STORE 2

struct options {
	const char *data;
	const char *store;  /* postgresql://…; NULL: DIR/tansiq.db (SQLite) */
	const char *listen;
	const char *tls_cert, *tls_key;
	const char *web;   /* the console's files; NULL: the source tree's web/ */
	int demo, insecure, init;
	double rate_limit;
	const char *witness[WITNESS_MAX];  /* --witness URL=VKEY */
	size_t n_witness;
	double login_rate;         /* POST /v1/session per address per second (per name: a fifth) */
	int test_hooks;            /* /v1/test/ routes (testhooks.h); tests only */
	int64_t clock_offset_ms;   /* --clock-offset: the test clock starts this far ahead */
	long group_commit;         /* --group-commit: writes sharing one transaction at most (1 = off) */
	struct hub_limits streams;
	unsigned max_requests, max_requests_per_address, header_timeout_s;
	struct cot_options cot; /* cot.listen NULL: no TAK gateway */
};

/* Option codes without a short form. */
enum {
	OPT_MAX_CONNECTIONS = 1000,
	OPT_MAX_CONNECTIONS_PER_ADDRESS,
	OPT_HEADER_TIMEOUT,
	OPT_MAX_STREAMS,
	OPT_MAX_STREAMS_PER_USER,
	OPT_MAX_STREAMS_PER_ADDRESS,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tansiqd init [--data DIR] [--store postgresql://...]\n"
		   "       tansiqd [--data DIR] [--store postgresql://...] [--listen ADDR:PORT] [--demo] [--insecure]\n"
		   "               [--tls-cert FILE --tls-key FILE] [--rate-limit N] [--web DIR]\n"
		   "               [--cot-listen ADDR:PORT [--cot-tls-cert FILE --cot-tls-key FILE]]\n"
		   "               [--cot-insecure --cot-insecure-user NAME]  (plain CoT, loopback only)\n"
		   "               [--witness URL=VKEY]...   (C2SP tlog-witness; repeatable)\n"
		   "defaults: --data ./tansiq-data --listen 127.0.0.1:8080 --rate-limit 100 (per user per second;\n"
		   "          each source address gets 4x) --web <source tree>/web (node_modules beside it)\n"
		   "          --login-rate 5 (logins per address per second, burst 2x; per user name a fifth,\n"
		   "          burst 1x; 0 = off) --group-commit 64 (concurrent writes sharing one fsync at most;\n"
		   "          1 = every write commits alone)\n"
		   "tests only: --test-hooks (POST /v1/test/clock, /v1/test/deadline-faults; loopback only)\n"
		   "            --clock-offset DURATION (with --test-hooks: the clock starts that far ahead)\n"
		   "connection slots (0 = default):\n"
		   "  --max-connections N              connections that are not event streams (default %u)\n"
		   "  --max-connections-per-address N  the same, per source address (default %u)\n"
		   "  --header-timeout S               seconds to send a request's headers (default %u)\n"
		   "  --max-streams N                  open event streams (default %u)\n"
		   "  --max-streams-per-user N         open event streams of one user (default %u)\n"
		   "  --max-streams-per-address N      open event streams from one address (default %u)\n",
		CONNGUARD_DEFAULT_MAX_REQUESTS, CONNGUARD_DEFAULT_PER_ADDRESS, CONNGUARD_DEFAULT_HEADER_TIMEOUT_S,
		HUB_DEFAULT_MAX_STREAMS, HUB_DEFAULT_STREAMS_PER_USER, HUB_DEFAULT_STREAMS_PER_ADDRESS);
}

/* A count option: an integer from 0 (the default) to 1,000,000. */
static int parse_count(const char *arg, const char *name, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || v > 1000000) {
		fprintf(stderr, "tansiqd: %s wants an integer from 0 (the default) to 1000000\n", name);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},   {"store", required_argument, NULL, 'S'},   {"listen", required_argument, NULL, 'l'},
		{"demo", no_argument, NULL, 'D'},         {"insecure", no_argument, NULL, 'I'},
		{"tls-cert", required_argument, NULL, 'c'}, {"tls-key", required_argument, NULL, 'k'},
		{"rate-limit", required_argument, NULL, 'r'}, {"web", required_argument, NULL, 'w'},
		{"cot-listen", required_argument, NULL, 'C'}, {"cot-tls-cert", required_argument, NULL, 'E'},
		{"cot-tls-key", required_argument, NULL, 'K'}, {"cot-insecure", no_argument, NULL, 'N'},
		{"cot-insecure-user", required_argument, NULL, 'U'},
		{"witness", required_argument, NULL, 'W'}, {"help", no_argument, NULL, 'h'},
		{"login-rate", required_argument, NULL, 'L'}, {"group-commit", required_argument, NULL, 'G'},
		{"test-hooks", no_argument, NULL, 'T'},   {"clock-offset", required_argument, NULL, 'O'},
		{"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
		{"max-connections-per-address", required_argument, NULL, OPT_MAX_CONNECTIONS_PER_ADDRESS},
		{"header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT},
		{"max-streams", required_argument, NULL, OPT_MAX_STREAMS},
		{"max-streams-per-user", required_argument, NULL, OPT_MAX_STREAMS_PER_USER},
		{"max-streams-per-address", required_argument, NULL, OPT_MAX_STREAMS_PER_ADDRESS},
		{NULL, 0, NULL, 0},
	};
	int c;
	o->data = "./tansiq-data";
	o->listen = "127.0.0.1:8080";
	o->rate_limit = 100;
	o->login_rate = 5;
	o->group_commit = APP_GROUP_MAX_DEFAULT;
	if (argc > 1 && strcmp(argv[1], "init") == 0) {
		o->init = 1;
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->data = optarg; break;
		case 'S':
			if (!store_is_postgres(optarg)) {
				fprintf(stderr, "tansiqd: --store wants a postgresql:// URI\n");
				return -1;
			}
			o->store = optarg;
			break;
		case 'l': o->listen = optarg; break;
		case 'D': o->demo = 1; break;
		case 'I': o->insecure = 1; break;
		case 'c': o->tls_cert = optarg; break;
		case 'k': o->tls_key = optarg; break;
		case 'w': o->web = optarg; break;
		case 'C': o->cot.listen = optarg; break;
		case 'E': o->cot.tls_cert = optarg; break;
		case 'K': o->cot.tls_key = optarg; break;
		case 'N': o->cot.insecure = 1; break;
		case 'U': o->cot.insecure_user = optarg; break;
		case 'W':
			if (o->n_witness == WITNESS_MAX || witness_spec_check(optarg) != 0) {
				if (o->n_witness == WITNESS_MAX)
					fprintf(stderr, "tansiqd: at most %d --witness\n", WITNESS_MAX);
				return -1;
			}
			o->witness[o->n_witness++] = optarg;
			break;
		case 'T': o->test_hooks = 1; break;
		case 'L': {
			char *end;
			o->login_rate = strtod(optarg, &end);
			if (*end || o->login_rate < 0 || o->login_rate > 1e4) {
				fprintf(stderr, "tansiqd: --login-rate wants logins per second (0 = off)\n");
				return -1;
			}
			break;
		}
		case 'G': {
			char *end;
			o->group_commit = strtol(optarg, &end, 10);
			if (*end || o->group_commit < 1 || o->group_commit > 4096) {
				fprintf(stderr, "tansiqd: --group-commit wants writes per transaction, 1 to 4096 (1 = off)\n");
				return -1;
			}
			break;
		}
		case 'O':
			if (tqtime_duration_parse(optarg, &o->clock_offset_ms) != TQ_OK) {
				fprintf(stderr, "tansiqd: --clock-offset wants an ISO 8601 duration\n");
				return -1;
			}
			break;
		case 'r': {
			char *end;
			o->rate_limit = strtod(optarg, &end);
			if (*end || o->rate_limit < 0 || o->rate_limit > 1e6) {
				fprintf(stderr, "tansiqd: --rate-limit wants requests per second (0 = off)\n");
				return -1;
			}
			break;
		}
		case OPT_MAX_CONNECTIONS:
			if (parse_count(optarg, "--max-connections", &o->max_requests))
				return -1;
			break;
		case OPT_MAX_CONNECTIONS_PER_ADDRESS:
			if (parse_count(optarg, "--max-connections-per-address", &o->max_requests_per_address))
				return -1;
			break;
		case OPT_HEADER_TIMEOUT:
			if (parse_count(optarg, "--header-timeout", &o->header_timeout_s))
				return -1;
			break;
		case OPT_MAX_STREAMS:
			if (parse_count(optarg, "--max-streams", &o->streams.max_streams))
				return -1;
			break;
		case OPT_MAX_STREAMS_PER_USER:
			if (parse_count(optarg, "--max-streams-per-user", &o->streams.streams_per_user))
				return -1;
			break;
		case OPT_MAX_STREAMS_PER_ADDRESS:
			if (parse_count(optarg, "--max-streams-per-address", &o->streams.streams_per_address))
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (!o->cot.listen && (o->cot.tls_cert || o->cot.tls_key || o->cot.insecure || o->cot.insecure_user)) {
		fprintf(stderr, "tansiqd: the --cot-* options need --cot-listen ADDR:PORT\n");
		return -1;
	}
	if (o->clock_offset_ms && !o->test_hooks) {
		fprintf(stderr, "tansiqd: --clock-offset is a test control; it needs --test-hooks\n");
		return -1;
	}
	return 0;
}

/* 1 initialised, 0 not, -1 the database cannot be reached. */
static int is_initialised(const char *dir, const char *store)
{
	char path[1200];
	if (store) {
		struct store *s;
		int rc = store_open(store, 0, &s);
		store_close(rc ? NULL : s);
		return rc == TQ_OK ? 1 : rc == TQ_ENOTFOUND ? 0 : -1;
	}
	snprintf(path, sizeof path, "%s/tansiq.db", dir);
	return access(path, F_OK) == 0;
}

/* Creates DIR, the store, the signing key and the cell admin. Prints nothing;
 * the admin token goes to token_out. Exit code on failure. */
static int initialise(const char *dir, const char *store, char token_out[TOKEN_BUFSZ])
{
	char path[1200], origin[64];
	uint8_t pk[32], sk[64], rnd[8];
	struct store *s = NULL;
	struct app app;
	json_t *admin = NULL;
	int fd, rc;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "tansiqd: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_USAGE;
	}
	snprintf(path, sizeof path, "%s/server.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "tansiqd: cannot create %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	crypto_sign_keypair(pk, sk);
	rc = write(fd, sk, sizeof sk) == (ssize_t)sizeof sk && fsync(fd) == 0 ? 0 : -1;
	close(fd);
	sodium_memzero(sk, sizeof sk);
	if (rc) {
		fprintf(stderr, "tansiqd: cannot write %s\n", path);
		return EXIT_STORE;
	}
	snprintf(path, sizeof path, "%s/tansiq.db", dir);
	if ((rc = store_open(store ? store : path, 1, &s))) {
		if (rc == TQ_ECONFLICT) {
			fprintf(stderr, "tansiqd: the database is already initialised; nothing changed\n");
			return EXIT_USAGE;
		}
		fprintf(stderr, "tansiqd: cannot create the store %s\n", store ? "in the database" : path);
		return EXIT_STORE;
	}
	/* The origin names this log in checkpoints and is the key's name: unique per cell. */
	randombytes_buf(rnd, sizeof rnd);
	char hex[17];
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	snprintf(origin, sizeof origin, "tansiq.cell/%s", hex);
	rc = store_meta_set(s, "origin", origin);
	store_close(s);
	if (rc || app_open_store(&app, dir, store))
		return EXIT_STORE;

	struct req r = {.app = &app, .now = app_now()};
	snprintf(r.who.user, sizeof r.who.user, "tansiqd");
	snprintf(r.who.role, sizeof r.who.role, "server");
	if (commit_new(&app, &r.who, r.now, &r.commit) ||
	    api_user_create(&r, "admin", NULL, "admin", NULL, &admin) || commit_apply(r.commit)) {
		fprintf(stderr, "tansiqd: cannot create the cell admin: %s\n", r.detail);
		commit_free(r.commit);
		json_decref(admin);
		app_close(&app);
		return EXIT_STORE;
	}
	commit_free(r.commit);
	snprintf(token_out, TOKEN_BUFSZ, "%s", json_string_value(json_object_get(admin, "token")));
	json_decref(admin);
	/* The cell CA of the TAK gateway (ca.h): DIR/ca.pem, DIR/ca.key 0600. */
	int created;
	rc = ca_ensure(dir, app.origin, app_now(), &created);
	app_close(&app);
	if (rc) {
		fprintf(stderr, "tansiqd: cannot create the cell CA in %s\n", dir);
		return EXIT_STORE;
	}
	return 0;
}

/* make demo: a TAK data package per demo user, DIR/tak/<name>.zip (0600),
 * unless it is there already. The names are those of demo-passwords.json. */
static void demo_tak_packages(struct app *a)
{
	char path[1200];
	const char *name;
	json_t *v;
	snprintf(path, sizeof path, "%s/demo-passwords.json", a->data_dir);
	json_t *users = json_load_file(path, 0, NULL);
	snprintf(path, sizeof path, "%s/tak", a->data_dir);
	if (!users || (mkdir(path, 0700) != 0 && errno != EEXIST)) {
		json_decref(users);
		return;
	}
	json_object_foreach(users, name, v) {
		struct store_user u;
		unsigned char *zip = NULL;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/tak/%s.zip", a->data_dir, name);
		if (access(path, F_OK) == 0)
			continue;
		group_lock_read(a);
		int rc = store_user_by_name(a->store, name, &u);
		group_unlock(a);
		if (rc)
			continue;
		rc = certs_tak_package(a, u.id, u.name, u.party, app_now(), &zip, &len);
		store_user_clear(&u);
		int fd = rc ? -1 : open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (write(fd, zip, len) != (ssize_t)len)
				unlink(path);
			close(fd);
		}
		free(zip);
	}
	json_decref(users);
	printf("TAK data packages: %s/tak/<user>.zip\n", a->data_dir);
}

static int is_loopback(const char *listen)
{
	return strncmp(listen, "127.", 4) == 0 || strncmp(listen, "[::1]:", 6) == 0 ||
	       strncmp(listen, "localhost:", 10) == 0;
}

static void login_limits_free(struct app *a)
{
	ratelimit_free(a->rate_login_addr);
	ratelimit_free(a->rate_login_name);
	a->rate_login_addr = a->rate_login_name = NULL;
}

static int serve(const struct options *o)
{
	struct app app;
	struct MHD_Daemon *daemon = NULL;
	struct http_options hopts = {.listen = o->listen, .tls_cert = o->tls_cert, .tls_key = o->tls_key,
				     .rate_limit = o->rate_limit, .max_requests = o->max_requests,
				     .max_requests_per_address = o->max_requests_per_address,
				     .header_timeout_s = o->header_timeout_s, .max_streams = o->streams.max_streams};
	sigset_t set;
	int sig, rc;

	if (!is_loopback(o->listen) && !o->tls_cert && !o->insecure) {
		fprintf(stderr, "tansiqd: refusing to listen on %s without TLS; give --tls-cert/--tls-key, "
				"or --insecure if you really mean it\n", o->listen);
		return EXIT_USAGE;
	}
	if (o->test_hooks && !is_loopback(o->listen)) {
		fprintf(stderr, "tansiqd: --test-hooks moves the clock: refused on %s (loopback only)\n", o->listen);
		return EXIT_USAGE;
	}
	if (o->test_hooks) {
		fprintf(stderr, "tansiqd: TEST HOOKS ON (/v1/test/): never run a real cell like this\n");
		app_clock_advance(o->clock_offset_ms);
	}
	if (o->demo && !is_initialised(o->data, o->store)) {
		char token[TOKEN_BUFSZ];
		if ((rc = initialise(o->data, o->store, token)))
			return rc;
		if (app_open_store(&app, o->data, o->store))
			return EXIT_STORE;
		rc = demo_seed(&app, token);
		sodium_memzero(token, sizeof token);
		engines_free(&app);
		app_close(&app);
		if (rc) {
			fprintf(stderr, "tansiqd: the demo seed failed\n");
			return EXIT_STORE;
		}
	}
	if ((rc = app_open_store(&app, o->data, o->store)))
		return rc == TQ_EIO ? EXIT_STORE : EXIT_USAGE;
	app.test_clock = o->test_hooks;
	app.group_max = (unsigned)o->group_commit;
	if (o->login_rate > 0) {
		app.rate_login_addr = ratelimit_new(o->login_rate, 2 * o->login_rate);
		app.rate_login_name = ratelimit_new(o->login_rate / 5, o->login_rate);
	}
	if (engines_load(&app))
		fprintf(stderr, "tansiqd: conflict engines could not be built now; retried on first use\n");

	/* Signals are taken synchronously by this thread; the server's threads never see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	static_configure(o->web);
	/* Before the HTTP threads: curl_global_init is not for a threaded program. */
	if (witness_start(&app, o->witness, o->n_witness)) {
		fprintf(stderr, "tansiqd: cannot start the witness clients\n");
		engines_free(&app);
		app_close(&app);
		return EXIT_USAGE;
	}
	if (hub_start(&app, &o->streams) || http_start(&app, &hopts, &daemon)) {
		witness_stop(&app);
		hub_free(&app);
		login_limits_free(&app);
		app_close(&app);
		return EXIT_USAGE;
	}
	if (follow_start(&app, o->store)) {
		fprintf(stderr, "tansiqd: cannot follow the shared store\n");
		witness_stop(&app);
		hub_close(&app);
		http_stop(&app, daemon);
		hub_free(&app);
		login_limits_free(&app);
		app_close(&app);
		return EXIT_STORE;
	}
	struct cot_server *cot = NULL;
	if (o->cot.listen) {
		certs_configure(o->cot.listen);
		if (cot_start(&app, &o->cot, &cot)) {
			witness_stop(&app);
			follow_stop(&app);
			hub_close(&app);
			http_stop(&app, daemon);
			hub_free(&app);
			engines_free(&app);
			login_limits_free(&app);
			app_close(&app);
			return EXIT_USAGE;
		}
		if (o->demo)
			demo_tak_packages(&app);
		printf("CoT (TAK) on %s://%s\n", o->cot.insecure ? "tcp" : "ssl", o->cot.listen);
	}
	if (api_deadlines_register(&app) || sweeper_start(&app)) {
		cot_stop(cot);
		witness_stop(&app);
		follow_stop(&app);
		hub_close(&app);
		http_stop(&app, daemon);
		hub_free(&app);
		login_limits_free(&app);
		app_close(&app);
		return EXIT_STORE;
	}
	if (o->demo) {
		char path[1200];
		snprintf(path, sizeof path, "%s/demo-tokens.json", o->data);
		json_t *tokens = json_load_file(path, 0, NULL);
		if (tokens) {
			char *text = json_dumps(tokens, JSON_INDENT(2) | JSON_SORT_KEYS);
			printf("demo tokens (%s):\n%s\n", path, text ? text : "");
			free(text);
			json_decref(tokens);
		}
	}
	printf("listening on %s://%s\n", o->tls_cert ? "https" : "http", o->listen);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "tansiqd: signal %d, stopping\n", sig);
	cot_stop(cot); /* first: its GeoChat posts are writes */
	sweeper_stop(&app);
	witness_stop(&app);
	follow_stop(&app);
	hub_close(&app); /* ends the event streams: MHD must not stop with suspended connections */
	http_stop(&app, daemon);
	/* A shared transaction left open holds writes answered only if it commits. */
	group_lock_read(&app);
	group_unlock(&app);
	hub_free(&app);
	engines_free(&app);
	login_limits_free(&app);
	fprintf(stderr, "tansiqd: %llu writes in %llu transactions\n", (unsigned long long)app.group_writes,
		(unsigned long long)app.group_commits);
	app_close(&app);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	if (sodium_init() < 0) {
		fprintf(stderr, "tansiqd: libsodium failed to initialise\n");
		return EXIT_USAGE;
	}
	if (parse_options(argc, argv, &o))
		return EXIT_USAGE;
	if (o.init) {
		char token[TOKEN_BUFSZ];
		int init = is_initialised(o.data, o.store);
		if (init > 0) {
			fprintf(stderr, "tansiqd: %s is already initialised; nothing changed\n", o.store ? "the database" : o.data);
			return EXIT_USAGE;
		}
		if (init < 0) {
			fprintf(stderr, "tansiqd: cannot reach the database\n");
			return EXIT_STORE;
		}
		int rc = initialise(o.data, o.store, token);
		if (rc)
			return rc;
		printf("initialised %s\ncell admin token (shown once):\n%s\n", o.data, token);
		sodium_memzero(token, sizeof token);
		return 0;
	}
	return serve(&o);
}
