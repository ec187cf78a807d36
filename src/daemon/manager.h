/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The daemon's one object: the event loop, the configuration in force and the servers on it. */

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-polkit.h"
#include "config-load.h"
#include "config.h"
#include "grpc-server.h"
#include "image-pull.h"
#include "image-store.h"
#include "macro.h"

typedef struct Manager {
        sd_event *event;
        Config *config;
        /* Where the configuration came from (files, flags), read again on reload. */
        ConfigSources *sources;
        GrpcServer *grpc;
        /* The image store under [crio] root and the pulls into it, opened by manager_load_images(). */
        ImageStore *image_store;
        ImagePuller *image_puller;
        /* The org.crio1 API on the system bus (src/dbus/); NULL when crio runs without a system bus. */
        sd_bus *bus;
        BusPolkit *polkit;
        /* D-Bus PullImage calls waiting for their pull. */
        struct BusImagePull *bus_pulls;
        /* D-Bus StopPod and RemovePod calls waiting for their pod operation. */
        struct BusPodCall *bus_pod_calls;
        /* D-Bus StopContainer, KillContainer and RemoveContainer calls waiting for their operation. */
        struct BusContainerCall *bus_container_calls;
        /* The pods' container lists while a GetManagedObjects call is answered (pod-dbus.c). */
        struct BusPodContainers *bus_pod_containers;

        /* Pods (src/pod/): systemd's manager API for their slices, CNI for their networks (the
         * default network followed in network_dir), and the pods themselves; set up by
         * manager_start_pods(). */
        struct SystemdClient *systemd;
        struct CniExec *cni_exec;
        struct CniWatch *cni_watch;
        struct PodStore *pods;

        /* Containers (src/container/): by id and by name, conmon's exits directory watched, one
         * OCI runtime per handler; set up by manager_start_containers(). */
        struct Hashmap *containers_by_id;
        struct Hashmap *containers_by_name;
        struct ExitWatch *exit_watch;
        struct Hashmap *runtimes;

        /* Who hears of container lifecycle events (container-events.c): GetContainerEvents calls. */
        struct ContainerEventSubscriber *event_subscribers;

        /* RunPodSandbox and CreateContainer kept past their callers for kubelet's retries
         * (src/cri/cri-pending.c), made at the first call. */
        struct CriPending *pending_pods;
        struct CriPending *pending_containers;

        /* The exec/attach/port-forward server (src/streaming/), set up by manager_start_streaming(). */
        struct StreamServer *stream_server;

        sd_event_source *sigterm_source;
        sd_event_source *sigint_source;
        sd_event_source *sighup_source;

        /* The socket file we bound, to remove at exit (NULL under socket activation). */
        char *socket_path;
        bool stopping;
        int exit_code;
} Manager;

/* Takes ownership of config and sources (which may be NULL: defaults and the default files). */
int manager_new(Config *config, ConfigSources *sources, Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Binds the CRI socket (or takes it from systemd), then tells systemd we are ready. */
int manager_start(Manager *m);
/* Opens the image store and sets up pulling into it. */
int manager_load_images(Manager *m);
/* Runs the loop until SIGTERM/SIGINT; returns the exit code. */
int manager_run(Manager *m);
/* Begins a clean stop: no new connections, in-flight calls answered, then the loop exits. */
void manager_stop(Manager *m);
/* SIGHUP: re-read every file; apply the keys that may change live. A broken file keeps the
 * configuration in force. */
int manager_reload(Manager *m);
/* Puts the daemon-wide settings of m->config into force: log level, gRPC message limits. */
void manager_apply_config(Manager *m);
