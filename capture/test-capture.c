/* Unit tests for capture.c: the BPF filter text (checked to compile with
 * libpcap), argument checks, and (as root; skipped otherwise) the packet
 * callback on loopback: UDP datagrams to a socket of the test's own on
 * 127.0.0.1.  The live capture across namespaces is
 * tests/integration/test-capture-live.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "netcheck/capture.h"
#include "netcheck/testing.h"

static void assert_compiles(const char *text)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, NC_SNAPLEN);
	struct bpf_program prog;

	assert_non_null(dead);
	assert_int_equal(pcap_compile(dead, &prog, text, 1, PCAP_NETMASK_UNKNOWN), 0);
	pcap_freecode(&prog);
	pcap_close(dead);
}

static void test_filter(void **state)
{
	nc_endpoint_t ctr, ctr6, unset;
	const uint16_t ports[] = { 44482, 0, 44483 };
	char buf[256], tiny[24];

	(void)state;
	memset(&unset, 0, sizeof(unset));
	assert_int_equal(nc_endpoint_parse("172.17.0.2", 80, &ctr), 0);
	assert_int_equal(nc_endpoint_parse("fd00:dead::2", 80, &ctr6), 0);

	assert_int_equal(nc_capture_filter(&ctr, 32768, ports, 3, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(host 172.17.0.2) or (tcp port 32768) or (tcp port 44482 or tcp port 44483)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(&ctr6, 0, NULL, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(host fd00:dead::2)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(NULL, 0, ports, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(tcp port 44482)");
	assert_compiles(buf);

	assert_int_equal(nc_capture_filter(&unset, 8080, NULL, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "(tcp port 8080)");

	assert_int_equal(nc_capture_filter(&unset, 0, ports + 1, 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(NULL, 0, NULL, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 2, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, NULL, 10), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, buf, 0), -EINVAL);
	assert_int_equal(nc_capture_filter(&ctr, 32768, ports, 3, tiny, sizeof(tiny)), -ENOSPC);
	assert_string_equal(tiny, "");
	/* exactly fits, and one byte less does not */
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, tiny, strlen("(host 172.17.0.2)") + 1), 0);
	assert_int_equal(nc_capture_filter(&ctr, 0, NULL, 0, tiny, strlen("(host 172.17.0.2)")), -ENOSPC);
}

