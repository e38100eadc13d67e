// SPDX-License-Identifier: Apache-2.0
/* Small helpers of the parser: string vectors, error lines, Go-style quoting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cli_internal.h"

int strvec_push_n(struct strvec *sv, const char *s, size_t len)
{
	char *copy;

	if (sv->n + 1 >= sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL; /* keep it NULL-terminated for callers that want that */
	return 0;
}

int strvec_push(struct strvec *sv, const char *s)
{
	return strvec_push_n(sv, s, strlen(s));
}

void strvec_free(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (struct strvec){0};
}

int cli_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void cli_err_prefix(char *err, size_t errlen, const char *prefix)
{
	char *msg;

	if (!err || !errlen)
		return;
	msg = strdup(err);
	if (!msg)
		return; /* keep the unprefixed message rather than nothing */
	snprintf(err, errlen, "%s: %s", prefix, msg);
	free(msg);
}

/* Appends c to buf if there is room, always keeping a terminator. */
static void put(char *buf, size_t len, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < len)
		buf[(*pos)++] = *s++;
	buf[*pos] = '\0';
}

void go_quote(const char *s, char *buf, size_t len)
{
	size_t pos = 0;
	char tmp[8];

	if (!len)
		return;
	buf[0] = '\0';
	put(buf, len, &pos, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			put(buf, len, &pos, "\\\"");
			break;
		case '\\':
			put(buf, len, &pos, "\\\\");
			break;
		case '\n':
			put(buf, len, &pos, "\\n");
			break;
		case '\t':
			put(buf, len, &pos, "\\t");
			break;
		case '\r':
			put(buf, len, &pos, "\\r");
			break;
		default:
			/* bytes >= 0x80 are passed through (UTF-8 stays readable) */
			if (c < 0x20 || c == 0x7f) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				put(buf, len, &pos, tmp);
			} else {
				tmp[0] = (char)c;
				tmp[1] = '\0';
				put(buf, len, &pos, tmp);
			}
		}
	}
	put(buf, len, &pos, "\"");
}

const char *errno_text(int e, char *buf, size_t len)
{
	/* Go prints syscall errors in lower case; match that for upstream's texts. */
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

const char *path_basename(const char *path, char *buf, size_t len)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 1 && path[n - 1] == '/')
		n--; /* Go's filepath.Base ignores trailing slashes */
	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	return slash && slash[1] ? slash + 1 : buf;
}

/* Directory part of path ("." when there is none). */
void path_dirname(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* A file we will create or rewrite: writable if it exists, else its directory is. */
int check_writable_file(const char *path, char *err, size_t errlen)
{
	char dir[4096], e[128];
	struct stat st;

	if (!stat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return cli_err(err, errlen, "%s: is a directory", path);
		if (access(path, W_OK))
			return cli_err(err, errlen, "open %s: %s", path,
				       errno_text(errno, e, sizeof(e)));
		return 0;
	}
	if (errno != ENOENT)
		return cli_err(err, errlen, "stat %s: %s", path, errno_text(errno, e, sizeof(e)));
	path_dirname(path, dir, sizeof(dir));
	if (access(dir, W_OK | X_OK))
		return cli_err(err, errlen, "cannot create %s: %s: %s", path, dir,
			       errno_text(errno, e, sizeof(e)));
	return 0;
}

void cli_err_one_line(char *err, size_t errlen)
{
	char *copy, *out;
	size_t pos = 0;

	if (!err || !errlen)
		return;
	copy = strdup(err);
	if (!copy)
		return;
	/* a value with control characters must not break the one-line rule */
	for (out = copy; *out && pos + 5 < errlen; out++) {
		unsigned char c = (unsigned char)*out;

		if (c < 0x20 || c == 0x7f)
			pos += (size_t)snprintf(err + pos, errlen - pos, "\\x%02x", c);
		else
			err[pos++] = (char)c;
	}
	err[pos] = '\0';
	free(copy);
}
