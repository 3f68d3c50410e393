/* Fuzz target: docker context files (nc_engine_discover in
 * netcheck/engine/engine-discover.c).
 *
 * Input: byte 0 chooses the environment the fake getenv shows (bit 0
 * DOCKER_CONTEXT=remote-test, bit 1 DOCKER_CONTEXT=default, bit 2 no
 * config.json, bit 3 no meta.json, bit 4 HOME instead of DOCKER_CONFIG,
 * bit 5 an XDG_RUNTIME_DIR without sockets); the rest is config.json up
 * to the first NUL byte, then meta.json of the context "remote-test"
 * (docker/cli's store: contexts/meta/<sha256 of the name>/meta.json, as in
 * tests/fixtures/docker-config).  The directory is made once per process
 * under $TMPDIR and removed at exit.  DOCKER_HOST is never set and no
 * engine is contacted: discovery only reads files (and stat()s the
 * well-known socket paths). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* sha256("remote-test"), see tests/fixtures/README.md */
#define CONTEXT_NAME "remote-test"
#define CONTEXT_DIGEST "c3c4c74f0269b510e17a983ec8f9aba08199ba93fdc8dc15247a5e172115ac85"

static char root[PATH_MAX], home[PATH_MAX], config_dir[PATH_MAX], meta_dir[PATH_MAX];
static char config_path[PATH_MAX], meta_path[PATH_MAX], xdg_dir[PATH_MAX];
static unsigned env_flags;

static const char *fake_getenv(const char *name)
{
	if (strcmp(name, "DOCKER_CONTEXT") == 0)
		return env_flags & 1 ? CONTEXT_NAME : env_flags & 2 ? "default" : NULL;
	if (strcmp(name, "DOCKER_CONFIG") == 0)
		return env_flags & 16 ? NULL : config_dir;
	if (strcmp(name, "HOME") == 0)
		return home;
	if (strcmp(name, "XDG_RUNTIME_DIR") == 0)
		return env_flags & 32 ? xdg_dir : NULL;
	return NULL; /* DOCKER_HOST and everything else: unset */
}

static void remove_tree(void)
{
	unlink(config_path);
	unlink(meta_path);
	rmdir(meta_dir);
	snprintf(meta_path, sizeof(meta_path), "%s/contexts/meta", config_dir);
	rmdir(meta_path);
	snprintf(meta_path, sizeof(meta_path), "%s/contexts", config_dir);
	rmdir(meta_path);
	rmdir(config_dir);
	rmdir(home);
	rmdir(xdg_dir);
	rmdir(root);
}

static void make_tree(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/nc-fuzz-context.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(root) == NULL)
		abort();
	snprintf(home, sizeof(home), "%s/home", root);
	snprintf(config_dir, sizeof(config_dir), "%s/.docker", home); /* $HOME/.docker too */
	snprintf(xdg_dir, sizeof(xdg_dir), "%s/run", root);
	snprintf(meta_dir, sizeof(meta_dir), "%s/contexts", config_dir);
	if (mkdir(home, 0700) < 0 || mkdir(config_dir, 0700) < 0 || mkdir(xdg_dir, 0700) < 0 ||
	    mkdir(meta_dir, 0700) < 0)
		abort();
	snprintf(meta_dir, sizeof(meta_dir), "%s/contexts/meta", config_dir);
	if (mkdir(meta_dir, 0700) < 0)
		abort();
	snprintf(meta_dir, sizeof(meta_dir), "%s/contexts/meta/" CONTEXT_DIGEST, config_dir);
	if (mkdir(meta_dir, 0700) < 0)
		abort();
	snprintf(config_path, sizeof(config_path), "%s/config.json", config_dir);
	snprintf(meta_path, sizeof(meta_path), "%s/meta.json", meta_dir);
	atexit(remove_tree);
}

static void put_file(const char *path, const uint8_t *data, size_t len, bool present)
{
	int fd;

	if (!present) {
		if (unlink(path) < 0 && errno != ENOENT)
			abort();
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len) || close(fd) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul;
	size_t config_len;
	char *url;
	nc_engine_source_t source;
	nc_error_t err;
	int r;

	if (size < 1)
		return 0;
	if (root[0] == '\0')
		make_tree();
	env_flags = data[0];
	data++;
	size--;
	nul = memchr(data, '\0', size);
	config_len = nul ? (size_t)(nul - data) : size;
	put_file(config_path, data, config_len, !(env_flags & 4));
	if (nul != NULL)
		put_file(meta_path, nul + 1, size - config_len - 1, !(env_flags & 8));
	else
		put_file(meta_path, NULL, 0, false);

	url = malloc(NC_ENGINE_URL_MAX); /* exact size: ASan sees any overrun */
	if (url == NULL)
		abort();
	err.text[0] = '\0';
	r = nc_engine_discover(NULL, fake_getenv, url, NC_ENGINE_URL_MAX, &source, &err);
	if (r == 0) {
		if (memchr(url, '\0', NC_ENGINE_URL_MAX) == NULL || url[0] == '\0')
			abort();
		if (source != NC_ENGINE_FROM_CONTEXT && source != NC_ENGINE_FROM_DEFAULT)
			abort();
	} else if (memchr(err.text, '\0', sizeof(err.text)) == NULL || err.text[0] == '\0') {
		abort(); /* every failure explains itself */
	}
	free(url);
	return 0;
}
