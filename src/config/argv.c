// SPDX-License-Identifier: Apache-2.0
/*
 * argv → struct cli_flags with the syntax of Go's pflag, which upstream vfkit
 * uses: --name value, --name=value, -c 2, -c2, -c=2, combined boolean
 * shorthands (-nv), "--" ends the options, positional words are ignored,
 * a value flag takes the next word even when it starts with '-'.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli_internal.h"

enum flag_type {
	FLAG_BOOL,
	FLAG_UINT,
	FLAG_STRING,
	FLAG_STRING_ARRAY, /* every occurrence appended (--device) */
	FLAG_QUOTED_LIST,  /* quote-aware list, occurrences concatenated */
};

enum flag_id {
	F_CPUS,
	F_MEMORY,
	F_BOOTLOADER,
	F_KERNEL,
	F_INITRD,
	F_CMDLINE,
	F_DEVICE,
	F_TIMESYNC,
	F_RESTFUL_URI,
	F_LOG_LEVEL,
	F_GUI,
	F_IGNITION,
	F_CLOUD_INIT,
	F_NESTED,
	F_PIDFILE,
	F_VERSION,
	F_HELP,
	F_DRY_RUN,
};

struct flag_def {
	const char *name;
	char shorthand; /* 0 if none */
	enum flag_type type;
	enum flag_id id;
};

static const struct flag_def flags[] = {
	{"cpus", 'c', FLAG_UINT, F_CPUS},
	{"memory", 'm', FLAG_UINT, F_MEMORY},
	{"bootloader", 'b', FLAG_QUOTED_LIST, F_BOOTLOADER},
	{"kernel", 'k', FLAG_STRING, F_KERNEL},
	{"initrd", 'i', FLAG_STRING, F_INITRD},
	{"kernel-cmdline", 'C', FLAG_STRING, F_CMDLINE},
	{"device", 'd', FLAG_STRING_ARRAY, F_DEVICE},
	{"timesync", 't', FLAG_STRING, F_TIMESYNC},
	{"restful-uri", 0, FLAG_STRING, F_RESTFUL_URI},
	{"log-level", 0, FLAG_STRING, F_LOG_LEVEL},
	{"gui", 0, FLAG_BOOL, F_GUI},
	{"ignition", 0, FLAG_STRING, F_IGNITION},
	{"cloud-init", 0, FLAG_QUOTED_LIST, F_CLOUD_INIT},
	{"nested", 'n', FLAG_BOOL, F_NESTED},
	{"pidfile", 0, FLAG_STRING, F_PIDFILE},
	{"version", 'v', FLAG_BOOL, F_VERSION},
	{"help", 'h', FLAG_BOOL, F_HELP},
	{"dry-run", 0, FLAG_BOOL, F_DRY_RUN},
};

#define NFLAGS (sizeof(flags) / sizeof(flags[0]))

/* The default REST URI is the seed's (reference 13), not upstream's none://. */
#define DEFAULT_RESTFUL_URI "tcp://localhost:8081"

static const char *const usage[] = {
	"Usage:",
	"  vfkit [flags]",
	"",
	"Flags:",
	"  -b, --bootloader list      linux,kernel=<path>,initrd=<path>,cmdline=<args>",
	"                             or efi,variable-store=<path>[,create]",
	"      --cloud-init list      cloud-init files: user-data, meta-data, network-config",
	"  -c, --cpus uint            number of virtual CPUs (default 1)",
	"  -d, --device string        add a device (repeatable): virtio-blk, nvme,",
	"                             usb-mass-storage, nbd, virtio-net, virtio-serial,",
	"                             virtio-rng, virtio-balloon, virtio-vsock, virtio-fs,",
	"                             rosetta, virtio-gpu, virtio-input",
	"      --dry-run              check the configuration, print it as /vm/inspect JSON",
	"      --gui                  open a window for the first virtio-gpu device",
	"  -h, --help                 show this help",
	"      --ignition path        Ignition config served to the guest on vsock port 1024",
	"  -i, --initrd path          deprecated: --bootloader linux,initrd=<path>",
	"  -k, --kernel path          deprecated: --bootloader linux,kernel=<path>",
	"  -C, --kernel-cmdline args  deprecated: --bootloader linux,cmdline=<args>",
	"      --log-level level      debug, info or error (default info)",
	"  -m, --memory uint          memory in MiB (default 512)",
	"  -n, --nested               enable nested virtualization",
	"      --pidfile path         write vfkit's process id to this file",
	"      --restful-uri uri      REST API: tcp://host:port, unix:///path or none://",
	"                             (default " DEFAULT_RESTFUL_URI ")",
	"  -t, --timesync vsockPort=N sync the guest clock through qemu-guest-agent",
	"  -v, --version              print the version",
};

