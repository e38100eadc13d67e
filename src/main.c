// SPDX-License-Identifier: Apache-2.0
/* argv → config → vm → run; nothing else. */
#include <stdio.h>

int main(void)
{
	printf("vfkit version: %s\n", VFKIT_VERSION);
	return 0;
}
