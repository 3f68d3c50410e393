/* ssh:// engines, as the docker CLI reaches them: every connection libcurl
 * opens is a child `ssh [-l user] [-p port] -o BatchMode=yes -o
 * ConnectTimeout=N -T -- host docker system dial-stdio` whose stdin and
 * stdout are that connection.  libcurl connects to a unix socket of ours in
 * a private directory (0700); the connection is accepted just before the
 * first request goes out on it (CURLOPT_PREREQFUNCTION) and handed to a new
 * child, so that libcurl speaks HTTP to the far engine as to a local socket.
 * Why not a socketpair handed over as already connected: libcurl 7.88
 * (Debian 12) connects such a socket anyway (curl issue 10626).  Each socket
 * libcurl opens is bound to a name of its own (dir/c<serial>), so an
 * accepted connection is known to be that socket's, and libcurl closing it
 * (CURLOPT_CLOSESOCKETFUNCTION) tells which child has lost its connection.
 *
 * The child's stderr is a pipe, kept to its last bytes, so that a failed
 * login or a missing docker on the far side becomes one line.  Children are
 * reaped once their connection is closed, and killed and reaped by
 * nc_engine_ssh_free().  A child runs in a session of its own: a Ctrl-C on
 * the terminal reaches netcheck, which still needs the connection to remove
 * its container, and not ssh.  The URL is checked so that nothing in it can
 * become an ssh option or a word of the remote shell's command line.
 * May call: libcurl (options of an easy handle), POSIX.  Never prints. */
#include "engine-internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "netcheck/testing.h"

extern char **environ;

#define SSH_MAX_CHILDREN 16  /* connections at once: a batch uses one (nc_engine_ssh_multi) */
#define SSH_STDERR_KEEP 1024 /* the tail of a child's stderr kept for the message */
#define SSH_EXIT_WAIT_MS 2000 /* how long a failed call waits for its child to say why (an ssh that never ran ends
                               * at once, but under valgrind on a loaded machine its child took over 500 ms) */
#define SSH_DIR_MAX 80       /* the private directory; its sockets' names fit sun_path */

/* One connection of libcurl's and, once accepted, the child that carries it. */
struct ssh_child {
	unsigned serial;            /* its socket's name: dir/c<serial>; 0: the slot is free */
	int fd;                     /* libcurl's socket; -1 once libcurl closed it */
	bool accepted;              /* its connection was accepted: the name is gone */
	bool handed_over;           /* nc_engine_ssh_connect()'s: the caller holds its connection */
	pid_t pid;                  /* the child carrying it, 0 before it starts and once reaped */
	int err_fd;                 /* read end of its stderr; -1 at EOF */
	bool killed;                /* we signalled it: its end is not a failure */
	char err[SSH_STDERR_KEEP];  /* the tail of its stderr */
	size_t err_len;
};

struct nc_engine_ssh {
	char url[NC_ENGINE_URL_MAX];
	nc_ssh_target_t target;
	char timeout_opt[32];
	const char *argv[NC_SSH_ARGV_MAX];
	char dir[SSH_DIR_MAX];           /* private (0700): the listener and libcurl's sockets */
	char listen_path[SSH_DIR_MAX + 16];
	int listen_fd;
	unsigned next_serial;
	struct ssh_child child[SSH_MAX_CHILDREN];
	/* the last failure not yet explained: a spawn error, or a child's end */
	int spawn_errno;
	bool failed;
	int fail_status;                 /* waitpid's */
	char fail_line[NC_ERROR_MAX / 2]; /* the last line it wrote to stderr */
};

/* ---- children ----------------------------------------------------------- */

/* Reads what the child wrote to stderr, keeping the last bytes. */
static void drain_stderr(struct ssh_child *c)
{
	char buf[SSH_STDERR_KEEP / 2]; /* smaller than what is kept: one read never overflows it */

	while (c->err_fd >= 0) {
		ssize_t n = read(c->err_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(c->err_fd);
			c->err_fd = -1;
			return;
		}
		if (c->err_len + (size_t)n > sizeof(c->err)) {
			size_t drop = c->err_len + (size_t)n - sizeof(c->err);

			memmove(c->err, c->err + drop, c->err_len - drop);
			c->err_len -= drop;
		}
		memcpy(c->err + c->err_len, buf, (size_t)n);
		c->err_len += (size_t)n;
	}
}

