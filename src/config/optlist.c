// SPDX-License-Identifier: Apache-2.0
/*
 * The two option-string grammars of upstream vfkit (reference 3.1, 3.2):
 * --device and --timesync split on every comma; --bootloader and
 * --cloud-init use a list in which "..." protects commas.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli_internal.h"

int optlist_split_commas(const char *value, struct strvec *out)
{
	const char *start = value, *comma;

	for (;;) {
		comma = strchr(start, ',');
		if (!comma)
			return strvec_push(out, start);
		if (strvec_push_n(out, start, (size_t)(comma - start)))
			return -ENOMEM;
		start = comma + 1;
	}
}

void optlist_strip_quotes(char *s)
{
	size_t len = strlen(s), a = 0, b;

	if (!len || s[0] != '"' || s[len - 1] != '"')
		return;
	while (a < len && s[a] == '"')
		a++;
	b = len;
	while (b > a && s[b - 1] == '"')
		b--;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
}

/* Pushes one closed item of the quoted list. */
static int push_item(struct strvec *out, const char *s, size_t len)
{
	int rc = strvec_push_n(out, s, len);

	if (rc)
		return rc;
	optlist_strip_quotes(out->v[out->n - 1]);
	return 0;
}

int optlist_split_quoted(const char *value, struct strvec *out)
{
	size_t start = 0, i, len = strlen(value), items = 0;
	bool quoted = false;
	int rc;

	for (i = 0; i < len; i++) {
		char c = value[i];

		if (quoted) {
			if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"') {
			quoted = true;
		} else if (c == ',') {
			rc = push_item(out, value + start, i - start);
			if (rc)
				return rc;
			items++;
			start = i + 1;
		}
	}
	if (quoted)
		return -EINVAL;
	rc = push_item(out, value + start, len - start);
	if (rc)
		return rc;
	/* The last item counts if it is non-empty (after quote removal) or follows a comma. */
	if (!items && !out->v[out->n - 1][0]) {
		free(out->v[--out->n]);
		out->v[out->n] = NULL;
	}
	return 0;
}

void optlist_kv(char *item, char **key, char **value)
{
	char *eq = strchr(item, '=');

	*key = item;
	if (eq) {
		*eq = '\0';
		*value = eq + 1;
	} else {
		*value = item + strlen(item); /* "" that lives as long as item */
	}
}
