/* SPDX-License-Identifier: BSD-2-Clause */
#include "config.h"

/*
 * audit-fields: read one syslog datagram as syslog-listen printed it
 * ("<PRI>Mmm dd hh:mm:ss TAG[PID]: RECORD"), parse RECORD with
 * kp_audit_parse and print
 *   pri=N
 *   tag=TAG
 *   NAME=VALUE      (unescaped; an absent value prints as -, a literal
 *                    "-" as "-" in quotes)
 *   error=VALUE     (only when present)
 * Exit 1 when the record does not parse.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyauth.h"

int
main(void)
{
	static char line[512 * 1024];
	struct kp_audit_fields f;
	char *p, *tag, *end;
	size_t n;
	int i;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (line[0] != '<' || (end = strchr(line, '>')) == NULL)
		return 1;
	*end = '\0';
	printf("pri=%s\n", line + 1);
	/* the tag follows the 15-character timestamp and a space */
	if (strlen(end + 1) < 16)
		return 1;
	tag = end + 1 + 16;
	if ((p = strstr(tag, ": ")) == NULL)
		return 1;
	*p = '\0';
	printf("tag=%s\n", tag);
	if (kp_audit_parse(p + 2, &f) != 0) {
		fprintf(
		    stderr, "audit-fields: record does not parse: %s\n", p + 2);
		return 1;
	}
	for (i = 0; i < KP_AUDIT_NFIELDS; i++)
		printf("%s=%s%s%s\n", kp_audit_field_names[i],
		    !f.absent[i] && strcmp(f.value[i], "-") == 0 ? "\"" : "",
		    f.value[i],
		    !f.absent[i] && strcmp(f.value[i], "-") == 0 ? "\"" : "");
	if (f.error != NULL)
		printf("error=%s\n", f.error);
	kp_audit_fields_free(&f);
	return 0;
}
