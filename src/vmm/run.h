/* SPDX-License-Identifier: Apache-2.0 */
#ifndef VFKIT_RUN_H
#define VFKIT_RUN_H

#include "config/config.h"

/*
 * Builds the VM described by cfg (already parsed and validated), runs it until
 * it stops, cleans up, and returns the process exit status: 0 for a normal
 * stop (guest power-off, REST Stop/HardStop, SIGINT/SIGTERM), 1 for errors.
 */
int vm_main(struct vm_config *cfg);

#endif
