#include "config.h"

#include "keyauthctl.h"

int
cmd_fetch(struct ctl *c)
{
	(void)c;
	ctl_err("fetch: not yet");
	return CTL_SYSERR;
}
