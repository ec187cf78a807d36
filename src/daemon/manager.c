/* SPDX-License-Identifier: Apache-2.0 */
#include <inttypes.h>
#include <signal.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "config-reload.h"
#include "cri-pending.h"
#include "cri-service.h"
#include "fileio.h"
#include "log.h"
#include "manager-dbus.h"
#include "manager-storage.h"
#include "container-manager.h"
#include "container-restore.h"
#include "manager.h"
#include "pod-manager.h"
#include "pod-state.h"
#include "stream-manager.h"

/* How long in-flight calls may take to finish once a stop is asked for. */
#define MANAGER_STOP_TIMEOUT_USEC (10ULL * 1000000ULL)

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        log_info("Received signal %s, shutting down.", sigabbrev_np((int) si->ssi_signo) ?: "?");
        manager_stop(m);
        return 0;
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;

        (void) manager_reload(m);
        return 0;
}

int manager_new(Config *config, ConfigSources *sources, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        sigset_t mask;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m) {
                config_free(config);
                config_sources_free(sources);
                return log_oom();
        }
        m->config = config;
        m->sources = sources;

        r = sd_event_new(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");

        /* Signals are taken from signalfd inside the loop: block their default delivery first. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        /* CNI plugins and namespace pinning run as children watched by sd-event: SIGCHLD is
         * blocked here, before any thread starts, so that every thread inherits the mask. */
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Failed to block signals: %m");

        r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_stop_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_stop_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_reload_signal, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        /* Pings systemd's watchdog from the loop when WatchdogSec= is set. */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable watchdog support, ignoring: %m");

        r = grpc_server_new(m->event, cri_methods, cri_methods_count, m, &m->grpc);
        if (r < 0)
                return log_error_errno(r, "Failed to create gRPC server: %m");
        grpc_server_set_http_handler(m->grpc, cri_http_handler);
        manager_apply_config(m);

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;

        grpc_server_free(m->grpc);
        /* Creations kept past their callers hold pods and containers: before those go. */
        cri_pending_free(m->pending_containers);
        cri_pending_free(m->pending_pods);
        /* Streams cancel their processes: before the pods and containers go. */
        manager_stop_streaming(m);
        /* Containers hold their pods and systemd calls: they go first. */
        container_restore_cancel();
        manager_free_containers(m);
        /* Pod operations hold systemd and CNI calls: they go with the pods, before the bus. */
        manager_free_pods(m);
        /* D-Bus pull calls wait on the puller: they go before it. */
        manager_disconnect_bus(m);
        /* Pulls hold layers of the store: they go first. */
        image_puller_free(m->image_puller);
        image_store_free(m->image_store);
        sd_event_source_unref(m->sigterm_source);
        sd_event_source_unref(m->sigint_source);
        sd_event_source_unref(m->sighup_source);
        sd_event_unref(m->event);
        config_free(m->config);
        config_sources_free(m->sources);
        free(m->socket_path);
        return mfree(m);
}

static int manager_listen(Manager *m) {
        int n, r;

        n = sd_listen_fds(/* unset_environment= */ true);
        if (n < 0)
                return log_error_errno(n, "Failed to read sockets passed by systemd: %m");
        if (n > 1)
                return log_error_errno(EINVAL, "Expected one socket from systemd, got %d.", n);
        if (n == 1) {
                r = sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, /* listening= */ 1, NULL, 0);
                if (r <= 0)
                        return log_error_errno(r < 0 ? r : EINVAL,
                                               "The socket passed by systemd is not a listening unix stream socket.");
                r = grpc_server_add_listener(m->grpc, SD_LISTEN_FDS_START);
                if (r < 0)
                        return log_error_errno(r, "Failed to serve the socket passed by systemd: %m");
                log_info("Serving CRI on the socket passed by systemd.");
                return 0;
        }

        r = mkdir_parents(m->config->listen, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", m->config->listen);

        r = grpc_server_listen_unix(m->grpc, m->config->listen, 0660);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", m->config->listen);

        log_info("Serving CRI on %s.", m->config->listen);
        return 0;
}

