// SPDX-License-Identifier: Apache-2.0
/*
 * Integers exactly as Go's strconv parses them, because upstream vfkit's flags
 * do: "--memory 0x800" is 2048 and "--cpus 010" is 8.
 */
#include <string.h>

#include "config/cli_internal.h"

static char lower(char c)
{
	return (char)(c | ('x' - 'X'));
}

/* Go's underscoreOK: '_' only between digits or after a base prefix. */
static bool underscore_ok(const char *s)
{
	char saw = '^';
	bool hex = false;
	size_t i = 0, n;

	if (s[0] == '-' || s[0] == '+')
		s++;
	n = strlen(s);
	if (n >= 2 && s[0] == '0' &&
	    (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < n; i++) {
		char c = s[i];

		if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

enum num_error go_parse_uint(const char *s, int base, int bits, uint64_t *out)
{
	const char *s0 = s;
	bool base0 = base == 0, underscores = false;
	uint64_t max, cutoff, n = 0;
	size_t len = strlen(s);

	*out = 0;
	if (!len)
		return NUM_SYNTAX;
	if (base0) {
		base = 10;
		if (s[0] == '0') {
			if (len >= 3 && lower(s[1]) == 'b') {
				base = 2;
				s += 2;
			} else if (len >= 3 && lower(s[1]) == 'o') {
				base = 8;
				s += 2;
			} else if (len >= 3 && lower(s[1]) == 'x') {
				base = 16;
				s += 2;
			} else {
				base = 8;
				s += 1;
			}
		}
	}
	max = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	cutoff = UINT64_MAX / (uint64_t)base + 1;
	for (; *s; s++) {
		char c = *s;
		unsigned int d;
		uint64_t n1;

		if (c == '_' && base0) {
			underscores = true;
			continue;
		} else if (c >= '0' && c <= '9') {
			d = (unsigned int)(c - '0');
		} else if (lower(c) >= 'a' && lower(c) <= 'z') {
			d = (unsigned int)(lower(c) - 'a' + 10);
		} else {
			return NUM_SYNTAX;
		}
		if (d >= (unsigned int)base)
			return NUM_SYNTAX;
		if (n >= cutoff) {
			*out = max;
			return NUM_RANGE;
		}
		n *= (uint64_t)base;
		n1 = n + d;
		if (n1 < n || n1 > max) {
			*out = max;
			return NUM_RANGE;
		}
		n = n1;
	}
	if (underscores && !underscore_ok(s0))
		return NUM_SYNTAX;
	*out = n;
	return NUM_OK;
}

enum num_error go_parse_int(const char *s, int base, int bits, int64_t *out)
{
	bool neg = false;
	uint64_t un, cutoff;
	enum num_error e;

	*out = 0;
	if (!*s)
		return NUM_SYNTAX;
	if (s[0] == '+') {
		s++;
	} else if (s[0] == '-') {
		neg = true;
		s++;
	}
	e = go_parse_uint(s, base, bits, &un);
	if (e == NUM_SYNTAX)
		return e;
	cutoff = UINT64_C(1) << (bits - 1);
	if (!neg && un >= cutoff) {
		*out = (int64_t)(cutoff - 1);
		return NUM_RANGE;
	}
	if (neg && un > cutoff) {
		*out = cutoff == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)cutoff;
		return NUM_RANGE;
	}
	if (neg)
		*out = un == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)un;
	else
		*out = (int64_t)un;
	return e;
}

int go_num_err(char *err, size_t errlen, const char *fn, const char *s, enum num_error e)
{
	char q[512];

	go_quote(s, q, sizeof(q));
	return cli_err(err, errlen, "strconv.%s: parsing %s: %s", fn, q,
		       e == NUM_RANGE ? "value out of range" : "invalid syntax");
}
