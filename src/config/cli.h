/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vfkit command line: argv → struct vm_config, validation, and the
 * configuration as /vm/inspect JSON.
 */
#ifndef VFKIT_CLI_H
#define VFKIT_CLI_H

#include <stddef.h>

#include "config/config.h"

enum cli_result {
	CLI_OK = 0,        /* cfg is filled: go on */
	CLI_EXIT_OK = 1,   /* --help or --version printed: exit 0 */
	CLI_ERROR = -1,    /* err holds one line naming the option and value: exit 1 */
};

/*
 * Parses argv exactly as upstream vfkit does (grammar, defaults, repeat
 * rules, parse-time checks including the virtio-blk image header check).
 * On CLI_ERROR, cfg is freed already.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);

/*
 * Create-time checks that need no hypervisor: files and directories exist
 * with the access each device needs, NBD URIs, ids, sizes, cpus/memory within
 * platform limits, Apple-only options. 0, or -1 with one line in err.
 */
int config_validate(struct vm_config *cfg, char *err, size_t errlen);

/* The /vm/inspect document (upstream keys plus the seed's cpus/memory). Caller frees. */
char *config_inspect_json(const struct vm_config *cfg);

#endif
