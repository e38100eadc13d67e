/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the command-line parser, shared by the files of src/config/.
 * Nothing outside src/config/ (and its unit tests and fuzz targets) includes
 * this header.
 *
 * Error convention: helpers write one line into err and return -1. Messages
 * keep upstream vfkit's wording; the caller that knows which flag is being
 * parsed prefixes it ("--device virtio-net: ", "--bootloader: ", ...), so
 * that every line names the option and the offending value.
 */
#ifndef VFKIT_CLI_INTERNAL_H
#define VFKIT_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* A growable vector of owned strings. */
struct strvec {
	char **v;
	size_t n;
	size_t cap;
};

int strvec_push(struct strvec *sv, const char *s);
int strvec_push_n(struct strvec *sv, const char *s, size_t len);
void strvec_free(struct strvec *sv);

/* printf into err, return -1. */
int cli_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefixes err in place with "<prefix>: ". */
void cli_err_prefix(char *err, size_t errlen, const char *prefix);

/* Escapes control characters so that err stays one line. */
void cli_err_one_line(char *err, size_t errlen);

/* Go's %q of a string (used in messages copied from pflag/strconv). */
void go_quote(const char *s, char *buf, size_t len);

/* ---- numbers with Go strconv semantics (numparse.c) ---- */

enum num_error {
	NUM_OK = 0,
	NUM_SYNTAX = -1,
	NUM_RANGE = -2,
};

/* strconv.ParseUint(s, base, bits); base 0 accepts 0x/0o/0b/0 prefixes and '_'. */
enum num_error go_parse_uint(const char *s, int base, int bits, uint64_t *out);
/* strconv.ParseInt(s, base, bits): optional sign. */
enum num_error go_parse_int(const char *s, int base, int bits, int64_t *out);
/* "strconv.<fn>: parsing \"<s>\": invalid syntax|value out of range" into err; returns -1. */
int go_num_err(char *err, size_t errlen, const char *fn, const char *s, enum num_error e);

/* ---- option strings (optlist.c) ---- */

/*
 * The quote-aware list of --bootloader and --cloud-init (reference 3.2),
 * appended to out. -1 on an unterminated quote ("mismatched \"").
 */
int optlist_split_quoted(const char *value, struct strvec *out);
/* Plain split on every comma (--device, --timesync); always yields >= 1 item. */
int optlist_split_commas(const char *value, struct strvec *out);
/* Splits item at the first '=' in place; *value is "" when there is none. */
void optlist_kv(char *item, char **key, char **value);
/* Removes all leading and trailing '"' if the string starts and ends with one. */
void optlist_strip_quotes(char *s);

/* ---- argv (argv.c) ---- */

struct cli_flags {
	uint64_t cpus;
	uint64_t memory;
	struct strvec bootloader; /* concatenated quote-aware lists */
	bool bootloader_set;
	char *kernel, *initrd, *cmdline;
	bool kernel_set, initrd_set, cmdline_set;
	struct strvec devices; /* one string per --device */
	char *timesync;
	char *restful_uri;
	char *log_level;
	char *ignition;
	char *pidfile;
	struct strvec cloud_init;
	bool gui, nested, version, help, dry_run;
};

/* pflag-style parsing of argv[1..] into flags. 0 or -1 with err. */
int argv_parse(int argc, char **argv, struct cli_flags *f, char *err, size_t errlen);
void cli_flags_free(struct cli_flags *f);
/* The usage text printed by --help. */
void cli_print_usage(void);

/* ---- pieces of the configuration ---- */

int bootloader_parse(const struct cli_flags *f, struct boot_config *boot, char *err, size_t errlen);
/* One --device string appended to cfg->devices. */
int device_parse(struct vm_config *cfg, const char *spec, char *err, size_t errlen);
/* Appends a zeroed device of that kind; NULL on ENOMEM. */
struct device_config *config_add_device(struct vm_config *cfg, enum device_kind kind);
void device_config_clear(struct device_config *dev);

/* Per-device option parsers (devices_*.c): items exclude the type. */
int dev_parse_disk(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_check_disk_header(const char *path, char *err, size_t errlen);
int dev_parse_nbd(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_net(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_serial(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_no_options(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_vsock(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_fs(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_rosetta(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_gpu(struct device_config *dev, struct strvec *items, char *err, size_t errlen);
int dev_parse_input(struct device_config *dev, struct strvec *items, char *err, size_t errlen);

/* MAC in the three accepted spellings (devices_net.c). 0 or -1. */
int parse_mac(const char *s, uint8_t mac[6]);

int timesync_parse(const char *value, uint32_t *port, char *err, size_t errlen);
int ignition_parse(const char *value, char **path, char *err, size_t errlen);
int cloud_init_parse(const struct strvec *items, char ***files, char *err, size_t errlen);
int rest_uri_parse(const char *uri, struct rest_config *rest, char *err, size_t errlen);
void rest_config_clear(struct rest_config *rest);
/* --gui: adds a virtio-gpu and a keyboard if missing, marks the first GPU. */
int gui_add_devices(struct vm_config *cfg);

/* ---- validation helpers (validate_*.c) ---- */

/* Platform limits checked by config_validate. */
#define CFG_MAX_CPUS	   255
#define CFG_MIN_MEMORY_MIB 32
#define CFG_MAX_MEMORY_MIB 1048576
/* sizeof(sockaddr_un.sun_path) - 1 on Linux. */
#define CFG_UNIX_PATH_MAX 107

int validate_device(struct vm_config *cfg, size_t index, char *err, size_t errlen);
int validate_vsock_ports(const struct vm_config *cfg, char *err, size_t errlen);
/* Go-style lower-case strerror ("no such file or directory"). */
const char *errno_text(int e, char *buf, size_t len);
/* Rejects a file starting with the qcow2 magic; message says how to convert. */
int check_not_qcow2(const char *path, char *err, size_t errlen);
/* Go's filepath.Base / Dir into buf. */
const char *path_basename(const char *path, char *buf, size_t len);
void path_dirname(const char *path, char *buf, size_t len);
/* A file we will create or rewrite: writable if it exists, else its directory is. */
int check_writable_file(const char *path, char *err, size_t errlen);
/* Root of /sys (tests point it elsewhere). */
extern const char *cfg_sysfs_root;

#endif
