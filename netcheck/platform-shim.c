/* Temporary: the platform calls the run stages use, until the platform
 * layer's own versions land (then this file goes). */
#include "netcheck/platform.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

int nc_platform_os_description(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u) < 0)
		return -errno;
	snprintf(buf, len, "%s %s %s", u.sysname, u.release, u.machine);
	return 0;
}

void nc_platform_owner_scope(char *buf, size_t len)
{
	char boot[64] = "?";
	struct stat st;
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f != NULL) {
		if (fgets(boot, sizeof(boot), f) != NULL)
			boot[strcspn(boot, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, len, "%s/%lu", boot, stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0ul);
}

bool nc_platform_process_is_netcheck(int pid)
{
	char path[64], cmd[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	cmd[n] = '\0';
	return strstr(cmd, "netcheck") != NULL;
}

static void parse_hex_addr(const char *hex, int family, nc_endpoint_t *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = family;
	if (family == AF_INET) {
		unsigned a;

		if (sscanf(hex, "%8x", &a) == 1)
			ret->addr.v4.s_addr = a; /* /proc prints the address in host order of the raw word */
	} else {
		for (int w = 0; w < 4; w++) {
			unsigned word;
			char part[9];

			memcpy(part, hex + w * 8, 8);
			part[8] = '\0';
			if (sscanf(part, "%8x", &word) == 1)
				memcpy(&ret->addr.v6.s6_addr[w * 4], &word, 4);
		}
	}
}

int nc_platform_netns_listeners(int pid, nc_platform_socket_t *ret, size_t max, size_t *ret_n)
{
	static const struct {
		const char *file;
		int family, proto;
	} tables[] = {
		{ "tcp", AF_INET, IPPROTO_TCP }, { "tcp6", AF_INET6, IPPROTO_TCP },
		{ "udp", AF_INET, IPPROTO_UDP }, { "udp6", AF_INET6, IPPROTO_UDP },
	};
	size_t n = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		char path[64], line[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, tables[t].file);
		f = fopen(path, "re");
		if (f == NULL)
			return -errno;
		for (unsigned k = 0; k < 100000 && fgets(line, sizeof(line), f) != NULL; k++) {
			char local[80];
			unsigned st, lport;
			char *colon;

			if (sscanf(line, " %*s %79s %*s %x", local, &st) != 2)
				continue;
			/* TCP: LISTEN (0x0A); UDP: bound and unconnected (0x07) */
			if ((tables[t].proto == IPPROTO_TCP && st != 0x0A) || (tables[t].proto == IPPROTO_UDP && st != 0x07))
				continue;
			colon = strrchr(local, ':');
			if (colon == NULL || sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			*colon = '\0';
			if (n < max) {
				ret[n].proto = tables[t].proto;
				parse_hex_addr(local, tables[t].family, &ret[n].local);
				ret[n].local.port = (uint16_t)lport;
			}
			n++;
		}
		fclose(f);
	}
	*ret_n = n < max ? n : max;
	return 0;
}
