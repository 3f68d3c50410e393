/* The exit code: the one place it is decided, for every command, from
 * what the command returned, the signal that ended it and the result.
 * Reads the model only. */
#include "netcheck/policy.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "netcheck/common.h"

static int signal_exit_code(int sig)
{
	switch (sig) {
	case SIGINT: return NC_EXIT_SIGINT;
	case SIGTERM: return NC_EXIT_SIGTERM;
	default: return 128 + sig;
	}
}

static int failure_exit_code(nc_command_t cmd, int status)
{
	(void)cmd; /* the same for every command today */
	switch (status) {
	case NC_EENGINE:
	case NC_ENOIMAGE:
	case NC_EGONE:      /* the engine lost what it made for us */
	case -ECONNREFUSED:
	case -ENOENT:
	case -ETIMEDOUT:
	case -EHOSTUNREACH:
	case -ECONNRESET:
	case NC_EPROTO:
	case NC_ETOOBIG:
	case -ENOTSUP:
		return NC_EXIT_ENGINE;
	case -EPERM:
	case -EACCES:
		return NC_EXIT_NOPERM;
	case -EINVAL:
	case NC_ENOTFOUND:  /* a container or network the user named does not exist (the
			     * engine's own 404s on what netcheck made are NC_EGONE) */
	case NC_ECONFLICT:  /* a host port already taken: the user's choice */
	case NC_EPORTTAKEN:
		return NC_EXIT_USAGE;
	case NC_ECANCELED:
		return NC_EXIT_SIGINT;
	case NC_ECANTCREAT:
		return NC_EXIT_CANTCREAT;
	default:
		return NC_EXIT_INTERNAL;
	}
}

/* Our own test container outlived the run: the engine stopped answering
 * before it could be removed (`netcheck gc` removes it later). */
static bool container_left_behind(const nc_result_t *r)
{
	const nc_swarm_t *swarm = nc_result_swarm_const(r);
	const nc_container_t *c = nc_result_container_const(r);

	if (swarm->active && (swarm->service_id[0] != '\0' || swarm->network_id[0] != '\0'))
		return !swarm->removed && !c->kept; /* --swarm: the service and its network */
	/* a user's container (probe, watch --container) is never ours to remove */
	return c->id[0] != '\0' && !c->removed && !c->kept && !c->user_container;
}

int nc_exit_code(nc_command_t cmd, int status, const nc_result_t *r, int signal_received)
{
	if (signal_received != 0 && !(cmd == NC_CMD_CAPTURE && signal_received == SIGINT && status >= 0))
		return signal_exit_code(signal_received);
	if (status < 0)
		return failure_exit_code(cmd, status);
	switch (cmd) {
	case NC_CMD_ENGINES:
		return status == 0 ? NC_EXIT_ENGINE : NC_EXIT_OK;
	case NC_CMD_RUN:
	case NC_CMD_PROBE:
		if (r == NULL)
			return NC_EXIT_INTERNAL;
		if (cmd == NC_CMD_RUN && container_left_behind(r))
			return NC_EXIT_ENGINE;
		for (size_t i = 0; i < nc_result_path_count(r); i++)
			if (!nc_result_path_const(r, i)->expected)
				return NC_EXIT_UNEXPECTED;
		return NC_EXIT_OK;
	default:
		return NC_EXIT_OK;
	}
}

int nc_exit_code_for(const nc_result_t *r, int status, int signal_received)
{
	return nc_exit_code(NC_CMD_RUN, status, r, signal_received);
}

