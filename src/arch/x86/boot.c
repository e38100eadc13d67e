// SPDX-License-Identifier: Apache-2.0
/* Direct Linux boot: checks, loading into guest RAM, entry state (boot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/boot.h"
#include "arch/x86/boot_image.h"
#include "arch/x86/boot_regs.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "vmm/vm.h"

#define OPT "--bootloader linux"
#define BZIMAGE_ENTRY64_OFFSET 0x200 /* startup_64 = code32_start + 0x200 */

/* The kernel file: mapped for parsing (only the headers and notes are touched), read with
 * pread() into guest RAM, which is much cheaper than faulting in the mapping (9p, NFS). */
struct mapped_file {
	const uint8_t *data;
	size_t len;
	int fd;
};

static int error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Opens a regular, non-empty file; its size in *size. fd, or -1 with err filled. */
static int open_input(const char *what, const char *path, uint64_t *size, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error(err, errlen, OPT ": %s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		error(err, errlen, OPT ": %s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		const char *why = S_ISDIR(st.st_mode) ? "is a directory"
				  : !S_ISREG(st.st_mode) ? "not a regular file"
							 : "empty file";

		close(fd);
		return error(err, errlen, OPT ": %s %s: %s", what, path, why);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int map_kernel(const char *path, struct mapped_file *mf, char *err, size_t errlen)
{
	uint64_t size = 0;
	int fd = open_input("kernel", path, &size, err, errlen);

	if (fd < 0)
		return -1;
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED) {
		close(fd);
		return error(err, errlen, OPT ": kernel %s: %s", path, strerror(errno));
	}
	mf->data = p;
	mf->len = size;
	mf->fd = fd;
	return 0;
}

static void unmap_kernel(struct mapped_file *mf)
{
	if (mf->data) {
		munmap((void *)mf->data, mf->len);
		close(mf->fd);
	}
	mf->data = NULL;
}

/* Checks of everything but file contents that both paths share. */
static int check_fit(const struct boot_config *boot, const struct kernel_image *img,
		     uint64_t ram, uint64_t initrd_size, uint64_t *initrd_addr, char *err,
		     size_t errlen)
{
	size_t cmdlen = boot->cmdline ? strlen(boot->cmdline) : 0;
	size_t cmdmax = BOOT_CMDLINE_MAX - 1;
	uint64_t end = kernel_image_end(img);

	if (img->format == KERNEL_BZIMAGE && img->cmdline_size && img->cmdline_size < cmdmax)
		cmdmax = img->cmdline_size;
	if (cmdlen > cmdmax)
		return error(err, errlen, OPT ": cmdline is %zu bytes; this kernel accepts at most %zu",
			     cmdlen, cmdmax);
	if (end > boot_low_ram_end(ram))
		return error(err, errlen,
			     OPT ": kernel %s needs RAM up to %llu MiB, the guest has %llu MiB there",
			     boot->kernel, (unsigned long long)((end + MiB(1) - 1) >> 20),
			     (unsigned long long)(boot_low_ram_end(ram) >> 20));
	if (initrd_size && boot_initrd_place(img, ram, initrd_size, initrd_addr) < 0)
		return error(err, errlen,
			     OPT ": initrd %s: %llu MiB do not fit in guest RAM below %llu MiB "
				 "next to the kernel",
			     boot->initrd, (unsigned long long)((initrd_size + MiB(1) - 1) >> 20),
			     (unsigned long long)(boot_low_ram_end(ram) >> 20));
	return 0;
}

static int initrd_size_of(const struct boot_config *boot, uint64_t *size, char *err,
			  size_t errlen)
{
	*size = 0;
	if (!boot->initrd || !*boot->initrd)
		return 0; /* optional for us, unlike upstream */
	int fd = open_input("initrd", boot->initrd, size, err, errlen);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int parse_kernel(const char *path, const struct mapped_file *mf,
			struct kernel_image *img, char *err, size_t errlen)
{
	char why[160];

	if (kernel_image_parse(mf->data, mf->len, KERNEL_LOAD_ADDR, img, why, sizeof(why)) < 0)
		return error(err, errlen, OPT ": kernel %s: %s", path, why);
	return 0;
}

int boot_check_linux(const struct boot_config *boot, uint64_t memory_bytes, char *err,
		     size_t errlen)
{
	struct mapped_file mf = { 0 };
	struct kernel_image img;
	uint64_t initrd_size, initrd_addr;
	int ret;

	if (!boot->kernel || !*boot->kernel)
		return error(err, errlen, OPT ": missing kernel path");
	if (map_kernel(boot->kernel, &mf, err, errlen) < 0)
		return -1;
	ret = parse_kernel(boot->kernel, &mf, &img, err, errlen);
	unmap_kernel(&mf);
	if (ret < 0 || initrd_size_of(boot, &initrd_size, err, errlen) < 0)
		return -1;
	return check_fit(boot, &img, memory_bytes, initrd_size, &initrd_addr, err, errlen);
}

/* Reads exactly len bytes at off; 0, or -1 with errno (0 for a short file). */
static int read_full(int fd, uint8_t *dst, uint64_t len, uint64_t off)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, dst + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		done += (uint64_t)n;
	}
	return 0;
}

