/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* JSON of the image store: the OCI image config as registries serve it, and the store's own index
 * files. json-glib stays inside image-json.c; callers see plain records and negative errnos. */

#include <stddef.h>

#include "image-record.h"

/* Parses an OCI (or Docker schema 2) image config. -EBADMSG when it is not one. */
int image_config_from_json(const char *json, size_t size, ImageConfig *ret);

/* overlay-images/images.json */
int image_records_to_json(ImageRecord *const *records, size_t n, char **ret);
int image_records_from_json(const char *json, size_t size, ImageRecord ***ret, size_t *ret_n);

/* overlay-layers/layers.json */
int image_layers_to_json(ImageLayer *const *layers, size_t n, char **ret);
int image_layers_from_json(const char *json, size_t size, ImageLayer ***ret, size_t *ret_n);
