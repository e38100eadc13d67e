// SPDX-License-Identifier: Apache-2.0
/*
 * The option-string grammars on their own: the first byte picks which value
 * the rest of the input is (a --device string, a --bootloader list, a
 * --timesync value, a --restful-uri, a MAC address, a --cloud-init list).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cli.h"
#include "config/cli_internal.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_device(const char *s)
{
	struct vm_config cfg = {0};
	char err[512], *json;

	if (device_parse(&cfg, s, err, sizeof(err)) == 0) {
		json = config_inspect_json(&cfg);
		free(json);
	}
	config_free(&cfg);
}

static void fuzz_bootloader(const char *s)
{
	struct cli_flags f = {0};
	struct boot_config boot = {0};
	char err[512];

	if (optlist_split_quoted(s, &f.bootloader) == 0)
		bootloader_parse(&f, &boot, err, sizeof(err));
	free(boot.kernel);
	free(boot.initrd);
	free(boot.cmdline);
	free(boot.efi_variable_store);
	free(boot.macos_machine_identifier);
	free(boot.macos_hardware_model);
	free(boot.macos_aux_image);
	cli_flags_free(&f);
}

static void fuzz_small_values(uint8_t which, const char *s)
{
	struct rest_config rest = {0};
	struct strvec list = {0};
	char err[512], **files = NULL;
	uint8_t mac[6];
	uint32_t port;
	size_t i;

	switch (which) {
	case 2:
		timesync_parse(s, &port, err, sizeof(err));
		break;
	case 3:
		rest_uri_parse(s, &rest, err, sizeof(err));
		rest_config_clear(&rest);
		break;
	case 4:
		parse_mac(s, mac);
		break;
	default:
		if (optlist_split_quoted(s, &list) == 0)
			cloud_init_parse(&list, &files, err, sizeof(err));
		for (i = 0; files && files[i]; i++)
			free(files[i]);
		free(files);
		strvec_free(&list);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	log_set_level(LOG_LEVEL_ERROR);
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 6) {
	case 0:
		fuzz_device(s);
		break;
	case 1:
		fuzz_bootloader(s);
		break;
	default:
		fuzz_small_values(data[0] % 6, s);
		break;
	}
	free(s);
	return 0;
}
