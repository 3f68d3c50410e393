/* netcheck: helpers shared by the Linux platform files (platform-linux.c,
 * platform-netns.c); not part of the platform interface. */
#ifndef NETCHECK_PLATFORM_INTERNAL_H
#define NETCHECK_PLATFORM_INTERNAL_H

/* A NETLINK_ROUTE socket (close-on-exec, 2 s receive timeout) in the
 * calling thread's network namespace.  returns: new fd, or negative errno. */
int nc_platform_nl_open(void);

#endif
