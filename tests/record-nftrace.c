/* Records the trace events of tests/fixtures/nftrace-*.bin: run by
 * tests/fixtures/record-nftrace.sh inside a network namespace of the
 * script's own, whose ruleset it sets up.  Installs netcheck's trace table
 * (nc_witness_trace_new) for four flows on the namespace's loopback, sends
 * their packets, and writes every datagram the trace socket read, as read,
 * to OUTDIR/nftrace-events.bin, and the trace table's name (the unit test
 * follows the flows without a kernel under that name) to
 * OUTDIR/nftrace-events.table.  Prints the passages it saw.
 * With --conntrack (run by the same script afterwards): connects
 * by TCP to 198.18.0.1:8080 (the script's DNAT sends it to a listener
 * here on 198.18.0.2:7004), sends a UDP datagram to 127.0.0.1:7003 (no
 * one listens) and writes the raw conntrack dump to FILE.
 *
 * With --connect ADDR PORT: traces one TCP connection there and prints
 * its passages with the rules' text (a look at a real ruleset).
 *
 *   record-nftrace OUTDIR
 *   record-nftrace --conntrack FILE
 *   record-nftrace --connect ADDR PORT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "netcheck/witness.h"
#include "../netcheck/witness/witness-internal.h"

static nc_endpoint_t addr(const char *a, uint16_t port)
{
	nc_endpoint_t e;

	if (nc_endpoint_parse(a, port, &e) < 0)
		abort();
	return e;
}

static int tcp_connect(const char *a, uint16_t port)
{
	nc_endpoint_t e = addr(a, port);
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(e.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	nc_endpoint_to_sockaddr(&e, &ss, &len);
	if (fd < 0 || (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS))
		perror("connect");
	return fd; /* left open: the SYN of a dropped connection is sent again after 1 s */
}

static void on_timer(uv_timer_t *timer)
{
	uv_stop(timer->loop);
}

/* The passages of every flow, with the rule text when rules is given. */
static void print_passages(const nc_trace_t *t, const nc_witness_rules_t *rules)
{
	for (size_t i = 0; i < nc_witness_trace_flow_count(t); i++)
		for (size_t j = 0; j < nc_witness_trace_passage_count(t, i); j++) {
			const nc_trace_passage_t *p = nc_witness_trace_passage(t, i, j);

			printf("flow %zu passage %zu: %u packet(s)%s flags 0x%02x\n", i, j, p->packets,
			       p->reply ? " reply" : "", p->tcp_flags);
			for (size_t k = 0; k < p->n_steps; k++) {
				const nc_trace_step_t *st = &p->steps[k];
				const char *text = nc_witness_rules_text(rules, st->family, st->table, st->chain, st->handle, NULL);

				printf("  %s %s %s handle %llu type %d verdict %s%s%s%s%s\n", nc_witness_family_name(st->family),
				       st->table, st->chain, (unsigned long long)st->handle, st->type,
				       nc_witness_verdict_name(st->verdict), st->jump_target != NULL ? " to " : "",
				       st->jump_target != NULL ? st->jump_target : "", text != NULL ? ": " : "",
				       text != NULL ? text : "");
			}
		}
}

/* --connect: traces one TCP connection to addr:port as it goes, then
 * prints its passages with each rule's text (a look at a real path, on
 * any ruleset; the trace table is the only change made). */
static int watch_connect(const char *a, const char *port)
{
	const nc_trace_flow_t flow = { IPPROTO_TCP, { 0 }, addr(a, (uint16_t)atoi(port)) };
	nc_witness_rules_t *rules = NULL;
	nc_error_t err = { "" };
	nc_trace_t *t;
	uv_loop_t loop;
	uv_timer_t timer;
	int fd;

	if (nc_witness_trace_new("watch", &flow, 1, &t, &err) < 0) {
		fprintf(stderr, "record-nftrace: %s\n", err.text);
		return 1;
	}
	uv_loop_init(&loop);
	nc_witness_trace_start(t, &loop);
	fd = tcp_connect(a, flow.dst.port);
	uv_timer_init(&loop, &timer);
	uv_timer_start(&timer, on_timer, 1500, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	nc_witness_trace_stop(t);
	nc_witness_trace_remove(t, &err);
	if (nc_witness_rules_read(&rules, &err) < 0)
		fprintf(stderr, "record-nftrace: %s\n", err.text);
	print_passages(t, rules);
	nc_witness_rules_free(rules);
	nc_witness_trace_free(t);
	close(fd);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop) == 0 ? 0 : 1;
}

