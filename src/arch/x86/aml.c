// SPDX-License-Identifier: Apache-2.0
/*
 * AML encoding per ACPI 6.x chapter 20. Only what the DSDT uses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/aml.h"

#define AML_ZERO_OP	  0x00
#define AML_ONE_OP	  0x01
#define AML_NAME_OP	  0x08
#define AML_BYTE_PREFIX	  0x0a
#define AML_WORD_PREFIX	  0x0b
#define AML_DWORD_PREFIX  0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX  0x0e
#define AML_SCOPE_OP	  0x10
#define AML_BUFFER_OP	  0x11
#define AML_PACKAGE_OP	  0x12
#define AML_METHOD_OP	  0x14
#define AML_DUAL_NAME	  0x2e
#define AML_MULTI_NAME	  0x2f
#define AML_EXT_PREFIX	  0x5b
#define AML_DEVICE_OP	  0x82 /* after AML_EXT_PREFIX */
#define AML_ARG0_OP	  0x68
#define AML_RETURN_OP	  0xa4
#define AML_ONES_OP	  0xff

/* Marks of open objects whose body size must be written in front. */
enum open_kind {
	OPEN_PKG = 0, /* PkgLength only */
	OPEN_BUFFER,  /* PkgLength, then BufferSize */
};

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

static bool reserve(struct aml *a, size_t n)
{
	if (a->failed)
		return false;
	if (a->len + n <= a->cap)
		return true;
	size_t cap = a->cap ? a->cap : 256;

	while (cap < a->len + n)
		cap *= 2;
	uint8_t *p = realloc(a->buf, cap);

	if (!p) {
		a->failed = true;
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* One NameSeg: up to 4 characters, padded with '_'. */
static void nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = {'_', '_', '_', '_'};

	if (n == 0 || n > 4) {
		a->failed = true;
		return;
	}
	memcpy(seg, s, n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *segs[8];
	size_t lens[8];
	unsigned int n = 0;

	while (*path == '\\' || *path == '^')
		aml_byte(a, (uint8_t)*path++);
	for (const char *p = path; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (n == 8) {
			a->failed = true;
			return;
		}
		segs[n] = p;
		lens[n++] = l;
		p += l + (dot ? 1 : 0);
	}
	if (n == 0) {
		aml_byte(a, 0); /* NullName */
		return;
	}
	if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME);
		aml_byte(a, (uint8_t)n);
	}
	for (unsigned int i = 0; i < n; i++)
		nameseg(a, segs[i], lens[i]);
}

void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v == UINT64_MAX) {
		aml_byte(a, AML_ONES_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD_PREFIX);
		le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static unsigned int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'A' && c <= 'F')
		return (unsigned int)(c - 'A' + 10);
	return 0;
}

uint32_t aml_eisaid_value(const char *id)
{
	/* Three letters of 5 bits each, then four hex digits, stored big-endian. */
	uint32_t v = ((uint32_t)(id[0] - 0x40) << 26) | ((uint32_t)(id[1] - 0x40) << 21) |
		     ((uint32_t)(id[2] - 0x40) << 16) | (hexval(id[3]) << 12) |
		     (hexval(id[4]) << 8) | (hexval(id[5]) << 4) | hexval(id[6]);

	return __builtin_bswap32(v);
}

void aml_eisaid(struct aml *a, const char *id)
{
	if (strlen(id) != 7) {
		a->failed = true;
		return;
	}
	aml_byte(a, AML_DWORD_PREFIX);
	le(a, aml_eisaid_value(id), 4);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, path);
}

static void open_obj(struct aml *a, enum open_kind kind)
{
	if (a->depth == AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	a->kind[a->depth] = (uint8_t)kind;
	a->open[a->depth++] = a->len;
}

void aml_scope_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	open_obj(a, OPEN_PKG);
	aml_namestring(a, path);
}

void aml_device_open(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	open_obj(a, OPEN_PKG);
	aml_namestring(a, path);
}

void aml_method_open(struct aml *a, const char *path, unsigned int nargs, bool serialized)
{
	aml_byte(a, AML_METHOD_OP);
	open_obj(a, OPEN_PKG);
	aml_namestring(a, path);
	aml_byte(a, (uint8_t)((nargs & 7) | (serialized ? 8 : 0)));
}

void aml_package_open(struct aml *a, unsigned int nelems)
{
	aml_byte(a, AML_PACKAGE_OP);
	open_obj(a, OPEN_PKG);
	aml_byte(a, (uint8_t)nelems);
}

void aml_buffer_open(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	open_obj(a, OPEN_BUFFER);
}