/* The last non-empty line of the child's stderr, printable, into line. */
static void last_line(const struct ssh_child *c, char *line, size_t len)
{
	size_t end = c->err_len, start;
	size_t n = 0;

	while (end > 0 && isspace((unsigned char)c->err[end - 1]))
		end--;
	start = end;
	while (start > 0 && c->err[start - 1] != '\n')
		start--;
	for (size_t i = start; i < end && n + 1 < len; i++)
		line[n++] = isprint((unsigned char)c->err[i]) ? c->err[i] : ' ';
	line[n] = '\0';
}

static void free_slot(struct ssh_child *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = c->err_fd = -1;
}

static void socket_name(const nc_engine_ssh_t *s, unsigned serial, char *buf, size_t len)
{
	snprintf(buf, len, "%s/c%u", s->dir, serial);
}

/* The child ended: a failure unless we ended it.  Its slot is freed once
 * libcurl has closed its end too. */
static void child_ended(nc_engine_ssh_t *s, struct ssh_child *c, int status)
{
	drain_stderr(c);
	if (!c->killed && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		s->failed = true;
		s->fail_status = status;
		last_line(c, s->fail_line, sizeof(s->fail_line));
	}
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->err_fd = -1;
	c->pid = 0;
	if (c->fd < 0)
		free_slot(c); /* else freed when libcurl closes the dead connection */
}

