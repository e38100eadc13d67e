// SPDX-License-Identifier: Apache-2.0
/*
 * --bootloader linux|efi|macos,... and the deprecated --kernel, --initrd,
 * --kernel-cmdline trio (reference 2.2, 4).
 */
#include <stdlib.h>
#include <string.h>

#include "config/cli_internal.h"

static int set_str(char **dst, const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value);

	if (!copy)
		return cli_err(err, errlen, "out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

static int linux_option(struct boot_config *boot, const char *key, char *value, char *err,
			size_t errlen)
{
	if (!strcmp(key, "kernel"))
		return set_str(&boot->kernel, value, err, errlen);
	if (!strcmp(key, "initrd"))
		return set_str(&boot->initrd, value, err, errlen);
	if (!strcmp(key, "cmdline")) {
		/* only cmdline loses its quotes; kernel="/x" keeps them (upstream) */
		optlist_strip_quotes(value);
		return set_str(&boot->cmdline, value, err, errlen);
	}
	return cli_err(err, errlen, "unknown option for Linux bootloaders: %s", key);
}

static int efi_option(struct boot_config *boot, const char *key, const char *value, char *err,
		      size_t errlen)
{
	if (!strcmp(key, "variable-store"))
		return set_str(&boot->efi_variable_store, value, err, errlen);
	if (!strcmp(key, "create")) {
		if (value[0])
			return cli_err(err, errlen,
				       "unexpected value for EFI bootloader 'create' option: %s",
				       value);
		boot->efi_create = true;
		return 0;
	}
	return cli_err(err, errlen, "unknown option for EFI bootloaders: %s", key);
}

static int macos_option(struct boot_config *boot, const char *key, const char *value, char *err,
			size_t errlen)
{
	if (!strcmp(key, "machineIdentifierPath"))
		return set_str(&boot->macos_machine_identifier, value, err, errlen);
	if (!strcmp(key, "hardwareModelPath"))
		return set_str(&boot->macos_hardware_model, value, err, errlen);
	if (!strcmp(key, "auxImagePath"))
		return set_str(&boot->macos_aux_image, value, err, errlen);
	return cli_err(err, errlen, "unknown option for macOS bootloaders: %s", key);
}

static int from_list(const struct strvec *list, struct boot_config *boot, char *err, size_t errlen)
{
	const char *type;
	size_t i;

	if (!list->n)
		return cli_err(err, errlen,
			       "empty option list in --bootloader command line argument");
	type = list->v[0];
	if (!strcmp(type, "linux"))
		boot->kind = BOOT_LINUX;
	else if (!strcmp(type, "efi"))
		boot->kind = BOOT_EFI;
	else if (!strcmp(type, "macos"))
		boot->kind = BOOT_MACOS;
	else
		return cli_err(err, errlen, "unknown bootloader type: %s", type);

	for (i = 1; i < list->n; i++) {
		char *key, *value;
		int rc;

		if (!list->v[i][0])
			continue;
		optlist_kv(list->v[i], &key, &value);
		if (boot->kind == BOOT_LINUX)
			rc = linux_option(boot, key, value, err, errlen);
		else if (boot->kind == BOOT_EFI)
			rc = efi_option(boot, key, value, err, errlen);
		else
			rc = macos_option(boot, key, value, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static bool nonempty(const char *s)
{
	return s && s[0];
}

int bootloader_parse(const struct cli_flags *f, struct boot_config *boot, char *err, size_t errlen)
{
	/* Legacy flags win when any has a value; the command line keeps its quotes. */
	if (nonempty(f->kernel) || nonempty(f->initrd) || nonempty(f->cmdline)) {
		boot->kind = BOOT_LINUX;
		if (set_str(&boot->kernel, f->kernel ? f->kernel : "", err, errlen) ||
		    set_str(&boot->initrd, f->initrd ? f->initrd : "", err, errlen) ||
		    set_str(&boot->cmdline, f->cmdline ? f->cmdline : "", err, errlen))
			return -1;
		return 0;
	}
	if (from_list(&f->bootloader, boot, err, errlen)) {
		cli_err_prefix(err, errlen, "--bootloader");
		return -1;
	}
	return 0;
}