static void test_arguments(void **state)
{
	uv_loop_t loop;
	nc_capture_t *c = NULL;
	nc_error_t err;
	char name[80], *filter;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(NULL, 10, &c), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, SIZE_MAX, &c), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, 10, NULL), -EINVAL);
	assert_int_equal(nc_capture_new(&loop, 10, &c), 0);

	/* snaplen and ring bounds; settable only before the first point */
	assert_int_equal(nc_capture_set_snaplen(NULL, 512), -EINVAL);
	assert_int_equal(nc_capture_set_snaplen(c, NC_CAPTURE_SNAPLEN_MIN - 1), -EINVAL);
	assert_int_equal(nc_capture_set_snaplen(c, NC_CAPTURE_SNAPLEN_MAX + 1), -EINVAL);
	assert_int_equal(nc_capture_set_snaplen(c, NC_CAPTURE_SNAPLEN_MIN), 0);
	assert_int_equal(nc_capture_set_snaplen(c, NC_CAPTURE_SNAPLEN_MAX), 0);
	assert_int_equal(nc_capture_set_buffer_size(c, 1024), -EINVAL);
	assert_int_equal(nc_capture_set_packet_cb(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nc_capture_set_packet_cb(c, NULL, NULL), 0);
	assert_int_equal(nc_capture_set_limit(NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(nc_capture_set_limit(c, 0, NULL, NULL), 0);
	assert_int_equal(nc_capture_written(c), 0);
	assert_int_equal(nc_capture_written(NULL), 0);

	assert_int_equal(nc_capture_add_point(c, NULL, NULL, false, NULL, &err), -EINVAL);
	assert_int_equal(nc_capture_add_point(c, "", NULL, false, NULL, &err), -EINVAL);
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(nc_capture_add_point(c, name, NULL, false, NULL, NULL), -EINVAL);
	filter = malloc(NC_CAPTURE_FILTER_MAX + 1);
	assert_non_null(filter);
	memset(filter, ' ', NC_CAPTURE_FILTER_MAX);
	filter[NC_CAPTURE_FILTER_MAX] = '\0';
	assert_int_equal(nc_capture_add_point(c, "lo", NULL, false, filter, &err), -EINVAL);
	assert_non_null(strstr(err.text, "filter longer"));
	free(filter);

	assert_int_equal(nc_capture_point_count(c), 0);
	assert_null(nc_capture_point(c, 0));
	assert_int_equal(nc_capture_packet_count(c), 0);
	assert_null(nc_capture_packet(c, 0));
	assert_int_equal(nc_capture_not_stored(c), 0);
	assert_int_equal(nc_capture_sort_by_time(c), 0);
	assert_int_equal(nc_capture_start(c), -EINVAL);
	assert_int_equal(nc_capture_stop(c, NULL, NULL), -EINVAL);
	{
		size_t n = 99;

		(void)nc_capture_packets(c, &n);
		assert_int_equal(n, 0);
	}
	nc_capture_free(c);
	nc_capture_free(NULL);
	assert_int_equal(uv_loop_close(&loop), 0);
}

#define STREAM_PAYLOAD 1000 /* more than NC_SNAPLEN: the callback sees it all */
#define STREAM_SENT 10
#define STREAM_LIMIT 3

typedef struct stream_test {
	nc_capture_t *c;
	int rx_fd;             /* the datagrams' receiver, bound on 127.0.0.1 */
	uint16_t port;
	size_t frames;         /* packet callbacks */
	int end_calls, end_status, stop_calls;
	uv_timer_t timer;
} stream_test_t;

static int on_frame(nc_capture_t *c, const nc_capture_frame_t *f, void *data)
{
	stream_test_t *st = data;

	assert_ptr_equal(c, st->c);
	st->frames++;
	assert_int_equal(f->point, 0);
	assert_int_equal(f->linktype, DLT_LINUX_SLL2);
	/* SLL2 (20) + IPv4 (20) + UDP (8) + the payload, past NC_SNAPLEN */
	assert_int_equal(f->caplen, 20 + 20 + 8 + STREAM_PAYLOAD);
	assert_int_equal(f->origlen, f->caplen);
	assert_int_equal(f->bytes[f->caplen - 1], 'z');
	/* loopback: each packet once, sent and received alike */
	assert_int_equal(f->direction, NC_DIR_UNKNOWN);
	assert_int_equal(f->packet->direction, NC_DIR_UNKNOWN);
	assert_int_equal(f->packet->caplen, NC_SNAPLEN);
	assert_int_equal(f->packet->proto, IPPROTO_UDP);
	assert_int_equal(f->packet->dst.port, st->port);
	assert_true(f->ts_ns > 1600000000ull * 1000000000ull);
	/* takes the odd ones, skips the even ones: only the taken count */
	return st->frames % 2 == 0 ? 1 : 0;
}

static void on_stream_stopped(nc_capture_t *c, void *data)
{
	stream_test_t *st = data;

	(void)c;
	st->stop_calls++;
}

static void on_stream_end(nc_capture_t *c, int status, void *data)
{
	stream_test_t *st = data;

	st->end_calls++;
	st->end_status = status;
	assert_int_equal(nc_capture_stop(c, on_stream_stopped, st), 0);
}

static void on_send_timer(uv_timer_t *t)
{
	stream_test_t *st = t->data;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(st->port) };
	char payload[STREAM_PAYLOAD];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(payload, 'z', sizeof(payload));
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < STREAM_SENT; i++)
		assert_int_equal(sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&to, sizeof(to)),
				 (ssize_t)sizeof(payload));
	close(fd);
	uv_close((uv_handle_t *)t, NULL);
}