/* Reaps c if it has ended; true when it had. */
static bool try_reap(nc_engine_ssh_t *s, struct ssh_child *c)
{
	int status;
	pid_t r;

	drain_stderr(c);
	do
		r = waitpid(c->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	if (r < 0) /* not ours any more (someone reaped it): nothing to say */
		status = 0;
	child_ended(s, c, status);
	return true;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Reaps the children that ended.  Those whose connection libcurl closed
 * get up to ms to end; then the ones still there are sent sig (0: none). */
static void reap(nc_engine_ssh_t *s, long ms, int sig)
{
	for (long waited = 0;; waited += 5) {
		bool left = false;

		for (size_t i = 0; i < SSH_MAX_CHILDREN; i++) {
			struct ssh_child *c = &s->child[i];

			if (c->pid > 0 && !try_reap(s, c) && c->fd < 0 && !c->handed_over)
				left = true;
		}
		if (!left || waited >= ms)
			break;
		sleep_ms(5);
	}
	for (size_t i = 0; sig != 0 && i < SSH_MAX_CHILDREN; i++) {
		struct ssh_child *c = &s->child[i];

		if (c->pid > 0 && c->fd < 0 && !c->handed_over) {
			c->killed = true;
			kill(c->pid, sig);
		}
	}
}

/* Starts c's child on conn, the accepted end of libcurl's connection
 * (borrowed: the caller closes it). */
static int spawn_child(nc_engine_ssh_t *s, struct ssh_child *c, int conn)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int ep[2] = { -1, -1 }, r;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	pid_t pid = 0;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	(void)fcntl(ep[0], F_SETFL, O_NONBLOCK);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* dup2 clears CLOEXEC on the copy; the originals close at exec */
	posix_spawn_file_actions_adddup2(&fa, conn, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, conn, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, ep[1], STDERR_FILENO);
	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all); /* netcheck ignores SIGPIPE; ssh must not */
#ifdef POSIX_SPAWN_SETSID
	flags |= POSIX_SPAWN_SETSID;
#else
	flags |= POSIX_SPAWN_SETPGROUP;
#endif
	posix_spawnattr_setflags(&attr, flags);
	r = -posix_spawnp(&pid, "ssh", &fa, &attr, (char *const *)(void *)s->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(ep[1]);
	if (r < 0) {
		close(ep[0]);
		return r;
	}
	c->pid = pid;
	c->err_fd = ep[0];
	c->err_len = 0;
	c->killed = false;
	return 0;
}

/* Why no child could be started, in one line: posix_spawnp()'s own PATH
 * search said ENOENT (no ssh), or every slot was taken (EAGAIN). */
static int spawn_error(const nc_engine_ssh_t *s, int code, nc_error_t *err)
{
	if (code == -ENOENT)
		return nc_error_set(err, code,
				    "engine %s needs the OpenSSH client, and there is no ssh on PATH (Debian, Ubuntu: "
				    "apt install openssh-client)",
				    s->url);
	if (code == -EAGAIN)
		return nc_error_set(err, code, "engine %s: all %d ssh connections are in use; try again when one ends",
				    s->url, SSH_MAX_CHILDREN);
	return nc_error_set(err, code, "engine %s: cannot start ssh: %s", s->url, strerror(-code));
}

/* The slot whose socket is named path (an accepted connection's peer). */
static struct ssh_child *slot_named(nc_engine_ssh_t *s, const struct sockaddr_un *peer, socklen_t len)
{
	char name[sizeof(peer->sun_path) + 1];
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;

	memcpy(name, peer->sun_path, n < sizeof(peer->sun_path) ? n : sizeof(peer->sun_path));
	name[n < sizeof(peer->sun_path) ? n : sizeof(peer->sun_path)] = '\0';
	for (size_t i = 0; i < SSH_MAX_CHILDREN; i++) {
		char want[sizeof(name)];
		struct ssh_child *c = &s->child[i];

		if (c->serial == 0 || c->accepted || c->fd < 0)
			continue;
		socket_name(s, c->serial, want, sizeof(want));
		if (strcmp(name, want) == 0)
			return c;
	}
	return NULL;
}

/* CURLOPT_PREREQFUNCTION: the connections libcurl has made since the last
 * request are accepted and each handed to a new child.  A child that
 * cannot start leaves its connection closed: the call fails, and
 * nc_engine_ssh_explain() says why. */
static int prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	nc_engine_ssh_t *s = clientp;

	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	reap(s, 0, 0);
	/* a request is about to go out: what ended before (an idle connection's
	 * ssh that died, a failure already told) is not this request's story */
	s->failed = false;
	s->spawn_errno = 0;
	for (;;) {
		struct sockaddr_un peer;
		socklen_t len = sizeof(peer);
		struct ssh_child *c;
		char name[sizeof(peer.sun_path) + 1];
		int conn = accept4(s->listen_fd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		int r;

		if (conn < 0 && errno == EINTR)
			continue;
		if (conn < 0)
			break; /* EAGAIN: a reused connection, or all accepted */
		c = slot_named(s, &peer, len);
		if (c != NULL) {
			socket_name(s, c->serial, name, sizeof(name));
			unlink(name); /* accepted: the name has done its work */
			c->accepted = true;
			r = spawn_child(s, c, conn);
			if (r < 0)
				s->spawn_errno = -r;
		}
		close(conn); /* the child has its copies; libcurl sees EOF if there is none */
	}
	return CURL_PREREQFUNC_OK;
}

/* CURLOPT_OPENSOCKETFUNCTION: a socket named for its slot */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	nc_engine_ssh_t *s = clientp;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ssh_child *c = NULL;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN || address->family != AF_UNIX)
		return CURL_SOCKET_BAD;
	reap(s, 0, 0);
	for (size_t i = 0; i < SSH_MAX_CHILDREN && c == NULL; i++)
		if (s->child[i].serial == 0)
			c = &s->child[i];
	if (c == NULL) {
		s->spawn_errno = EAGAIN; /* all SSH_MAX_CHILDREN in use (spawn_error() says so) */
		return CURL_SOCKET_BAD;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		s->spawn_errno = errno;
		return CURL_SOCKET_BAD;
	}
	if (++s->next_serial == 0) /* 0 marks a free slot */
		s->next_serial = 1;
	socket_name(s, s->next_serial, sa.sun_path, sizeof(sa.sun_path));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		s->spawn_errno = errno;
		close(fd);
		return CURL_SOCKET_BAD;
	}
	c->serial = s->next_serial;
	c->fd = fd;
	return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: EOF on the child's stdin ends dial-stdio,
 * and so ssh; reaped now if it already has, else later */
