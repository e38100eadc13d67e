/* SPDX-License-Identifier: Apache-2.0 */
/* The --cloud-init seed ISO (reference section 8). */
#ifndef VFKIT_CLOUDINIT_H
#define VFKIT_CLOUDINIT_H

#include <stddef.h>

/*
 * Writes $TMPDIR/vfkit-cloudinit/vfkit-cloudinit-<pid>-<random>.iso (mode
 * 0600) from the files named user-data, meta-data and network-config among
 * paths (NULL-terminated). Returns the malloc'd path, or NULL with a message.
 */
char *cloudinit_make_iso(char *const *paths, char *err, size_t errlen);

/* Deletes ISOs left behind by vfkit processes that no longer run. */
void cloudinit_remove_stale(void);

#endif
