/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * What keyauth reads about the machine it runs on. An index answers for
 * the host it was compiled for only, so every front end must agree on
 * what "this host" is: the name gethostname() gives, and only when it is
 * one the index could have been compiled for (kp_host_name_valid).
 */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "keyauth.h"
#include "kp-internal.h"

int
kp_host_self(char *buf, size_t len, const char **why)
{
	int saved;

	KP_WHY(why, NULL);
	if (buf == NULL || len < KP_HOST_MAX + 1) {
		KP_WHY(why, "no room for a host name");
		if (buf != NULL && len > 0)
			buf[0] = '\0';
		return KP_ERR_ARG;
	}
	if (gethostname(buf, len) != 0) {
		saved = errno;
		buf[0] = '\0';
		KP_WHY(why, "gethostname failed");
		errno = saved;
		return KP_ERR_IO;
	}
	/* POSIX leaves a truncated name unterminated. */
	buf[len - 1] = '\0';
	if (!kp_host_name_valid(buf)) {
		KP_WHY(why,
		    "this machine's host name is not a valid host name "
		    "(1-255 of A-Za-z0-9._-)");
		return KP_ERR_INVALID;
	}
	return 0;
}