static int close_socket(void *clientp, curl_socket_t fd)
{
	nc_engine_ssh_t *s = clientp;

	close(fd);
	for (size_t i = 0; i < SSH_MAX_CHILDREN; i++) {
		struct ssh_child *c = &s->child[i];

		if (c->serial == 0 || c->fd != fd)
			continue;
		c->fd = -1;
		if (c->pid > 0) {
			try_reap(s, c);
		} else { /* never accepted, or its child already reaped */
			char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];

			socket_name(s, c->serial, name, sizeof(name));
			if (!c->accepted)
				unlink(name);
			free_slot(c);
		}
		break;
	}
	return 0;
}

/* ---- the engine's side ---------------------------------------------------- */

/* The private directory and its listener: $XDG_RUNTIME_DIR when short
 * enough, else /tmp. */
static int listen_private(nc_engine_ssh_t *s, nc_error_t *err)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r;

	if (base == NULL || base[0] != '/' || strlen(base) > 40)
		base = "/tmp";
	snprintf(s->dir, sizeof(s->dir), "%s/netcheck-ssh-XXXXXX", base);
	if (mkdtemp(s->dir) == NULL) {
		r = -errno;
		s->dir[0] = '\0';
		return nc_error_set(err, r, "engine %s: cannot make a private directory in %s: %s", s->url, base,
				    strerror(-r));
	}
	snprintf(s->listen_path, sizeof(s->listen_path), "%s/engine", s->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->listen_path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->listen_fd, SSH_MAX_CHILDREN) < 0) {
		r = -errno;
		return nc_error_set(err, r, "engine %s: cannot listen on %s: %s", s->url, s->listen_path, strerror(-r));
	}
	return 0;
}

int nc_engine_ssh_new(const char *url, long connect_timeout_ms, nc_engine_ssh_t **ret, nc_error_t *err)
{
	nc_engine_ssh_t *s;
	int r;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->listen_fd = -1;
	for (size_t i = 0; i < SSH_MAX_CHILDREN; i++)
		free_slot(&s->child[i]);
	snprintf(s->url, sizeof(s->url), "%s", url);
	r = nc_engine_ssh_parse(url, &s->target, err);
	if (r < 0)
		goto fail;
	r = nc_engine_ssh_argv(&s->target, connect_timeout_ms, s->timeout_opt, sizeof(s->timeout_opt), s->argv,
			       NC_SSH_ARGV_MAX);
	if (r < 0) {
		nc_error_set(err, r, "engine URL %s: cannot build the ssh command line", url);
		goto fail;
	}
	r = listen_private(s, err);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	nc_engine_ssh_free(s);
	return r;
}

void nc_engine_ssh_free(nc_engine_ssh_t *s)
{
	if (s == NULL)
		return;
	/* libcurl has closed every connection by now, and EOF has told each
	 * child to go; the ones still there are made to */
	for (size_t i = 0; i < SSH_MAX_CHILDREN; i++) {
		if (s->child[i].serial != 0 && s->child[i].fd >= 0)
			close_socket(s, s->child[i].fd);
		s->child[i].handed_over = false; /* a stream lives no longer than its engine */
	}
	reap(s, 100, SIGTERM);
	reap(s, 200, SIGKILL);
	for (size_t i = 0; i < SSH_MAX_CHILDREN; i++) {
		struct ssh_child *c = &s->child[i];

		if (c->pid > 0) {
			while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
				;
			child_ended(s, c, 0);
		}
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->listen_path);
	}
	if (s->dir[0] != '\0')
		rmdir(s->dir);
	free(s);
}

