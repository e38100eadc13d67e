/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration model: what the command line says, as plain C structs.
 * The parser (config/cli.c) fills it, validation checks it, and every other
 * part of the VMM reads it. Nothing outside config/ parses option strings.
 *
 * Strings are heap-allocated and owned by the config (config_free()).
 * Fields marked "runtime" are filled after start (pty name, DHCP lease) and
 * are reported by /vm/inspect; they are protected by config_runtime_lock().
 */
#ifndef VFKIT_CONFIG_H
#define VFKIT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2, /* default */
	LOG_LEVEL_DEBUG = 3,
};

enum boot_kind {
	BOOT_NONE = 0,
	BOOT_LINUX,
	BOOT_EFI,
	BOOT_MACOS,
};

struct boot_config {
	enum boot_kind kind;
	/* linux (also the deprecated --kernel/--initrd/--kernel-cmdline) */
	char *kernel;
	char *initrd;
	char *cmdline;
	/* efi */
	char *efi_variable_store;
	bool efi_create;
	/* macos (Apple-only; refused at create time) */
	char *macos_machine_identifier;
	char *macos_hardware_model;
	char *macos_aux_image;
};

enum device_kind {
	DEV_VIRTIO_BLK = 0,
	DEV_NVME,
	DEV_USB_MASS_STORAGE,
	DEV_NBD,
	DEV_VIRTIO_NET,
	DEV_VIRTIO_SERIAL,
	DEV_VIRTIO_RNG,
	DEV_VIRTIO_BALLOON,
	DEV_VIRTIO_VSOCK,
	DEV_VIRTIO_FS,
	DEV_ROSETTA,
	DEV_VIRTIO_GPU,
	DEV_VIRTIO_INPUT,
	DEV_KIND_COUNT,
};

/* virtio-blk, nvme, usb-mass-storage */
struct disk_config {
	char *path;
	bool type_set;   /* "type" given explicitly (shown in JSON) */
	bool type_dev;   /* type=dev: host block device */
	bool readonly;
	char *device_id; /* virtio-blk only: serial, NULL if none */
	char *open_path; /* runtime, set by vfkit only: open this instead of path */
};

enum nbd_sync {
	NBD_SYNC_FULL = 0,
	NBD_SYNC_NONE,
};

struct nbd_config {
	char *uri;
	char *device_id;
	int32_t timeout_ms; /* default 15000 */
	enum nbd_sync sync;
	bool readonly;
};

enum net_attachment {
	NET_NAT = 0,
	NET_FD,
	NET_UNIXGRAM,
};

struct net_config {
	enum net_attachment attachment;
	bool nat_given;      /* "nat" appeared (JSON "nat": true) */
	bool has_mac;
	uint8_t mac[6];      /* valid when has_mac; else random at create time */
	int fd;              /* NET_FD */
	char *socket_path;   /* NET_UNIXGRAM: unixSocketPath= or type=unixgram,path= */
	bool vfkit_magic;    /* send "VFKT" first (default on with a socket path) */
	bool offloading_off; /* accepted and ignored */
	char *lease_ip;      /* runtime: address handed out by the NAT's DHCP */
};

enum serial_mode {
	SERIAL_LOGFILE = 0,
	SERIAL_STDIO,
	SERIAL_PTY,
};

struct serial_config {
	enum serial_mode mode;
	char *log_file_path; /* SERIAL_LOGFILE */
	char *pty_name;      /* runtime: slave path of SERIAL_PTY */
};

struct vsock_config {
	uint32_t port;
	char *socket_url; /* host unix socket path; NULL or "" exposes nothing */
	bool listen;      /* true: guest connects to host (default); false: connect */
};

struct fs_config {
	char *shared_dir;
	char *mount_tag; /* as configured (may be empty); default is basename */
};

struct rosetta_config {
	char *mount_tag;
	bool install;
	bool ignore_if_missing;
};

struct gpu_config {
	int64_t width;  /* default 800 */
	int64_t height; /* default 600 */
	bool uses_gui;
};

enum input_type {
	INPUT_KEYBOARD = 0,
	INPUT_POINTING,
};

struct input_config {
	enum input_type type;
};

struct device_config {
	enum device_kind kind;
	union {
		struct disk_config disk; /* VIRTIO_BLK, NVME, USB_MASS_STORAGE */
		struct nbd_config nbd;
		struct net_config net;
		struct serial_config serial;
		struct vsock_config vsock;
		struct fs_config fs;
		struct rosetta_config rosetta;
		struct gpu_config gpu;
		struct input_config input;
	};
};

enum rest_scheme {
	REST_NONE = 0,
	REST_TCP,
	REST_UNIX,
};

struct rest_config {
	char *uri;          /* as given (default "tcp://localhost:8081") */
	enum rest_scheme scheme;
	char *host;         /* REST_TCP: host as written, IPv6 without [] ("" = all interfaces) */
	uint16_t port;      /* REST_TCP */
	char *path;         /* REST_UNIX: decoded socket path */
};

struct vm_config {
	uint64_t cpus;       /* default 1 */
	uint64_t memory_mib; /* default 512 */
	struct boot_config boot;

	struct device_config *devices; /* command-line order, then cloud-init disk, then --gui */
	size_t device_count;
	size_t cli_device_count; /* how many came from --device: the cloud-init disk goes after them */

	struct rest_config rest;
	enum log_level log_level;
	bool gui;
	bool nested;
	char *ignition;          /* config file path, NULL when off */
	uint32_t timesync_port;  /* 0 = off */
	char *pidfile;           /* NULL when not given */
	/*
	 * NULL-terminated, NULL when off: only the recognised files, at most one
	 * each, in the order user-data, meta-data, network-config (a missing one
	 * is an empty file in the ISO). The ISO names them by basename.
	 */
	char **cloud_init_files;
	char *cloud_init_iso;    /* runtime: generated ISO path (deleted at exit) */
	bool dry_run;            /* --dry-run: validate, print inspect JSON, exit 0 */
};

/* Human-readable type name as on the command line ("virtio-blk", ...). */
const char *device_kind_name(enum device_kind kind);

void config_free(struct vm_config *cfg);

/* Serialises runtime fields (pty_name, lease_ip) between threads. */
void config_runtime_lock(void);
void config_runtime_unlock(void);

#endif
