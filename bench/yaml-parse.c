/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/yaml-parse FILE: the floor of keyauthctl install and check, a bare
 * libyaml event parse of FILE read through libyaml's own file input (what
 * a streaming loader does), every event fetched and dropped. Prints the
 * number of events; exits 1 when the file does not parse.
 */

#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

int
main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned long long n = 0;
	int done = 0, ok = 1;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: yaml-parse FILE\n");
		return 2;
	}
	if ((f = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yaml-parse: out of memory\n");
		fclose(f);
		return 2;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "yaml-parse: %s at line %lu\n",
			    parser.problem != NULL ? parser.problem : "error",
			    (unsigned long)parser.problem_mark.line + 1);
			ok = 0;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		n++;
	}
	yaml_parser_delete(&parser);
	fclose(f);
	printf("%llu events\n", n);
	return ok ? 0 : 1;
}