static int load_segments(struct vm *vm, const struct mapped_file *mf,
			 const struct kernel_image *img)
{
	for (unsigned int i = 0; i < img->nsegs; i++) {
		const struct kernel_segment *s = &img->segs[i];
		uint8_t *dst = gmem_ptr(&vm->mem, s->paddr, s->memsz);

		if (!dst) {
			log_error(OPT ": kernel %s: segment at 0x%llx (%llu bytes) is outside guest RAM",
				  vm->cfg->boot.kernel, (unsigned long long)s->paddr,
				  (unsigned long long)s->memsz);
			return -1;
		}
		if (read_full(mf->fd, dst, s->filesz, s->offset) < 0) {
			log_error(OPT ": kernel %s: %s", vm->cfg->boot.kernel,
				  errno ? strerror(errno) : "file shrank while loading");
			return -1;
		}
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

static int load_initrd(struct vm *vm, uint64_t addr, uint64_t size)
{
	const char *path = vm->cfg->boot.initrd;
	uint8_t *dst = gmem_ptr(&vm->mem, addr, size);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !dst) {
		log_error(OPT ": initrd %s: %s", path, fd < 0 ? strerror(errno) : "does not fit");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (read_full(fd, dst, size, 0) < 0) {
		log_error(OPT ": initrd %s: %s", path,
			  errno ? strerror(errno) : "file shrank while loading");
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The platform writes the RSDP first at ACPI_TABLES_ADDR; 0 when it has not (yet). */
static uint64_t find_rsdp(struct vm *vm)
{
	const void *p = gmem_ptr(&vm->mem, ACPI_TABLES_ADDR, 8);

	return p && memcmp(p, "RSD PTR ", 8) == 0 ? ACPI_TABLES_ADDR : 0;
}

static int write_boot_data(struct vm *vm, const struct mapped_file *mf,
			   const struct kernel_image *img, const struct boot_info *info)
{
	const char *cmdline = vm->cfg->boot.cmdline ? vm->cfg->boot.cmdline : "";

	if (gmem_write(&vm->mem, BOOT_CMDLINE_ADDR, cmdline, info->cmdline_len + 1) < 0)
		goto small;
	if (img->format == KERNEL_ELF && img->has_pvh) {
		size_t room = BOOT_ZERO_PAGE - BOOT_PVH_START_INFO;
		uint8_t *si = gmem_ptr(&vm->mem, BOOT_PVH_START_INFO, room);

		if (!si || boot_pvh_build(si, room, BOOT_PVH_START_INFO, info) < 0)
			goto small;
		log_debug("boot: PVH entry at 0x%x", img->pvh_entry);
		return boot_setup_regs(vm, BOOT_ENTRY_PVH32, img->pvh_entry, BOOT_PVH_START_INFO);
	}

	uint8_t *zp = gmem_ptr(&vm->mem, BOOT_ZERO_PAGE, BP_SIZE);
	uint64_t entry = img->format == KERNEL_ELF ? img->entry64
						   : img->segs[0].paddr + BZIMAGE_ENTRY64_OFFSET;

	if (!zp)
		goto small;
	boot_zero_page_build(zp, mf->data, img, info);
	log_debug("boot: 64-bit entry at 0x%llx", (unsigned long long)entry);
	return boot_setup_regs(vm, BOOT_ENTRY_64, entry, BOOT_ZERO_PAGE);
small:
	log_error("boot: guest RAM too small for the boot data");
	return -1;
}

int boot_load_linux(struct vm *vm)
{
	const struct boot_config *boot = &vm->cfg->boot;
	struct mapped_file mf = { 0 };
	struct kernel_image img;
	struct boot_info info = {
		.ram_bytes = vm->mem.size,
		.cmdline_addr = BOOT_CMDLINE_ADDR,
		.cmdline_len = boot->cmdline ? strlen(boot->cmdline) : 0,
		.rsdp_addr = find_rsdp(vm),
	};
	char err[512];
	int ret = -1;

	if (!boot->kernel || map_kernel(boot->kernel, &mf, err, sizeof(err)) < 0 ||
	    parse_kernel(boot->kernel, &mf, &img, err, sizeof(err)) < 0 ||
	    initrd_size_of(boot, &info.initrd_size, err, sizeof(err)) < 0 ||
	    check_fit(boot, &img, info.ram_bytes, info.initrd_size, &info.initrd_addr, err,
		      sizeof(err)) < 0) {
		log_error("%s", boot->kernel ? err : OPT ": missing kernel path");
		goto out;
	}
	if (load_segments(vm, &mf, &img) < 0 ||
	    (info.initrd_size && load_initrd(vm, info.initrd_addr, info.initrd_size) < 0))
		goto out;
	ret = write_boot_data(vm, &mf, &img, &info);
out:
	unmap_kernel(&mf);
	return ret;
}