int manager_load_images(Manager *m) {
        const char *conf = getenv("CONTAINERS_REGISTRIES_CONF");
        int r;

        if (m->image_store)
                return 0;
        r = image_store_open(m->config->root, &m->image_store);
        if (r < 0)
                return log_error_errno(r, "Failed to open the image store in %s: %m", m->config->root);

        /* containers/image's variable for another registries.conf, without drop-ins. */
        r = image_puller_new(m->event, m->image_store, &(ImagePullerSettings) {
                        .registries_conf = conf && *conf ? conf : NULL,
                        .registries_conf_dir = conf && *conf ? "" : NULL,
                        .global_auth_file = m->config->global_auth_file,
                        .insecure_registries = m->config->insecure_registries,
                        .progress_timeout_usec = m->config->pull_progress_timeout > 0 ?
                                (uint64_t) m->config->pull_progress_timeout / 1000U : 0,
                }, &m->image_puller);
        if (r < 0)
                return log_error_errno(r, "Failed to set up image pulls: %m");
        return 0;
}

/* What an earlier crio left: pods first (containers need theirs), then the containers, then what has
 * no record is undone in the background. */
static int manager_restore(Manager *m) {
        int r;

        r = pod_restore_all(m);
        if (r < 0)
                return r;
        r = container_restore_all(m);
        if (r < 0)
                return r;
        pod_restore_finish(m);
        if (m->systemd)
                (void) pod_cleanup_stale(m);
        return 0;
}

int manager_start(Manager *m) {
        int r;

        r = manager_wipe_if_needed(m);
        if (r < 0)
                return r;

        r = manager_load_images(m);
        if (r < 0)
                return r;

        r = manager_start_pods(m);
        if (r < 0)
                return r;

        r = manager_start_containers(m);
        if (r < 0)
                return r;

        r = manager_restore(m);
        if (r < 0)
                return r;

        r = manager_start_streaming(m);
        if (r < 0)
                return r;

        r = manager_listen(m);
        if (r < 0)
                return r;

        /* org.crio1 is owned before READY=1; without a system bus crio goes on without it. */
        (void) manager_connect_bus(m);

        (void) manager_storage_started(m);

        (void) sd_notifyf(/* unset_environment= */ false,
                          "READY=1\nSTATUS=Serving CRI v1 on %s\nMAINPID=%lu",
                          m->config->listen, (unsigned long) getpid());
        return 0;
}

static void on_drained(GrpcServer *s, void *userdata) {
        Manager *m = userdata;

        log_info("All connections closed, exiting.");
        (void) sd_event_exit(m->event, m->exit_code);
}

void manager_stop(Manager *m) {
        int r;

        if (m->stopping)
                return;
        m->stopping = true;

        (void) sd_notify(false, "STOPPING=1\nSTATUS=Shutting down");

        r = grpc_server_shutdown(m->grpc, MANAGER_STOP_TIMEOUT_USEC, on_drained);
        if (r < 0) {
                log_warning_errno(r, "Failed to drain connections, exiting at once: %m");
                (void) sd_event_exit(m->event, m->exit_code);
        }
}

void manager_apply_config(Manager *m) {
        int level = log_level_from_string(m->config->log_level);

        if (level >= 0)
                log_set_max_level(level);
        grpc_server_set_limits(m->grpc, &(GrpcServerLimits) {
                .max_recv_message_size = (size_t) m->config->grpc_max_recv_msg_size,
                .max_send_message_size = (size_t) m->config->grpc_max_send_msg_size,
        });
}

static uint64_t now_monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

int manager_reload(Manager *m) {
        _cleanup_(config_freep) Config *fresh = NULL;
        int r;

        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=Reloading configuration",
                          now_monotonic_usec());
        log_info("Received SIGHUP: reloading configuration.");

        r = config_load(m->sources, &fresh);
        if (r >= 0)
                r = config_verify_host(fresh);
        if (r < 0)
                log_error_errno(r, "Configuration reload failed, keeping the configuration in force.");
        else {
                r = config_reload_apply(m->config, fresh);
                if (r < 0)
                        log_oom();
                else {
                        manager_apply_config(m);
                        (void) manager_bus_send_changed(m);
                        log_info("Configuration reloaded, %d setting(s) changed.", r);
                }
        }

        (void) sd_notifyf(false, "READY=1\nSTATUS=Serving CRI v1 on %s", m->config->listen);
        return r < 0 ? r : 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        (void) manager_storage_stopped(m);
        return r;
}
