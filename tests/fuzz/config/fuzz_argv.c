// SPDX-License-Identifier: Apache-2.0
/*
 * The whole command line: the input is split on NUL bytes into argv, parsed,
 * validated, and serialised as inspect JSON. No crash, no leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "util/log.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help/--version print on stdout and warnings go to stderr: keep the logs small */
	if (!freopen("/dev/null", "w", stdout))
		return 0;
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 2], err[1024], *json;
	struct vm_config cfg;
	size_t pos = 0;
	int argc = 1;

	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"vfkit";
	while (pos <= size && argc <= MAX_ARGS) {
		argv[argc++] = buf + pos;
		pos += strlen(buf + pos) + 1;
	}
	argv[argc] = NULL;
	if (cli_parse(argc, argv, &cfg, err, sizeof(err)) == CLI_OK) {
		/* validation reads the filesystem only; it creates nothing */
		if (config_validate(&cfg, err, sizeof(err)) == 0) {
			json = config_inspect_json(&cfg);
			free(json);
		}
		config_free(&cfg);
	}
	free(buf);
	return 0;
}
