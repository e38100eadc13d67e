/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny AML (ACPI Machine Language) byte-code writer: just the constructs
 * our DSDT needs. Nested objects are opened, filled and closed; closing
 * inserts the PkgLength in front of the body. Errors (out of memory, bad
 * nesting) are sticky and reported once by aml_finish().
 */
#ifndef VFKIT_X86_AML_H
#define VFKIT_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t open[AML_MAX_DEPTH];  /* offset where each open object's body starts */
	uint8_t kind[AML_MAX_DEPTH]; /* and whether it is a Buffer (needs BufferSize) */
	unsigned int depth;
	bool failed;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0 and the finished byte code in a->buf/a->len, or -ENOMEM/-EINVAL. */
int aml_finish(struct aml *a);

void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* "\\_SB_", "PCI0", "_HID", "\\_S5_": root prefix and dotted paths allowed. */
void aml_namestring(struct aml *a, const char *path);
/* Smallest integer encoding (ZeroOp/OneOp/BytePrefix...). */
void aml_int(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISA id ("PNP0A08") as its compressed DWord. */
void aml_eisaid(struct aml *a, const char *id);
uint32_t aml_eisaid_value(const char *id);

/* Name(path, <next object>) */
void aml_name(struct aml *a, const char *path);
void aml_scope_open(struct aml *a, const char *path);
void aml_device_open(struct aml *a, const char *path);
void aml_method_open(struct aml *a, const char *path, unsigned int nargs, bool serialized);
void aml_package_open(struct aml *a, unsigned int nelems);
/* A Buffer whose size is the length of what is written before aml_close(). */
void aml_buffer_open(struct aml *a);
void aml_close(struct aml *a);

void aml_return_arg(struct aml *a, unsigned int arg);

/* Resource descriptors (inside aml_buffer_open, ended by aml_res_end). */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, unsigned int irq);
void aml_res_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_mem(struct aml *a, uint64_t min, uint64_t max, bool cacheable);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_end(struct aml *a);

#endif
