/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Standard base64 (RFC 4648 alphabet), as auth.json, CNI caches and the base64 WebSocket channels
 * use it. */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The size of buffer base64_decode_into() needs for size characters. */
#define BASE64_DECODED_MAX(size) ((size) / 4 * 3 + 3)

/* Encodes with padding; the result is NUL-terminated, *ret_size excludes the NUL. */
int base64_encode(const void *data, size_t size, char **ret, size_t *ret_size);

/* Decodes into out (BASE64_DECODED_MAX(size) bytes); returns the decoded length or -EINVAL.
 * Padding is optional, but when present it must complete the last quantum. */
ssize_t base64_decode_into(const char *s, size_t size, uint8_t *out);

/* Same into a new NUL-terminated buffer. */
int base64_decode(const char *s, size_t size, char **ret, size_t *ret_size);