void cli_print_usage(void)
{
	size_t i;

	for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++)
		puts(usage[i]);
}

void cli_flags_free(struct cli_flags *f)
{
	strvec_free(&f->bootloader);
	strvec_free(&f->devices);
	strvec_free(&f->cloud_init);
	free(f->kernel);
	free(f->initrd);
	free(f->cmdline);
	free(f->timesync);
	free(f->restful_uri);
	free(f->log_level);
	free(f->ignition);
	free(f->pidfile);
	*f = (struct cli_flags){0};
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
	static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
	size_t i;

	for (i = 0; i < 6; i++) {
		if (!strcmp(v, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcmp(v, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static bool *bool_target(struct cli_flags *f, enum flag_id id)
{
	switch (id) {
	case F_GUI:
		return &f->gui;
	case F_NESTED:
		return &f->nested;
	case F_VERSION:
		return &f->version;
	case F_HELP:
		return &f->help;
	default:
		return &f->dry_run;
	}
}

static char **string_target(struct cli_flags *f, enum flag_id id, bool **set)
{
	*set = NULL;
	switch (id) {
	case F_KERNEL:
		*set = &f->kernel_set;
		return &f->kernel;
	case F_INITRD:
		*set = &f->initrd_set;
		return &f->initrd;
	case F_CMDLINE:
		*set = &f->cmdline_set;
		return &f->cmdline;
	case F_TIMESYNC:
		return &f->timesync;
	case F_RESTFUL_URI:
		return &f->restful_uri;
	case F_LOG_LEVEL:
		return &f->log_level;
	case F_IGNITION:
		return &f->ignition;
	default:
		return &f->pidfile;
	}
}

/* pflag's "invalid argument" wrapper around a value error. */
static int invalid_argument(const struct flag_def *d, const char *value, const char *why, char *err,
			    size_t errlen)
{
	char q[512], name[64];

	go_quote(value, q, sizeof(q));
	if (d->shorthand)
		snprintf(name, sizeof(name), "\"-%c, --%s\"", d->shorthand, d->name);
	else
		snprintf(name, sizeof(name), "\"--%s\"", d->name);
	return cli_err(err, errlen, "invalid argument %s for %s flag: %s", q, name, why);
}

static int set_flag(struct cli_flags *f, const struct flag_def *d, const char *value, char *err,
		    size_t errlen)
{
	char why[600], q[512];
	enum num_error e;
	uint64_t u;
	char **str;
	bool *set;

	switch (d->type) {
	case FLAG_BOOL:
		if (parse_bool(value, bool_target(f, d->id))) {
			go_quote(value, q, sizeof(q));
			snprintf(why, sizeof(why), "strconv.ParseBool: parsing %s: invalid syntax",
				 q);
			return invalid_argument(d, value, why, err, errlen);
		}
		return 0;
	case FLAG_UINT:
		e = go_parse_uint(value, 0, 64, &u);
		if (e != NUM_OK) {
			go_num_err(why, sizeof(why), "ParseUint", value, e);
			return invalid_argument(d, value, why, err, errlen);
		}
		if (d->id == F_CPUS)
			f->cpus = u;
		else
			f->memory = u;
		return 0;
	case FLAG_STRING:
		str = string_target(f, d->id, &set);
		free(*str);
		*str = strdup(value);
		if (set)
			*set = true;
		return *str ? 0 : cli_err(err, errlen, "out of memory");
	case FLAG_STRING_ARRAY:
		return strvec_push(&f->devices, value) ? cli_err(err, errlen, "out of memory") : 0;
	case FLAG_QUOTED_LIST:
		if (d->id == F_BOOTLOADER)
			f->bootloader_set = true;
		if (optlist_split_quoted(value,
					 d->id == F_BOOTLOADER ? &f->bootloader : &f->cloud_init))
			return invalid_argument(d, value, "mismatched \"", err, errlen);
		return 0;
	}
	return 0;
}

static const struct flag_def *find_long(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if (strlen(flags[i].name) == len && !strncmp(flags[i].name, name, len))
			return &flags[i];
	return NULL;
}

static const struct flag_def *find_short(char c)
{
	size_t i;

	for (i = 0; i < NFLAGS; i++)
		if (flags[i].shorthand && flags[i].shorthand == c)
			return &flags[i];
	return NULL;
}

/* One "--name[=value]" word; may consume argv[*i + 1]. */
static int parse_long(struct cli_flags *f, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *s = argv[*i], *name = s + 2, *eq;
	const struct flag_def *d;
	size_t len;

	if (!name[0] || name[0] == '-' || name[0] == '=')
		return cli_err(err, errlen, "bad flag syntax: %s", s);
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	d = find_long(name, len);
	if (!d)
		return cli_err(err, errlen, "unknown flag: --%.*s", (int)len, name);
	if (eq)
		return set_flag(f, d, eq + 1, err, errlen);
	if (d->type == FLAG_BOOL)
		return set_flag(f, d, "true", err, errlen);
	if (*i + 1 < argc)
		return set_flag(f, d, argv[++*i], err, errlen);
	return cli_err(err, errlen, "flag needs an argument: %s", s);
}

/* Go's %q of one byte, as in "unknown shorthand flag: 'x' in -x". */
static void quote_char(char c, char *buf, size_t len)
{
	unsigned char u = (unsigned char)c;

	if (c == '\'')
		snprintf(buf, len, "'\\''");
	else if (c == '\\')
		snprintf(buf, len, "'\\\\'");
	else if (u < 0x20 || u >= 0x7f)
		snprintf(buf, len, "'\\x%02x'", u);
	else
		snprintf(buf, len, "'%c'", c);
}

/* One "-abc" word: a run of shorthands, the last may take a value. */
static int parse_short(struct cli_flags *f, int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char *sh = argv[*i] + 1;
	char q[16];

	while (*sh) {
		const struct flag_def *d = find_short(sh[0]);

		if (!d) {
			quote_char(sh[0], q, sizeof(q));
			return cli_err(err, errlen, "unknown shorthand flag: %s in -%s", q, sh);
		}
		if (strlen(sh) > 2 && sh[1] == '=')
			return set_flag(f, d, sh + 2, err, errlen);
		if (d->type == FLAG_BOOL) {
			if (set_flag(f, d, "true", err, errlen))
				return -1;
			sh++;
			continue;
		}
		if (sh[1])
			return set_flag(f, d, sh + 1, err, errlen);
		if (*i + 1 < argc) {
			++*i;
			return set_flag(f, d, argv[*i], err, errlen);
		}
		quote_char(sh[0], q, sizeof(q));
		return cli_err(err, errlen, "flag needs an argument: %s in -%s", q, sh);
	}
	return 0;
}

int argv_parse(int argc, char **argv, struct cli_flags *f, char *err, size_t errlen)
{
	int i;

	*f = (struct cli_flags){.cpus = 1, .memory = 512};
	f->restful_uri = strdup(DEFAULT_RESTFUL_URI);
	if (!f->restful_uri)
		return cli_err(err, errlen, "out of memory");
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		int rc;

		if (s[0] != '-' || !s[1])
			continue; /* positional arguments are ignored, like upstream */
		if (s[1] == '-' && !s[2])
			break; /* "--" ends the flags */
		if (s[1] == '-')
			rc = parse_long(f, argc, argv, &i, err, errlen);
		else
			rc = parse_short(f, argc, argv, &i, err, errlen);
		if (rc) {
			cli_flags_free(f);
			return -1;
		}
	}
	return 0;
}