int nc_engine_ssh_connect(nc_engine_ssh_t *s, int *ret_fd, nc_error_t *err)
{
	struct ssh_child *c = NULL;
	int sv[2], r;

	*ret_fd = -1;
	reap(s, 0, 0);
	for (size_t i = 0; i < SSH_MAX_CHILDREN && c == NULL; i++)
		if (s->child[i].serial == 0)
			c = &s->child[i];
	if (c == NULL)
		return spawn_error(s, -EAGAIN, err);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return nc_error_set(err, -errno, "socketpair: %s", strerror(errno));
	r = spawn_child(s, c, sv[1]);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return spawn_error(s, r, err);
	}
	if (++s->next_serial == 0)
		s->next_serial = 1;
	c->serial = s->next_serial;
	c->accepted = c->handed_over = true; /* no name, no libcurl socket: fd stays -1 */
	*ret_fd = sv[0];
	return 0;
}

void nc_engine_ssh_setopt(nc_engine_ssh_t *s, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, s->listen_path);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, s);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, s);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, s);
}

void nc_engine_ssh_multi(CURLM *multi)
{
	/* HTTP/1.1 on one connection at a time: a batch's GETs queue on it
	 * rather than each starting an ssh login of its own */
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
}

static bool has(const char *line, const char *what)
{
	return strstr(line, what) != NULL;
}

int nc_engine_ssh_explain(nc_engine_ssh_t *s, bool timed_out, nc_error_t *err)
{
	const char *line = s->fail_line;
	int status, code;

	/* a child that lost its connection ends at once, unless it is still
	 * connecting (the call timed out): no use waiting for that one */
	reap(s, timed_out ? 0 : SSH_EXIT_WAIT_MS, SIGTERM);
	if (s->spawn_errno != 0 && !s->failed) {
		code = -s->spawn_errno;
		s->spawn_errno = 0;
		return spawn_error(s, code, err);
	}
	if (!s->failed)
		return 0;
	status = s->fail_status; /* read once reap() has recorded it */
	s->failed = false;
	s->spawn_errno = 0;
	if (WIFSIGNALED(status))
		return nc_error_set(err, NC_EENGINE, "engine %s: ssh was killed by signal %d%s%s", s->url,
				    WTERMSIG(status), line[0] ? ": " : "", line);
	code = WEXITSTATUS(status);
	/* 127 and not a word: ssh itself never ran.  glibc's posix_spawnp()
	 * says ENOENT for that, except where its child cannot share our
	 * memory (valgrind): the child then ends with 127 and prints nothing,
	 * while a far shell's "command not found" always says so */
	if (code == 127 && line[0] == '\0')
		return spawn_error(s, -ENOENT, err);
	/* 127 is the far shell's "command not found" */
	if (code == 127 || has(line, "command not found") || has(line, "docker: not found") ||
	    has(line, "'docker': No such file"))
		return nc_error_set(err, NC_EENGINE,
				    "engine %s: no docker on %s's PATH: `docker system dial-stdio` could not run there "
				    "(%s)",
				    s->url, s->target.host, line[0] ? line : "exit 127");
	if (code != 255)
		return nc_error_set(err, NC_EENGINE, "engine %s: `docker system dial-stdio` failed on %s (exit %d)%s%s",
				    s->url, s->target.host, code, line[0] ? ": " : "", line);
	/* 255: ssh's own failure */
	if (has(line, "Permission denied") || has(line, "Too many authentication failures"))
		return nc_error_set(err, NC_EENGINE, "engine %s: ssh login failed: %s", s->url, line);
	if (has(line, "Host key verification failed") || has(line, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
		return nc_error_set(err, NC_EENGINE,
				    "engine %s: ssh does not know %s's host key (%s): connect once with ssh to "
				    "check and accept it",
				    s->url, s->target.host, line);
	if (has(line, "timed out"))
		return nc_error_set(err, -ETIMEDOUT, "engine %s did not answer: %s", s->url, line);
	if (has(line, "Connection refused"))
		return nc_error_set(err, -ECONNREFUSED, "engine %s: %s", s->url, line);
	if (has(line, "Could not resolve hostname") || has(line, "No route to host") ||
	    has(line, "Network is unreachable"))
		return nc_error_set(err, -EHOSTUNREACH, "engine %s: %s", s->url, line);
	return nc_error_set(err, NC_EENGINE, "engine %s: ssh failed (exit 255)%s%s", s->url, line[0] ? ": " : "",
			    line);
}
