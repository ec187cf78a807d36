/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "api.pb-c.h"
#include "cni-watch.h"
#include "config-json.h"
#include "config.h"
#include "crio-build.h"
#include "cri-call.h"
#include "cri-runtime.h"
#include "log.h"
#include "manager.h"

int cri_runtime_version(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *req = NULL;
        Runtime__V1__VersionResponse reply = RUNTIME__V1__VERSION_RESPONSE__INIT;

        req = cri_call_unpack(call, &runtime__v1__version_request__descriptor, message, size);
        if (!req)
                return 0;

        reply.version = (char *) CRI_KUBE_API_VERSION;
        reply.runtime_name = (char *) CRI_RUNTIME_NAME;
        reply.runtime_version = (char *) CRIO_VERSION;
        reply.runtime_api_version = (char *) CRI_RUNTIME_API_VERSION;
        return cri_call_reply(call, &reply.base);
}

int cri_runtime_status(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__StatusResponse reply = RUNTIME__V1__STATUS_RESPONSE__INIT;
        Runtime__V1__RuntimeStatus status = RUNTIME__V1__RUNTIME_STATUS__INIT;
        Runtime__V1__RuntimeCondition runtime_ready = RUNTIME__V1__RUNTIME_CONDITION__INIT,
                                      network_ready = RUNTIME__V1__RUNTIME_CONDITION__INIT;
        Runtime__V1__RuntimeCondition *conditions[] = { &runtime_ready, &network_ready };
        Runtime__V1__RuntimeHandlerFeatures features = RUNTIME__V1__RUNTIME_HANDLER_FEATURES__INIT;
        Runtime__V1__RuntimeHandler default_handler = RUNTIME__V1__RUNTIME_HANDLER__INIT,
                                    named_handler = RUNTIME__V1__RUNTIME_HANDLER__INIT;
        Runtime__V1__RuntimeHandler *handlers[] = { &default_handler, &named_handler };
        Runtime__V1__RuntimeFeatures runtime_features = RUNTIME__V1__RUNTIME_FEATURES__INIT;
        Runtime__V1__StatusResponse__InfoEntry config_entry = RUNTIME__V1__STATUS_RESPONSE__INFO_ENTRY__INIT;
        Runtime__V1__StatusResponse__InfoEntry *info[] = { &config_entry };
        _cleanup_free_ char *network_message = NULL, *config_json = NULL;
        Runtime__V1__StatusRequest *req;
        int r;

        msg = cri_call_unpack(call, &runtime__v1__status_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (Runtime__V1__StatusRequest *) msg;

        runtime_ready.type = (char *) "RuntimeReady";
        runtime_ready.status = true;

        /* Follows the inotify watch of network_dir: true while a valid network config exists. */
        network_ready.type = (char *) "NetworkReady";
        network_ready.status = m->cni_watch && cni_watch_is_ready(m->cni_watch);
        if (!network_ready.status) {
                network_ready.reason = (char *) "NetworkPluginNotReady";
                if (asprintf(&network_message, "Network plugin returns error: %s",
                             m->cni_watch ? cni_watch_get_reason(m->cni_watch) ?: "unknown" :
                             "CNI is not set up") < 0)
                        return -ENOMEM;
                network_ready.message = network_message;
        }

        status.n_conditions = ELEMENTSOF(conditions);
        status.conditions = conditions;
        reply.status = &status;

        /* kubelet reads the handler named "" as the default one. */
        features.recursive_read_only_mounts = true;
        default_handler.name = (char *) "";
        default_handler.features = &features;
        named_handler.name = m->config->default_runtime;
        named_handler.features = &features;
        reply.n_runtime_handlers = ELEMENTSOF(handlers);
        reply.runtime_handlers = handlers;

        runtime_features.supplemental_groups_policy = true;
        reply.features = &runtime_features;

        if (req->verbose) {
                r = config_to_json(m->config, &config_json);
                if (r < 0)
                        return r;
                config_entry.key = (char *) "config";
                config_entry.value = config_json;
                reply.n_info = ELEMENTSOF(info);
                reply.info = info;
        }

        return cri_call_reply(call, &reply.base);
}

int cri_runtime_config(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        Manager *m = userdata;
        _cleanup_message_ ProtobufCMessage *req = NULL;
        Runtime__V1__RuntimeConfigResponse reply = RUNTIME__V1__RUNTIME_CONFIG_RESPONSE__INIT;
        Runtime__V1__LinuxRuntimeConfiguration linux_config = RUNTIME__V1__LINUX_RUNTIME_CONFIGURATION__INIT;

        req = cri_call_unpack(call, &runtime__v1__runtime_config_request__descriptor, message, size);
        if (!req)
                return 0;

        linux_config.cgroup_driver = strcmp(m->config->cgroup_manager, "cgroupfs") == 0 ?
                RUNTIME__V1__CGROUP_DRIVER__CGROUPFS : RUNTIME__V1__CGROUP_DRIVER__SYSTEMD;
        reply.linux = &linux_config;
        return cri_call_reply(call, &reply.base);
}

int cri_runtime_update_config(GrpcCall *call, const uint8_t *message, size_t size, void *userdata) {
        _cleanup_message_ ProtobufCMessage *msg = NULL;
        Runtime__V1__UpdateRuntimeConfigResponse reply = RUNTIME__V1__UPDATE_RUNTIME_CONFIG_RESPONSE__INIT;
        const Runtime__V1__UpdateRuntimeConfigRequest *req;
        const char *cidr = NULL;

        msg = cri_call_unpack(call, &runtime__v1__update_runtime_config_request__descriptor, message, size);
        if (!msg)
                return 0;
        req = (const Runtime__V1__UpdateRuntimeConfigRequest *) msg;
        if (req->runtime_config && req->runtime_config->network_config)
                cidr = req->runtime_config->network_config->pod_cidr;
        /* Accepted and otherwise ignored, as CRI-O does: the CNI configuration assigns addresses. */
        log_info("kubelet's pod CIDR: %s.", cidr && *cidr ? cidr : "(none)");
        return cri_call_reply(call, &reply.base);
}
