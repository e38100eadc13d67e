// SPDX-License-Identifier: Apache-2.0
/* --timesync, --ignition and --cloud-init values (reference 3.3, 6, 7, 8). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cli_internal.h"

int timesync_parse(const char *value, uint32_t *port, char *err, size_t errlen)
{
	struct strvec items = {0};
	enum num_error e;
	uint64_t p;
	int rc = 0;
	size_t i;

	*port = 0;
	if (!value || !value[0])
		return 0; /* off */
	if (optlist_split_commas(value, &items))
		return cli_err(err, errlen, "out of memory");
	for (i = 0; i < items.n && !rc; i++) {
		char *key, *val;

		if (!items.v[i][0])
			continue;
		optlist_kv(items.v[i], &key, &val);
		if (strcmp(key, "vsockPort")) {
			rc = cli_err(err, errlen, "unknown option for timesync parameter: %s", key);
			break;
		}
		e = go_parse_uint(val, 10, 32, &p);
		if (e != NUM_OK)
			rc = go_num_err(err, errlen, "ParseUint", val, e);
		else
			*port = (uint32_t)p;
	}
	if (!rc && !*port)
		rc = cli_err(err, errlen, "missing 'vsockPort' option for timesync parameter");
	strvec_free(&items);
	return rc;
}

int ignition_parse(const char *value, char **path, char *err, size_t errlen)
{
	*path = NULL;
	if (!value || !value[0])
		return 0;
	if (strchr(value, ','))
		return cli_err(err, errlen,
			       "failed to add ignition file: ignition only accepts one option in "
			       "command line argument");
	*path = strdup(value);
	return *path ? 0 : cli_err(err, errlen, "out of memory");
}

/* The three names the ISO can hold; their order in cfg->cloud_init_files. */
static const char *const cloud_init_names[] = {"user-data", "meta-data", "network-config"};

int cloud_init_parse(const struct strvec *items, char ***files, char *err, size_t errlen)
{
	const char *chosen[3] = {NULL, NULL, NULL};
	char e[128], base[4096];
	size_t i, j, n = 0;
	int fd;

	*files = NULL;
	if (!items->n)
		return 0; /* off */
	for (i = 0; i < items->n; i++) {
		const char *path = items->v[i];

		if (!path[0])
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return cli_err(err, errlen, "open %s: %s", path,
				       errno_text(errno, e, sizeof(e)));
		close(fd);
		for (j = 0; j < 3; j++)
			if (!strcmp(path_basename(path, base, sizeof(base)), cloud_init_names[j]))
				chosen[j] = path; /* a repeated name: the last one wins */
	}
	if (!chosen[0] && !chosen[1])
		return cli_err(err, errlen,
			       "cloud-init needs user-data and meta-data files to work");
	*files = calloc(4, sizeof(char *));
	if (!*files)
		return cli_err(err, errlen, "out of memory");
	for (j = 0; j < 3; j++) {
		if (!chosen[j])
			continue;
		(*files)[n] = strdup(chosen[j]);
		if (!(*files)[n++])
			return cli_err(err, errlen, "out of memory");
	}
	return 0;
}