/* Inserts n bytes at off. */
static void insert(struct aml *a, size_t off, const uint8_t *p, size_t n)
{
	if (!reserve(a, n))
		return;
	memmove(a->buf + off + n, a->buf + off, a->len - off);
	memcpy(a->buf + off, p, n);
	a->len += n;
}

/* PkgLength counts its own bytes: 1 byte up to 63, else 2-4 bytes. */
static size_t pkglength(uint8_t *out, size_t body)
{
	size_t total;
	size_t n;

	if (body + 1 <= 63) {
		out[0] = (uint8_t)(body + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body + n;
		if (total < (1ULL << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4)
		return 0;
	out[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
	for (size_t i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return n;
}

void aml_close(struct aml *a)
{
	uint8_t hdr[16];
	size_t n = 0;

	if (a->failed)
		return;
	if (a->depth == 0) {
		a->failed = true;
		return;
	}
	a->depth--;
	enum open_kind kind = (enum open_kind)a->kind[a->depth];
	size_t start = a->open[a->depth];
	size_t body = a->len - start;

	if (kind == OPEN_BUFFER) {
		/* BufferSize is an integer term in front of the bytes. */
		struct aml size;

		aml_init(&size);
		aml_int(&size, body);
		if (size.failed) {
			a->failed = true;
			return;
		}
		memcpy(hdr + 4, size.buf, size.len);
		n = size.len;
		aml_free(&size);
		body += n;
		size_t pl = pkglength(hdr, body);

		if (!pl) {
			a->failed = true;
			return;
		}
		memmove(hdr + pl, hdr + 4, n);
		insert(a, start, hdr, pl + n);
		return;
	}
	n = pkglength(hdr, body);
	if (!n) {
		a->failed = true;
		return;
	}
	insert(a, start, hdr, n);
}

void aml_return_arg(struct aml *a, unsigned int arg)
{
	aml_byte(a, AML_RETURN_OP);
	aml_byte(a, (uint8_t)(AML_ARG0_OP + (arg & 7)));
}

int aml_finish(struct aml *a)
{
	if (a->failed)
		return a->buf ? -EINVAL : -ENOMEM;
	if (a->depth != 0)
		return -EINVAL;
	return 0;
}

/* --- resource descriptors (ACPI 6.x section 6.4) --- */

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, 0x47); /* small item: I/O port, length 7 */
	aml_byte(a, 0x01); /* 16-bit decode */
	le(a, base, 2);
	le(a, base, 2);
	aml_byte(a, 1); /* alignment */
	aml_byte(a, len);
}

void aml_res_irq(struct aml *a, unsigned int irq)
{
	aml_byte(a, 0x22); /* small item: IRQ, no flags (edge, active high) */
	le(a, 1u << (irq & 15), 2);
}

/* Address space descriptor flags: producer, MinFixed, MaxFixed, positive decode. */
#define ADDR_GENERAL_FLAGS 0x0c

static void addr16(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	aml_byte(a, 0x88); /* large item: Word address space */
	le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, ADDR_GENERAL_FLAGS);
	aml_byte(a, tflags);
	le(a, 0, 2); /* granularity */
	le(a, min, 2);
	le(a, max, 2);
	le(a, 0, 2); /* translation */
	le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_bus(struct aml *a, uint16_t min, uint16_t max)
{
	addr16(a, 2, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	addr16(a, 1, 3 /* ISA and non-ISA ranges */, min, max);
}

static uint8_t mem_tflags(bool cacheable)
{
	return (uint8_t)(1 /* read-write */ | (cacheable ? 1 << 1 : 0));
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max, bool cacheable)
{
	aml_byte(a, 0x87); /* large item: DWord address space */
	le(a, 23, 2);
	aml_byte(a, 0); /* memory */
	aml_byte(a, ADDR_GENERAL_FLAGS);
	aml_byte(a, mem_tflags(cacheable));
	le(a, 0, 4);
	le(a, min, 4);
	le(a, max, 4);
	le(a, 0, 4);
	le(a, (uint64_t)max - min + 1, 4);
}

void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max, bool cacheable)
{
	aml_byte(a, 0x8a); /* large item: QWord address space */
	le(a, 43, 2);
	aml_byte(a, 0);
	aml_byte(a, ADDR_GENERAL_FLAGS);
	aml_byte(a, mem_tflags(cacheable));
	le(a, 0, 8);
	le(a, min, 8);
	le(a, max, 8);
	le(a, 0, 8);
	le(a, max - min + 1, 8);
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	aml_byte(a, 0x86); /* large item: 32-bit fixed memory range */
	le(a, 9, 2);
	aml_byte(a, 1); /* read-write */
	le(a, base, 4);
	le(a, len, 4);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, 0x79); /* end tag; checksum 0 means "treat as valid" */
	aml_byte(a, 0);
}
