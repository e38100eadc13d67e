// SPDX-License-Identifier: Apache-2.0
/*
 * cli_parse(): argv → struct vm_config, in upstream's startup order
 * (reference 1) so that the same error wins: flag syntax, flag groups,
 * log level, bootloader, timesync, cloud-init, devices, --gui, ignition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/cli_internal.h"

/* The legacy trio must come together (pflag's MarkFlagsRequiredTogether). */
static int check_legacy_group(const struct cli_flags *f, char *err, size_t errlen)
{
	char missing[64] = "";
	bool any = f->kernel_set || f->initrd_set || f->cmdline_set;

	if (!any || (f->kernel_set && f->initrd_set && f->cmdline_set))
		return 0;
	/* names sorted: initrd, kernel, kernel-cmdline */
	if (!f->initrd_set)
		strcat(missing, "initrd");
	if (!f->kernel_set)
		strcat(strcat(missing, missing[0] ? " " : ""), "kernel");
	if (!f->cmdline_set)
		strcat(strcat(missing, missing[0] ? " " : ""), "kernel-cmdline");
	return cli_err(err, errlen,
		       "if any flags in the group [kernel initrd kernel-cmdline] are set they must "
		       "all be set; missing [%s]",
		       missing);
}

/* Each legacy flag excludes --bootloader; groups are checked in sorted order. */
static int check_bootloader_exclusive(const struct cli_flags *f, char *err, size_t errlen)
{
	static const char *const fmt = "if any flags in the group [%s bootloader] are set none of "
				       "the others can be; [bootloader %s] were all set";

	if (!f->bootloader_set)
		return 0;
	if (f->initrd_set)
		return cli_err(err, errlen, fmt, "initrd", "initrd");
	if (f->kernel_set)
		return cli_err(err, errlen, fmt, "kernel", "kernel");
	if (f->cmdline_set)
		return cli_err(err, errlen, fmt, "kernel-cmdline", "kernel-cmdline");
	return 0;
}

static int parse_log_level(const char *v, enum log_level *level, char *err, size_t errlen)
{
	if (!v || !v[0] || !strcmp(v, "info"))
		*level = LOG_LEVEL_INFO;
	else if (!strcmp(v, "debug"))
		*level = LOG_LEVEL_DEBUG;
	else if (!strcmp(v, "error"))
		*level = LOG_LEVEL_ERROR;
	else
		return cli_err(err, errlen, "--log-level: unknown log level: %s", v);
	return 0;
}

static int prefixed(int rc, char *err, size_t errlen, const char *flag)
{
	if (rc)
		cli_err_prefix(err, errlen, flag);
	return rc;
}

static int build_config(const struct cli_flags *f, struct vm_config *cfg, char *err, size_t errlen)
{
	size_t i;

	if (check_legacy_group(f, err, errlen) || check_bootloader_exclusive(f, err, errlen) ||
	    parse_log_level(f->log_level, &cfg->log_level, err, errlen))
		return -1;
	cfg->cpus = f->cpus;
	cfg->memory_mib = f->memory;
	cfg->gui = f->gui;
	cfg->nested = f->nested;
	cfg->dry_run = f->dry_run;
	if (bootloader_parse(f, &cfg->boot, err, errlen))
		return -1;
	if (prefixed(timesync_parse(f->timesync, &cfg->timesync_port, err, errlen), err, errlen,
		     "--timesync"))
		return -1;
	if (prefixed(cloud_init_parse(&f->cloud_init, &cfg->cloud_init_files, err, errlen), err,
		     errlen, "--cloud-init"))
		return -1;
	if (f->pidfile && f->pidfile[0]) {
		cfg->pidfile = strdup(f->pidfile);
		if (!cfg->pidfile)
			return cli_err(err, errlen, "out of memory");
	}
	for (i = 0; i < f->devices.n; i++)
		if (device_parse(cfg, f->devices.v[i], err, errlen))
			return -1;
	cfg->cli_device_count = cfg->device_count;
	if (cfg->gui && gui_add_devices(cfg))
		return cli_err(err, errlen, "out of memory");
	if (prefixed(ignition_parse(f->ignition, &cfg->ignition, err, errlen), err, errlen,
		     "--ignition"))
		return -1;
	return rest_uri_parse(f->restful_uri, &cfg->rest, err, errlen);
}

enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	struct cli_flags f;
	int rc;

	*cfg = (struct vm_config){0};
	if (errlen)
		err[0] = '\0';
	if (argv_parse(argc, argv, &f, err, errlen)) {
		cli_err_one_line(err, errlen);
		return CLI_ERROR;
	}
	if (f.help || f.version) {
		if (f.help)
			cli_print_usage();
		else
			printf("vfkit version: %s\n", VFKIT_VERSION);
		fflush(stdout);
		cli_flags_free(&f);
		return CLI_EXIT_OK;
	}
	rc = build_config(&f, cfg, err, errlen);
	cli_flags_free(&f);
	if (rc) {
		config_free(cfg);
		cli_err_one_line(err, errlen);
		return CLI_ERROR;
	}
	return CLI_OK;
}
