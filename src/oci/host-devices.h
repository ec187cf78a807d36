/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The host's device nodes, which a privileged container gets in its /dev as CRI-O gives them (unless
 * the runtime handler says privileged_without_host_devices). */

#include <stddef.h>

#include "oci-spec.h"

/* Every character and block device below dir (normally "/dev"), as OciDevices with the host's path,
 * numbers, mode and owner. Left out as runc's and CRI-O's walk leaves them out: symlinks, FIFOs,
 * "console", the per-container directories (pts, shm, fd, mqueue) and nodes numbered 0:0. */
int oci_host_devices(const char *dir, OciDevice **ret, size_t *ret_n);

void oci_devices_free(OciDevice *devices, size_t n);
