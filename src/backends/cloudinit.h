/* SPDX-License-Identifier: Apache-2.0 */
/* The --cloud-init seed ISO (reference section 8). */
#ifndef VFKIT_CLOUDINIT_H
#define VFKIT_CLOUDINIT_H

#include <stddef.h>

/*
 * The seed lives in a directory only we can enter: $XDG_RUNTIME_DIR when it
 * is ours and mode 0700, else $TMPDIR or /tmp; there each VM makes a fresh
 * vfkit-cloudinit-<pid>-XXXXXX (mkdtemp) holding cidata.iso (mode 0600).
 */
struct cloudinit_seed {
	char *dir;  /* the private directory */
	char *path; /* dir/cidata.iso: for messages and /vm/inspect */
	int dir_fd;
	int fd; /* read-only: the disk is attached through this, not by path */
};

/*
 * Builds the seed from the files named user-data, meta-data and
 * network-config among paths (NULL-terminated). 0, or -1 with a message in
 * err and nothing left behind.
 */
int cloudinit_make_seed(char *const *paths, struct cloudinit_seed *seed, char *err, size_t errlen);

/* Closes the descriptors and deletes the ISO and its directory. */
void cloudinit_remove_seed(struct cloudinit_seed *seed);

/* Deletes seed directories left behind by vfkit processes that no longer run. */
void cloudinit_remove_stale(void);

#endif