static void test_packet_callback(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	const nc_capture_point_info_t *info;
	stream_test_t st;
	uv_loop_t loop;
	nc_error_t err = { "" };
	char filter[64];

	(void)state;
	if (geteuid() != 0)
		skip(); /* packet sockets need CAP_NET_RAW */
	memset(&st, 0, sizeof(st));
	st.rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(st.rx_fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(st.rx_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(st.rx_fd, (struct sockaddr *)&sin, &len), 0);
	st.port = ntohs(sin.sin_port);
	snprintf(filter, sizeof(filter), "udp dst port %u", st.port);

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 0, &st.c), 0); /* keeps nothing */
	assert_int_equal(nc_capture_set_snaplen(st.c, 2048), 0);
	assert_int_equal(nc_capture_set_packet_cb(st.c, on_frame, &st), 0);
	assert_int_equal(nc_capture_set_limit(st.c, STREAM_LIMIT, on_stream_end, &st), 0);
	assert_int_equal(nc_capture_add_point(st.c, "lo", "loopback", false, filter, &err), 0);
	assert_int_equal(nc_capture_set_snaplen(st.c, 4096), -EINVAL); /* after the first point */
	info = nc_capture_point(st.c, 0);
	assert_int_equal(info->linktype, DLT_LINUX_SLL2);
	assert_false(info->direction_known);
	assert_true(info->ifindex > 0);
	assert_int_equal(nc_capture_start(st.c), 0);
	assert_int_equal(nc_capture_set_packet_cb(st.c, on_frame, &st), -EINVAL); /* started */
	assert_int_equal(uv_timer_init(&loop, &st.timer), 0);
	st.timer.data = &st;
	assert_int_equal(uv_timer_start(&st.timer, on_send_timer, 20, 0), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);

	/* taken 1, 3, 5: the limit; 2 and 4 skipped; nothing read after */
	assert_int_equal(st.end_calls, 1);
	assert_int_equal(st.end_status, 0);
	assert_int_equal(st.stop_calls, 1);
	assert_int_equal(st.frames, 2 * STREAM_LIMIT - 1);
	assert_int_equal(nc_capture_written(st.c), STREAM_LIMIT);
	assert_int_equal(nc_capture_packet_count(st.c), 0);
	assert_int_equal(nc_capture_not_stored(st.c), st.frames);
	info = nc_capture_point(st.c, 0);
	assert_int_equal(info->written, STREAM_LIMIT);
	/* each datagram counted once by the kernel (the looped copy is filtered out) */
	assert_int_equal(info->received, STREAM_SENT);
	assert_int_equal(info->dropped, 0);
	nc_capture_free(st.c);
	close(st.rx_fd);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* What the run's grace relies on: a datagram sent on loopback is in the
 * point's ring when sendto() returns, and read_ready reads it at once,
 * without the loop; a second look finds nothing new. */
static void test_read_ready(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	uv_loop_t loop;
	nc_capture_t *c;
	nc_error_t err = { "" };
	char filter[64];
	int rx, tx;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 10, &c), 0);
	assert_int_equal(nc_capture_read_ready(NULL), 0);
	assert_int_equal(nc_capture_read_ready(c), 0); /* not started */
	if (geteuid() != 0) {
		nc_capture_free(c);
		assert_int_equal(uv_loop_close(&loop), 0);
		skip(); /* packet sockets need CAP_NET_RAW */
	}
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx >= 0 && tx >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(rx, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&sin, &len), 0);
	snprintf(filter, sizeof(filter), "udp dst port %u", ntohs(sin.sin_port));
	assert_int_equal(nc_capture_add_point(c, "lo", "loopback", false, filter, &err), 0);
	assert_int_equal(nc_capture_start(c), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sendto(tx, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)), 1);
	assert_int_equal(nc_capture_read_ready(c), 3);
	assert_int_equal(nc_capture_packet_count(c), 3);
	assert_int_equal(nc_capture_read_ready(c), 3);
	assert_int_equal(nc_capture_stop(c, NULL, NULL), 0);
	assert_int_equal(nc_capture_read_ready(c), 3); /* stopping: counts, reads nothing */
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	nc_capture_free(c);
	close(rx);
	close(tx);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void on_fed_stopped(nc_capture_t *c, void *data)
{
	(void)c;
	(*(int *)data)++;
}

/* A fed point: the agent's packets handed in are decoded, kept with the
 * agent's direction and counted; stop works with no handle to close; a
 * failed point takes no more. */
