/*
 * fanout — live-event fan-out of tansiqd, measured from outside (issue 12).
 *
 * Opens N event streams (GET /v1/tracks/{t}/events) from one epoll loop (no
 * thread per connection), spread over several loopback source addresses and
 * users so that the server's per-address and per-user stream caps stay at
 * their defaults. Once every stream is open it reads the server's RSS and
 * thread count (/proc), then posts M hotline messages to all members of the
 * track at a steady rate from one keep-alive connection, and records for each
 * subscriber and message the time from just before the POST was written to
 * the moment the record carrying that message was read. Prints p50/p90/p99/max
 * over all N x M receipts, how many were missing, server RSS (before, with N
 * idle subscribers, peak while posting), memory per idle subscriber, threads
 * and server CPU time.
 *
 *   fanout --port P --tokens FILE --post-token T --pid PID [--subscribers N]
 *          [--rate R] [--messages M] [--track T] [--sources K] [--host-base B] [--readers T]
 *
 * tokens FILE: one bearer token per line; subscriber i uses token i mod count.
 * Source addresses: 127.0.0.B .. 127.0.0.(B+K-1), subscriber i uses i mod K.
 * Readers: T threads (default one per CPU), each reading a share of the streams from its own epoll
 * set; a receipt is timestamped (CLOCK_MONOTONIC, the post's clock) right after the read() that
 * carried it.
 * --batch: the readers run SCHED_BATCH, so that a reader woken by the server's send does not preempt
 * the server's writer on the shared CPUs (it runs at the next tick or on an idle CPU instead). A
 * receipt is still timestamped when its read returns, so a late reader only adds to the figure.
 * Probe: 30 ms after each POST is written (while the pass that delivers it runs) one more stream is
 * opened from 127.0.0.1 and timed from connect to its opening comment, then closed: subscribing
 * runs under the server's app lock and must not wait for a whole pass.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOKENS 4096
#define TAIL 48 /* bytes kept between reads so a pattern split across reads is still found */
static const char PATTERN[] = "\"subject\":\"fanout-";

enum state { CONNECTING, SENT, STREAMING, CLOSED };

struct sub {
	int fd;
	enum state st;
	int status;
	uint32_t next_seq;      /* next message this stream has not delivered yet */
	size_t tail_len;
	char tail[1024];        /* the end of the previous read (the answer head while SENT) */
};

static struct {
	int port, n, rate, messages, sources, host_base, pid, readers, batch;
	const char *track, *post_token;
	char *tokens[MAX_TOKENS];
	int ntokens;
} cfg = {.n = 1000, .rate = 10, .messages = 200, .sources = 4, .host_base = 2, .track = "il-sy",
       .readers = 0};

static _Atomic int64_t *sent_at; /* per message: monotonic µs before the POST was written; 0 = not yet */
static uint32_t *lat_us;          /* one sample per receipt */
static _Atomic size_t nlat;
static uint32_t *post_us;         /* per message: POST written → 201 read */
static atomic_int posting_done, post_errors;
static uint32_t *probe_us;        /* per message: a stream opened during its pass, connect → opening comment */
static atomic_int probes;

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* This process's CPU time (user + system), all threads. */
static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- server figures from /proc --------------------------------------------- */

struct proc_figures {
	long rss_kib, threads;
	double cpu_s;
	double run_s, wait_s; /* summed over threads (schedstat): on a CPU, and runnable but waiting for one */
};

/* Sums /proc/PID/task/TID/schedstat: time on a CPU and time waiting on a run queue. */
static void sched_read(int pid, struct proc_figures *f)
{
	char path[384];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d))) {
		unsigned long long run = 0, wait = 0;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", pid, e->d_name);
		FILE *fp = fopen(path, "r");
		if (fp && fscanf(fp, "%llu %llu", &run, &wait) == 2) {
			f->run_s += (double)run / 1e9;
			f->wait_s += (double)wait / 1e9;
		}
		if (fp)
			fclose(fp);
	}
	closedir(d);
}

