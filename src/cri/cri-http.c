/* SPDX-License-Identifier: Apache-2.0 */

/* CRI-O answers a few plain HTTP GETs on its CRI socket; cAdvisor inside kubelet reads them. */

#include <string.h>

#include <fcntl.h>
#include <stdio.h>

#include "config-json.h"
#include "config-toml.h"
#include "container-json.h"
#include "container-manager.h"
#include "cri-service.h"
#include "fileio.h"
#include "manager.h"

static int reply_text(GrpcHttpResponse *ret, unsigned status, const char *content_type, char *body) {
        *ret = (GrpcHttpResponse) {
                .status = status,
                .content_type = content_type,
                .body = body,
                .body_size = strlen(body),
        };
        return 0;
}

static int reply_static(GrpcHttpResponse *ret, unsigned status, const char *text) {
        char *body = strdup(text);

        if (!body)
                return -ENOMEM;
        return reply_text(ret, status, "text/plain; charset=utf-8", body);
}

int cri_http_handler(const char *method, const char *path, GrpcHttpResponse *ret, void *userdata) {
        Manager *m = userdata;
        char *body = NULL;
        int r;

        if (strcmp(method, "GET") != 0)
                return reply_static(ret, 405, "405 method not allowed\n");

        if (strcmp(path, "/info") == 0) {
                r = config_info_to_json(m->config, &body);
                if (r < 0)
                        return r;
                return reply_text(ret, 200, "application/json", body);
        }

        if (strcmp(path, "/config") == 0) {
                r = config_to_toml(m->config, &body);
                if (r < 0)
                        return r;
                return reply_text(ret, 200, "application/toml", body);
        }

        if (strncmp(path, "/containers/", strlen("/containers/")) == 0) {
                const char *id = path + strlen("/containers/");
                _cleanup_free_ char *config_json = NULL, *config_path = NULL;
                size_t config_size = 0;
                Container *c;

                /* CRI-O's ContainerInfo: cAdvisor finds a container's pod, image and labels here. */
                if (container_find(m, id, &c) < 0)
                        return reply_static(ret, 404, "can't find the container with id\n");
                if (asprintf(&config_path, "%s/config.json", c->bundle_dir) < 0)
                        return -ENOMEM;
                (void) read_full_file_at(AT_FDCWD, config_path, 16 * 1024 * 1024, 0, &config_json, &config_size);
                r = container_info_json(c, config_json, config_size, &body);
                if (r < 0)
                        return r;
                return reply_text(ret, 200, "application/json", body);
        }

        return reply_static(ret, 404, "404 page not found\n");
}