static void test_fed_point(void **state)
{
	/* Ethernet, IPv4 UDP 10.251.0.2:80 -> 10.251.0.1:5353 */
	static const uint8_t frame[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 29, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 251, 0, 2, 10, 251, 0, 1,
		0, 80, 0x14, 0xe9, 0, 9, 0, 0, 'x',
	};
	const nc_packet_t *pk;
	nc_capture_t *c = NULL;
	uv_loop_t loop;
	int stopped = 0;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 10, &c), 0);
	assert_int_equal(nc_capture_add_fed_point(c, "docker0@engine", "the engine's bridge", 1, 512, 3), 0);
	assert_int_equal(nc_capture_add_fed_point(c, "eth0@container", "inside", 1, 512, 2), 1);
	assert_int_equal(nc_capture_feed_packet(c, 0, 1, NC_DIR_IN, frame, sizeof(frame), sizeof(frame)), -EBUSY);
	assert_int_equal(nc_capture_start(c), 0);
	assert_int_equal(nc_capture_feed_packet(c, 0, 1000, NC_DIR_OUT, frame, sizeof(frame), 60), 0);
	assert_int_equal(nc_capture_feed_packet(c, 2, 1000, NC_DIR_OUT, frame, sizeof(frame), 60), -EINVAL);
	assert_int_equal(nc_capture_feed_packet(c, 0, 1000, NC_DIR_OUT, frame, sizeof(frame), 10), -EINVAL);
	assert_int_equal(nc_capture_feed_failed(c, 1, -EPIPE, "the agent is gone"), 0);
	assert_int_equal(nc_capture_feed_packet(c, 1, 2000, NC_DIR_IN, frame, sizeof(frame), 60), -EBUSY);
	assert_int_equal(nc_capture_feed_counters(c, 0, 7, 1), 0);
	assert_int_equal(nc_capture_packet_count(c), 1);
	pk = nc_capture_packet(c, 0);
	assert_int_equal(pk->point, 0);
	assert_int_equal(pk->ts_ns, 1000);
	assert_int_equal(pk->direction, NC_DIR_OUT);
	assert_int_equal(pk->origlen, 60);
	assert_int_equal(pk->src.port, 80);
	assert_int_equal(pk->dst.port, 5353);
	assert_int_equal(nc_capture_stop(c, on_fed_stopped, &stopped), 0);
	assert_int_equal(stopped, 1);
	assert_int_equal(nc_capture_point(c, 0)->received, 7);
	assert_int_equal(nc_capture_point(c, 0)->dropped, 1);
	assert_int_equal(nc_capture_point(c, 1)->error, -EPIPE);
	assert_string_equal(nc_capture_point(c, 1)->error_text, "the agent is gone");
	assert_int_equal(nc_capture_feed_packet(c, 0, 3000, NC_DIR_IN, frame, sizeof(frame), 60), -EBUSY);
	nc_capture_free(c);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

struct opening {
	nc_capture_t *c;
	nc_capture_opened_t *opened;
	int r;
};

static void open_on_thread(void *arg)
{
	struct opening *o = arg;

	o->r = nc_capture_open_point(o->c, "lo", "loopback", false, "udp", &o->opened, NULL);
}

/* Points opened at once on threads, then added on the loop's thread, in order. */
static void test_open_apart(void **state)
{
	struct opening o[3];
	uv_thread_t threads[3];
	nc_capture_opened_t *none = (nc_capture_opened_t *)&o; /* overwritten with NULL */
	uv_loop_t loop;
	nc_capture_t *c;
	nc_error_t err = { "" };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nc_capture_new(&loop, 10, &c), 0);
	assert_int_equal(nc_capture_open_point(c, "", NULL, false, NULL, &none, &err), -EINVAL);
	assert_null(none);
	nc_capture_opened_free(NULL);
	if (geteuid() != 0) {
		nc_capture_free(c);
		assert_int_equal(uv_loop_close(&loop), 0);
		skip(); /* packet sockets need CAP_NET_RAW */
	}
	for (size_t i = 0; i < 3; i++) {
		o[i] = (struct opening){ .c = c };
		assert_int_equal(uv_thread_create(&threads[i], open_on_thread, &o[i]), 0);
	}
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(uv_thread_join(&threads[i]), 0);
		assert_int_equal(o[i].r, 0);
		assert_non_null(o[i].opened);
	}
	assert_int_equal(nc_capture_point_count(c), 0); /* opened is not added */
	assert_int_equal(nc_capture_add_opened(c, o[0].opened, &err), 0);
	assert_int_equal(nc_capture_add_opened(c, o[1].opened, &err), 1);
	nc_capture_opened_free(o[2].opened); /* never added: closed */
	assert_string_equal(nc_capture_point(c, 1)->name, "lo");
	assert_true(nc_capture_point(c, 1)->ifindex > 0);
	assert_int_equal(nc_capture_start(c), 0);
	assert_int_equal(nc_capture_stop(c, NULL, NULL), 0);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	nc_capture_free(c);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_packet_callback),
		cmocka_unit_test(test_fed_point),
		cmocka_unit_test(test_read_ready),
		cmocka_unit_test(test_open_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
