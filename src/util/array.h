/* SPDX-License-Identifier: Apache-2.0 */
/* Element count of an array (an array, not a pointer to one). */
#ifndef VFKIT_UTIL_ARRAY_H
#define VFKIT_UTIL_ARRAY_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
