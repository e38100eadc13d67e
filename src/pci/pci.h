/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PCI bus 0 (Q35 host bridge), ECAM and config mechanism #1.
 * Device-level API (functions, BARs, capabilities, MSI-X) lives in the
 * headers next to this one.
 */
#ifndef VFKIT_PCI_H
#define VFKIT_PCI_H

struct vm;

int pci_init(struct vm *vm);
void pci_destroy(struct vm *vm);

#endif