static int record_conntrack(const char *file)
{
	nc_endpoint_t listen_at = addr("198.18.0.2", 7004), udp_to = addr("127.0.0.1", 7003);
	struct sockaddr_storage ss;
	socklen_t len;
	nc_error_t err = { "" };
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, udp, accepted, fd;
	void *dump;
	size_t dump_len;

	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	nc_endpoint_to_sockaddr(&listen_at, &ss, &len);
	if (bind(listener, (struct sockaddr *)&ss, len) < 0 || listen(listener, 4) < 0) {
		perror("listen");
		return 1;
	}
	tcp_connect("198.18.0.1", 8080);
	accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	nc_endpoint_to_sockaddr(&udp_to, &ss, &len);
	if (accepted < 0 || sendto(udp, "netcheck", 8, 0, (struct sockaddr *)&ss, len) < 0)
		perror("traffic");
	usleep(100000);
	if (nc_witness_conntrack_dump(&dump, &dump_len, &err) < 0) {
		fprintf(stderr, "record-nftrace: %s\n", err.text);
		return 1;
	}
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, dump, dump_len) != (ssize_t)dump_len) {
		perror(file);
		return 1;
	}
	printf("conntrack: %zu bytes\n", dump_len);
	free(dump);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const nc_trace_flow_t flows[] = {
		{ IPPROTO_TCP, addr("127.0.0.1", 0), addr("127.0.0.1", 7001) }, /* dropped */
		{ IPPROTO_TCP, addr("127.0.0.1", 0), addr("127.0.0.1", 7002) }, /* rejected */
		{ IPPROTO_UDP, addr("127.0.0.1", 0), addr("127.0.0.1", 7003) }, /* accepted, with a comment */
		{ IPPROTO_TCP, addr("::1", 0), addr("::1", 7001) },             /* dropped, IPv6 */
	};
	char path[4096];
	nc_error_t err = { "" };
	nc_trace_t *t;
	uv_loop_t loop;
	uv_timer_t timer;
	int fd, udp, r;
	FILE *f;

	if (argc == 3 && strcmp(argv[1], "--conntrack") == 0)
		return record_conntrack(argv[2]);
	if (argc == 4 && strcmp(argv[1], "--connect") == 0)
		return watch_connect(argv[2], argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: record-nftrace OUTDIR | --conntrack FILE | --connect ADDR PORT\n");
		return 64;
	}
	r = nc_witness_trace_new("rec", flows, NC_ARRAY_SIZE(flows), &t, &err);
	if (r < 0) {
		fprintf(stderr, "record-nftrace: %s\n", err.text);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/nftrace-events.bin", argv[1]);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	snprintf(path, sizeof(path), "%s/nftrace-events.table", argv[1]);
	f = fopen(path, "we");
	if (fd < 0 || f == NULL) {
		perror(path);
		return 1;
	}
	fprintf(f, "%s\n", nc_witness_trace_table(t));
	fclose(f);
	nc_witness_trace_record_to(t, fd);

	uv_loop_init(&loop);
	nc_witness_trace_start(t, &loop);
	{
		nc_endpoint_t to = addr("127.0.0.1", 7003), from = addr("127.0.0.1", 7003);
		struct sockaddr_storage ss;
		socklen_t len;
		int sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		nc_endpoint_to_sockaddr(&from, &ss, &len);
		if (bind(udp, (struct sockaddr *)&ss, len) < 0)
			perror("bind");
		nc_endpoint_to_sockaddr(&to, &ss, &len);
		if (sendto(sender, "netcheck", 8, 0, (struct sockaddr *)&ss, len) < 0)
			perror("sendto");
		close(sender);
	}
	tcp_connect("127.0.0.1", 7001);
	tcp_connect("127.0.0.1", 7002);
	tcp_connect("::1", 7001);
	uv_timer_init(&loop, &timer);
	uv_timer_start(&timer, on_timer, 1500, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	nc_witness_trace_stop(t);

	print_passages(t, NULL);
	nc_witness_trace_free(t);
	uv_close((uv_handle_t *)&timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	close(udp);
	close(fd);
	return uv_loop_close(&loop) == 0 ? 0 : 1;
}