static struct proc_figures proc_read(int pid)
{
	struct proc_figures f = {0};
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return f;
	while (fgets(line, sizeof line, fp)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			f.rss_kib = atol(line + 6);
		else if (strncmp(line, "Threads:", 8) == 0)
			f.threads = atol(line + 8);
	}
	fclose(fp);
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	fp = fopen(path, "r");
	if (fp && fgets(line, sizeof line, fp)) {
		char *p = strrchr(line, ')');
		unsigned long ut = 0, st = 0;
		/* fields after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
			f.cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
	}
	if (fp)
		fclose(fp);
	sched_read(pid, &f);
	return f;
}

/* ---- the poster: one keep-alive connection, M messages at R per second ------- */

static int connect_blocking(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg.port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect (poster)");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Reads one HTTP/1.1 answer with Content-Length; returns its status. */
static int read_answer(int fd)
{
	char buf[16384];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		while (len < want) {
			n = read(fd, buf + len, want - len < sizeof buf - 1 - len ? want - len : sizeof buf - 1 - len);
			if (n <= 0)
				return -1;
			len += (size_t)n;
		}
		return atoi(buf + 9);
	}
}

static void *poster(void *arg)
{
	(void)arg;
	int fd = connect_blocking();
	int64_t start = now_us(), period = 1000000 / cfg.rate;
	for (int i = 0; i < cfg.messages; i++) {
		int64_t due = start + i * period, t;
		while ((t = now_us()) < due) {
			struct timespec ts = {0, (long)((due - t) * 1000)};
			nanosleep(&ts, NULL);
		}
		char body[256], req[1024];
		int bl = snprintf(body, sizeof body,
				  "{\"to\":\"all\",\"precedence\":\"routine\",\"subject\":\"fanout-%d-x\",\"body\":\"fan-out "
				  "bench\"}",
				  i);
		int rl = snprintf(req, sizeof req,
				  "POST /v1/tracks/%s/messages HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer %s\r\n"
				  "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				  cfg.track, cfg.post_token, bl, body);
		atomic_store(&sent_at[i], now_us());
		if (write(fd, req, (size_t)rl) != rl)
			die("write (poster)");
		int status = read_answer(fd);
		post_us[i] = (uint32_t)(now_us() - atomic_load(&sent_at[i]));
		if (status != 201) {
			fprintf(stderr, "fanout: message %d answered %d\n", i, status);
			atomic_fetch_add(&post_errors, 1);
			close(fd);
			fd = connect_blocking();
		}
	}
	close(fd);
	atomic_store(&posting_done, 1);
	return NULL;
}

/* ---- the probe: one stream opened during each pass --------------------------------- */

static void *prober(void *arg)
{
	(void)arg;
	for (int i = 0; i < cfg.messages; i++) {
		int64_t at;
		while (!(at = atomic_load(&sent_at[i])) && !atomic_load(&posting_done)) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
		if (!at)
			break;
		for (int64_t t; (t = now_us()) < at + 30000;) {
			struct timespec ts = {0, (long)((at + 30000 - t) * 1000)};
			nanosleep(&ts, NULL);
		}
		char req[512], buf[4096];
		size_t len = 0;
		int64_t t0 = now_us();
		int fd = connect_blocking();
		int n = snprintf(req, sizeof req, "GET /v1/tracks/%s/events HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n",
				 cfg.track, cfg.post_token);
		if (write(fd, req, (size_t)n) != n)
			die("write (probe)");
		for (;;) {
			ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
			if (r <= 0) {
				buf[len] = '\0';
				fprintf(stderr, "fanout: the probe stream was refused: %.60s\n", buf);
				close(fd);
				return NULL;
			}
			len += (size_t)r;
			buf[len] = '\0';
			if (strstr(buf, ": tansiq event stream"))
				break;
			if (len == sizeof buf - 1)
				len = 0;
		}
		probe_us[atomic_fetch_add(&probes, 1)] = (uint32_t)(now_us() - t0);
		close(fd);
	}
	return NULL;
}

/* ---- subscribers ---------------------------------------------------------------- */

static int open_sub(struct sub *s, int i, int ep)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET,
								  .sin_port = htons((uint16_t)cfg.port)};
	char ip[32];
	int one = 1;
	snprintf(ip, sizeof ip, "127.0.0.%d", cfg.host_base + i % cfg.sources);
	inet_pton(AF_INET, ip, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		die("socket (raise ulimit -n)");
	setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	if (bind(s->fd, (struct sockaddr *)&src, sizeof src) != 0)
		die("bind");
	if (connect(s->fd, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS)
		die("connect");
	s->st = CONNECTING;
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) != 0)
		die("epoll_ctl");
	return 0;
}

static void send_request(struct sub *s, int i, int ep)
{
	char req[512];
	/* HTTP/1.0: the stream comes raw (no chunk framing) until the server closes it. */
	int n = snprintf(req, sizeof req, "GET /v1/tracks/%s/events HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n",
			 cfg.track, cfg.tokens[i % cfg.ntokens]);
	if (write(s->fd, req, (size_t)n) != n)
		die("write (subscriber)");
	s->st = SENT;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
	epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Finds every message record in tail+data; one latency sample per new message. */
static void scan(struct sub *s, const char *data, size_t n, int64_t t)
{
	char buf[TAIL + 65536 + 1];
	size_t len = s->tail_len;
	memcpy(buf, s->tail, len);
	memcpy(buf + len, data, n);
	len += n;
	buf[len] = '\0';
	const char *p = buf;
	while ((p = memmem(p, (size_t)(buf + len - p), PATTERN, sizeof PATTERN - 1))) {
		const char *d = p + sizeof PATTERN - 1;
		char *end;
		unsigned long seq = strtoul(d, &end, 10);
		if (*end != '-')
			break; /* cut by the read: the tail keeps it for the next one */
		if (seq >= s->next_seq && seq < (unsigned long)cfg.messages) {
			int64_t at = atomic_load(&sent_at[seq]);
			size_t k = atomic_fetch_add(&nlat, 1);
			lat_us[k] = at ? (uint32_t)(t - at) : 0;
			s->next_seq = (uint32_t)seq + 1;
		}
		p = end;
	}
	s->tail_len = len < TAIL ? len : TAIL;
	memcpy(s->tail, buf + len - s->tail_len, s->tail_len);
}

#define READERS_MAX 16
static size_t expected;

struct reader {
	struct sub *subs;
	int index, ep, dropped;
	pthread_t thread;
	struct proc_figures peak;
};

/* Reads a share of the streams until every receipt is in, or ten seconds after the last post. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct epoll_event evs[1024];
	static char bufs[READERS_MAX][65536];
	char *buf = bufs[r->index];
	if (cfg.batch) {
		struct sched_param sp = {0};
		if (pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp) != 0)
			die("SCHED_BATCH");
	}
	int64_t last_sample = now_us(), drain_from = 0;
	while (atomic_load(&nlat) < expected) {
		int k = epoll_wait(r->ep, evs, 1024, 200);
		int64_t t = now_us();
		for (int e = 0; e < k; e++) {
			struct sub *s = &r->subs[evs[e].data.u32];
			/* Level-triggered: one read per readiness unless it filled the buffer. */
			ssize_t n = read(s->fd, buf, 65536);
			if (n > 0)
				scan(s, buf, (size_t)n, now_us());
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				r->dropped++;
				epoll_ctl(r->ep, EPOLL_CTL_DEL, s->fd, NULL);
				close(s->fd);
				s->st = CLOSED;
			}
		}
		if (r->index == 0 && t - last_sample > 500000) {
			struct proc_figures f = proc_read(cfg.pid);
			if (f.rss_kib > r->peak.rss_kib)
				r->peak.rss_kib = f.rss_kib;
			if (f.threads > r->peak.threads)
				r->peak.threads = f.threads;
			last_sample = t;
		}
		if (atomic_load(&posting_done) && !drain_from)
			drain_from = t;
		if (drain_from && t - drain_from > 10000000)
			break; /* ten seconds after the last post: whatever is missing is missing */
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void load_tokens(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f)
		die(path);
	while (cfg.ntokens < MAX_TOKENS && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n ")] = '\0';
		if (line[0])
			cfg.tokens[cfg.ntokens++] = strdup(line);
	}
	fclose(f);
	if (!cfg.ntokens) {
		fprintf(stderr, "fanout: no tokens in %s\n", path);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"port", 1, NULL, 'p'},     {"tokens", 1, NULL, 't'},   {"post-token", 1, NULL, 'P'},
		{"pid", 1, NULL, 'i'},      {"subscribers", 1, NULL, 'n'}, {"rate", 1, NULL, 'r'},
		{"messages", 1, NULL, 'm'}, {"track", 1, NULL, 'k'},    {"sources", 1, NULL, 's'},
		{"host-base", 1, NULL, 'b'}, {"readers", 1, NULL, 'R'}, {"batch", 0, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': cfg.port = atoi(optarg); break;
		case 't': load_tokens(optarg); break;
		case 'P': cfg.post_token = optarg; break;
		case 'i': cfg.pid = atoi(optarg); break;
		case 'n': cfg.n = atoi(optarg); break;
		case 'r': cfg.rate = atoi(optarg); break;
		case 'm': cfg.messages = atoi(optarg); break;
		case 'k': cfg.track = optarg; break;
		case 's': cfg.sources = atoi(optarg); break;
		case 'b': cfg.host_base = atoi(optarg); break;
		case 'R': cfg.readers = atoi(optarg); break;
		case 'B': cfg.batch = 1; break;
		default:
			fprintf(stderr, "usage: fanout --port P --tokens FILE --post-token T --pid PID [--subscribers N] "
					"[--rate R] [--messages M] [--track T] [--sources K] [--host-base B] [--readers T] [--batch]\n");
			return 2;
		}
	}
	if (!cfg.port || !cfg.ntokens || !cfg.post_token || !cfg.pid || cfg.n < 1 || cfg.rate < 1 ||
	    cfg.messages < 1 || cfg.sources < 1 || cfg.readers < 0 || cfg.readers > READERS_MAX) {
		fprintf(stderr, "fanout: --port, --tokens, --post-token and --pid are required\n");
		return 2;
	}

	struct sub *subs = calloc((size_t)cfg.n, sizeof *subs);
	sent_at = calloc((size_t)cfg.messages, sizeof *sent_at);
	lat_us = calloc((size_t)cfg.n * (size_t)cfg.messages, sizeof *lat_us);
	post_us = calloc((size_t)cfg.messages, sizeof *post_us);
	probe_us = calloc((size_t)cfg.messages, sizeof *probe_us);
	if (!cfg.readers)
		cfg.readers = (int)sysconf(_SC_NPROCESSORS_ONLN) < READERS_MAX ? (int)sysconf(_SC_NPROCESSORS_ONLN) : READERS_MAX;
	struct epoll_event *evs = calloc(4096, sizeof *evs);
	int ep = epoll_create1(0);
	if (!subs || !sent_at || !lat_us || !evs || ep < 0)
		die("setup");

	struct proc_figures base = proc_read(cfg.pid);
	/* Connect with a bounded number in flight: connections not yet streams hold the
	 * server's request slots (per address), as a real crowd of clients would. */
	int max_inflight = 48 * cfg.sources < 1000 ? 48 * cfg.sources : 1000;
	int opened = 0, streaming = 0, failed = 0, inflight = 0;
	int64_t t_connect = now_us();
	char buf[65536];
	while (streaming + failed < cfg.n) {
		while (opened < cfg.n && inflight < max_inflight) {
			open_sub(&subs[opened], opened, ep);
			opened++;
			inflight++;
		}
		int k = epoll_wait(ep, evs, 4096, 1000);
		for (int e = 0; e < k; e++) {
			int i = (int)evs[e].data.u32;
			struct sub *s = &subs[i];
			if (s->st == CONNECTING) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || (evs[e].events & (EPOLLERR | EPOLLHUP))) {
					s->st = CLOSED;
					failed++;
					inflight--;
					close(s->fd);
					continue;
				}
				send_request(s, i, ep);
				continue;
			}
			ssize_t n = read(s->fd, buf, sizeof buf);
			if (n <= 0) {
				if (n < 0 && errno == EAGAIN)
					continue;
				s->st = CLOSED;
				failed++;
				inflight--;
				epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
				close(s->fd);
				continue;
			}
			/* The answer's head and the opening comment come in the first reads. */
			size_t room = sizeof s->tail - 1 - s->tail_len, take = (size_t)n < room ? (size_t)n : room;
			memcpy(s->tail + s->tail_len, buf, take);
			s->tail_len += take;
			s->tail[s->tail_len] = '\0';
			if (!s->status && strchr(s->tail, '\n'))
				s->status = atoi(s->tail + 9);
			if (s->status && s->status != 200) {
				if (failed < 5)
					fprintf(stderr, "fanout: subscriber %d answered %d\n", i, s->status);
				s->st = CLOSED;
				failed++;
				inflight--;
				epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
				close(s->fd);
			} else if (strstr(s->tail, ": tansiq event stream")) {
				s->st = STREAMING;
				s->tail_len = 0;
				streaming++;
				inflight--;
			}
		}
	}
	double connect_s = (double)(now_us() - t_connect) / 1e6;
	if (failed) {
		fprintf(stderr, "fanout: %d of %d subscribers could not stream\n", failed, cfg.n);
		return 1;
	}
	sleep(2); /* let the server settle: idle subscribers */
	struct proc_figures idle = proc_read(cfg.pid);
	double client_idle = self_cpu_s();

	/* The readers: each its own epoll over a share of the streams, so that the
	 * client's reads (on the same machine as the server) are not one core's
	 * queue. The first also samples the server's RSS and threads. */
	struct reader rd[READERS_MAX];
	for (int r = 0; r < cfg.readers; r++) {
		rd[r] = (struct reader){.subs = subs, .index = r, .ep = epoll_create1(0), .peak = idle};
		if (rd[r].ep < 0)
			die("epoll_create1");
	}
	for (int i = 0; i < cfg.n; i++) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_DEL, subs[i].fd, NULL);
		if (epoll_ctl(rd[i % cfg.readers].ep, EPOLL_CTL_ADD, subs[i].fd, &ev))
			die("epoll_ctl");
	}
	expected = (size_t)cfg.n * (size_t)cfg.messages;
	pthread_t th, th_probe;
	pthread_create(&th, NULL, poster, NULL);
	pthread_create(&th_probe, NULL, prober, NULL);
	for (int r = 1; r < cfg.readers; r++)
		pthread_create(&rd[r].thread, NULL, reader_main, &rd[r]);
	reader_main(&rd[0]);
	for (int r = 1; r < cfg.readers; r++)
		pthread_join(rd[r].thread, NULL);
	pthread_join(th, NULL);
	pthread_join(th_probe, NULL);
	struct proc_figures end = proc_read(cfg.pid), peak = rd[0].peak;
	double client_cpu = self_cpu_s() - client_idle;
	int dropped = 0;
	for (int r = 0; r < cfg.readers; r++)
		dropped += rd[r].dropped;

	size_t got = atomic_load(&nlat);
	qsort(lat_us, got, sizeof *lat_us, cmp_u32);
