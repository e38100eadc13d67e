/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the config unit tests: a scratch directory (the tests
 * chdir into it, so tables can use short relative paths) and table-driven
 * argv cases.
 */
#ifndef VFKIT_CFG_TEST_H
#define VFKIT_CFG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config/cli.h"
#include "config/cli_internal.h"

#define MAX_ARGS 48

/* One command line; err NULL means it must be accepted. */
struct argv_case {
	const char *args[MAX_ARGS];
	const char *err;
};

static char scratch_dir[] = "/tmp/vfkit-cfgtest-XXXXXX";

static inline void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(name, "wb");

	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* Files the tables refer to. */
static inline int scratch_setup(void **state)
{
	static const char qcow[8] = {'Q', 'F', 'I', (char)0xfb, 0, 0, 0, 3};
	char raw[4096] = {0};

	(void)state;
	if (!mkdtemp(scratch_dir) || chdir(scratch_dir))
		return -1;
	write_file("disk.img", raw, sizeof(raw));
	write_file("empty.img", "", 0);
	write_file("short.img", "ab", 2);
	write_file("image.qcow2", qcow, sizeof(qcow));
	write_file("user-data", "#cloud-config\n", 14);
	write_file("meta-data", "instance-id: x\n", 15);
	write_file("network-config", "version: 2\n", 11);
	write_file("other-file", "x", 1);
	write_file("ign.json", "{}", 2);
	write_file("efi-vars", "", 0);
	mkdir("share", 0755);
	mkdir("sub", 0755);
	return 0;
}

static inline int scratch_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (chdir("/"))
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static inline int count_args(const char *const *args)
{
	int n = 0;

	while (n < MAX_ARGS && args[n])
		n++;
	return n;
}

/* cli_parse on {"vfkit", args...}. */
static inline enum cli_result parse_args(const char *const *args, struct vm_config *cfg, char *err,
					 size_t errlen)
{
	char *argv[MAX_ARGS + 2];
	int n = count_args(args), i;

	argv[0] = (char *)"vfkit";
	for (i = 0; i < n; i++)
		argv[i + 1] = (char *)args[i];
	argv[n + 1] = NULL;
	return cli_parse(n + 1, argv, cfg, err, errlen);
}

#define PARSE(cfg, err, ...)                                                                       \
	parse_args((const char *const[]){__VA_ARGS__, NULL}, (cfg), (err), sizeof(err))

/* Parses and (if stage_validate) validates; checks the outcome against c->err. */
static inline void run_case(const struct argv_case *c, bool stage_validate)
{
	struct vm_config cfg;
	char err[1024] = "";
	enum cli_result r;
	int rc;

	r = parse_args(c->args, &cfg, err, sizeof(err));
	rc = r == CLI_ERROR ? -1 : 0;
	if (!rc && stage_validate)
		rc = config_validate(&cfg, err, sizeof(err));
	if (r != CLI_ERROR)
		config_free(&cfg);
	if (c->err == NULL && rc != 0) {
		print_error("case starting '%s %s': unexpected error: %s\n", c->args[0],
			    c->args[1] ? c->args[1] : "", err);
		fail();
	}
	if (c->err != NULL && (rc == 0 || strcmp(err, c->err))) {
		print_error("case starting '%s %s': expected error\n  %s\ngot%s\n  %s\n",
			    c->args[0], c->args[1] ? c->args[1] : "", c->err, rc ? "" : " success",
			    err);
		fail();
	}
}

static inline void run_cases(const struct argv_case *cases, size_t n, bool stage_validate)
{
	size_t i;

	for (i = 0; i < n; i++)
		run_case(&cases[i], stage_validate);
}

#define RUN_CASES(cases, validate) run_cases(cases, sizeof(cases) / sizeof(cases[0]), validate)

/* A parsed configuration that must be accepted. */
static inline void parse_ok(const char *const *args, struct vm_config *cfg)
{
	char err[1024] = "";

	if (parse_args(args, cfg, err, sizeof(err)) != CLI_OK) {
		print_error("unexpected error: %s\n", err);
		fail();
	}
}

#define PARSE_OK(cfg, ...) parse_ok((const char *const[]){__VA_ARGS__, NULL}, (cfg))

#endif
