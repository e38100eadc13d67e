// SPDX-License-Identifier: Apache-2.0
/* argv → config → vm → run; nothing else. */
#include <stdio.h>
#include <stdlib.h>

#include "arch/x86/boot.h"
#include "config/cli.h"
#include "util/log.h"
#include "vmm/run.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	char err[1024];
	char *json;

	switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_ERROR:
		fprintf(stderr, "vfkit: error: %s\n", err);
		return 1;
	case CLI_OK:
		break;
	}
	log_set_level(cfg.log_level);
	if (config_validate(&cfg, err, sizeof(err)) ||
	    (cfg.boot.kind == BOOT_LINUX &&
	     boot_check_linux(&cfg.boot, cfg.memory_mib << 20, err, sizeof(err)))) {
		fprintf(stderr, "vfkit: error: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (cfg.dry_run) {
		json = config_inspect_json(&cfg);
		if (!json) {
			fprintf(stderr, "vfkit: error: out of memory\n");
			config_free(&cfg);
			return 1;
		}
		printf("%s\n", json);
		free(json);
		config_free(&cfg);
		return 0;
	}
	int status = vm_main(&cfg);

	config_free(&cfg);
	return status;
}