#define PCT(p) (got ? lat_us[(size_t)((double)(got - 1) * (p))] / 1000.0 : 0.0)
	printf("subscribers          %d (from %d source addresses, %d users; connected in %.1f s)\n", cfg.n,
	       cfg.sources, cfg.ntokens < cfg.n ? cfg.ntokens : cfg.n, connect_s);
	printf("messages             %d at %d/s (post errors %d)\n", cfg.messages, cfg.rate, atomic_load(&post_errors));
	printf("receipts             %zu of %zu (missing %zu; streams dropped %d)\n", got, expected, expected - got,
	       dropped);
	printf("post->receipt ms     p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", PCT(0.50), PCT(0.90), PCT(0.99),
	       PCT(1.0));
	qsort(post_us, (size_t)cfg.messages, sizeof *post_us, cmp_u32);
	printf("POST answered ms     p50 %.1f  p99 %.1f  (the commit, an fsync, is part of every receipt)\n",
	       post_us[(cfg.messages - 1) / 2] / 1000.0, post_us[(size_t)((cfg.messages - 1) * 0.99)] / 1000.0);
	int np = atomic_load(&probes);
	qsort(probe_us, (size_t)np, sizeof *probe_us, cmp_u32);
	if (np)
		printf("stream opened ms     p50 %.1f  max %.1f  (%d opened 30 ms into a pass; subscribing holds the app lock)\n",
		       probe_us[(np - 1) / 2] / 1000.0, probe_us[np - 1] / 1000.0, np);
	printf("readers              %d (threads, each its own epoll set%s)\n", cfg.readers,
	       cfg.batch ? "; SCHED_BATCH" : "");
	printf("server RSS MiB       before %.1f  idle with subscribers %.1f  peak while posting %.1f\n",
	       base.rss_kib / 1024.0, idle.rss_kib / 1024.0, peak.rss_kib / 1024.0);
	printf("per idle subscriber  %.1f KiB\n", (double)(idle.rss_kib - base.rss_kib) / cfg.n);
	printf("server threads       %ld (peak %ld)\n", end.threads, peak.threads);
	printf("server CPU s         %.2f while posting (%.1f ms per message, %.1f us per delivery)\n",
	       end.cpu_s - idle.cpu_s, 1000 * (end.cpu_s - idle.cpu_s) / cfg.messages,
	       1e6 * (end.cpu_s - idle.cpu_s) / ((double)cfg.messages * cfg.n));
	printf("client CPU s         %.2f while posting (%.1f us per receipt; same machine)\n", client_cpu,
	       1e6 * client_cpu / ((double)cfg.messages * cfg.n));
	printf("server threads s     %.2f on a CPU, %.2f runnable but waiting for a CPU (machine load)\n",
	       end.run_s - idle.run_s, end.wait_s - idle.wait_s);
	for (int i = 0; i < cfg.n; i++)
		if (subs[i].st != CLOSED)
			close(subs[i].fd);
	return got == expected && !atomic_load(&post_errors) ? 0 : 1;
}
