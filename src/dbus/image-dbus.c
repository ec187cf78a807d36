/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bus-polkit.h"
#include "bus-util.h"
#include "image-dbus.h"
#include "image-pull.h"
#include "strv.h"
#include "log.h"

/* Image references are short; anything longer is not one. */
#define IMAGE_REFERENCE_MAX 4096U

/* A PullImage call waiting for its pull, which may be shared with CRI pulls of the same image. */
struct BusImagePull {
        Manager *manager;
        BusImagePull *prev, *next;
        sd_bus_message *request;
        ImagePullWaiter *waiter;
        char *image;
};

static BusImagePull *bus_image_pull_free(BusImagePull *p) {
        if (!p)
                return NULL;
        if (p->prev)
                p->prev->next = p->next;
        else if (p->manager->bus_pulls == p)
                p->manager->bus_pulls = p->next;
        if (p->next)
                p->next->prev = p->prev;
        image_pull_waiter_cancel(p->waiter);
        sd_bus_message_unref(p->request);
        free(p->image);
        return mfree(p);
}

void image_dbus_drop_pulls(Manager *m) {
        while (m->bus_pulls)
                bus_image_pull_free(m->bus_pulls);
}

static void on_pull_done(int error, const char *message, const ImageRecord *image, void *userdata) {
        BusImagePull *p = userdata;
        int r;

        /* The waiter is gone once this returns: do not cancel it again. */
        p->waiter = NULL;
        if (error < 0)
                r = sd_bus_reply_method_errorf(p->request, BUS_ERROR_PULL_FAILED, "Pulling %s failed: %s",
                                               p->image, message ?: strerror(-error));
        else {
                log_info("Pulled image %s (%s) for a D-Bus client.", p->image, image->id);
                r = sd_bus_reply_method_return(p->request, "s", image->id);
        }
        if (r < 0)
                log_debug_errno(r, "Failed to answer PullImage of %s, ignoring: %m", p->image);
        bus_image_pull_free(p);
}

/* The a{sv} of PullImage: CRI's AuthConfig fields, all strings. */
static int read_auth(sd_bus_message *message, RegistryCredentials **ret, sd_bus_error *error) {
        static const char *const keys[] = { "username", "password", "auth", "server_address",
                                            "identity_token", "registry_token" };
        const char *values[ELEMENTSOF(keys)] = {};
        const char *key, *value;
        bool any = false;
        int r;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                size_t i;

                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;
                for (i = 0; i < ELEMENTSOF(keys); i++)
                        if (strcmp(keys[i], key) == 0)
                                break;
                if (i >= ELEMENTSOF(keys))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option \"%s\".",
                                                 strlen(key) <= 80 ? key : "(too long)");
                r = sd_bus_message_read(message, "v", "s", &value);
                if (r == -ENXIO || r == -EBADMSG)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option \"%s\" must be a string.", keys[i]);
                if (r < 0)
                        return r;
                values[i] = value;
                any = any || *value;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;

        if (!any) {
                *ret = NULL;
                return 0;
        }
        r = registry_credentials_from_auth_config(&(AuthConfig) {
                        .username = values[0],
                        .password = values[1],
                        .auth = values[2],
                        .server_address = values[3],
                        .identity_token = values[4],
                        .registry_token = values[5],
                }, ret);
        if (r == -EINVAL)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Malformed base64 credentials in \"auth\".");
        return r;
}

static bool image_reference_is_plausible(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > IMAGE_REFERENCE_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

static int no_image_store(sd_bus_message *message, sd_bus_error *error) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED, "%s: no image store is open.",
                                 sd_bus_message_get_member(message));
}

int method_pull_image(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(registry_credentials_freep) RegistryCredentials *credentials = NULL;
        Manager *m = userdata;
        BusImagePull *p;
        const char *image;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!m->image_puller)
                return no_image_store(message, error);

        r = sd_bus_message_read(message, "s", &image);
        if (r < 0)
                return r;
        if (!image_reference_is_plausible(image))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid image reference.");
        r = read_auth(message, &credentials, error);
        if (r < 0)
                return r;

        p = calloc(1, sizeof(BusImagePull));
        if (!p)
                return -ENOMEM;
        p->manager = m;
        p->image = strdup(image);
        if (!p->image) {
                free(p);
                return -ENOMEM;
        }
        p->request = sd_bus_message_ref(message);
        p->next = m->bus_pulls;
        if (m->bus_pulls)
                m->bus_pulls->prev = p;
        m->bus_pulls = p;

        r = image_puller_pull(m->image_puller, image, credentials, on_pull_done, p, &p->waiter);
        if (r < 0) {
                p->waiter = NULL;
                bus_image_pull_free(p);
                return sd_bus_error_set_errnof(error, r, "Failed to start pulling %s: %m", image);
        }
        /* Answered by on_pull_done(). */
        return 1;
}

static int append_image(Manager *m, sd_bus_message *reply, const ImageRecord *image) {
        bool pinned = image->pinned ||
                image_record_matches_pinned(image, m->config->pinned_images, m->config->pause_image);
        int r;

        r = sd_bus_message_open_container(reply, 'r', "sasastb");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", image->id);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, image->names);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, image->repo_digests);
        if (r >= 0)
                r = sd_bus_message_append(reply, "tb", image->size, pinned);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

int method_list_images(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const char *filter;
        int r;

        if (!m->image_store || !m->image_puller)
                return no_image_store(message, error);
        r = sd_bus_message_read(message, "s", &filter);
        if (r < 0)
                return r;
        if (*filter && !image_reference_is_plausible(filter))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid image reference.");

        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sasastb)");
        if (r < 0)
                return r;
        if (*filter) {
                ImageRecord *found;

                /* As CRI's ListImages filter: one image or none, found the way CRI calls name it. */
                if (image_puller_find(m->image_puller, filter, &found) >= 0) {
                        r = append_image(m, reply, found);
                        if (r < 0)
                                return r;
                }
        } else {
                ImageRecord *const *all;
                size_t n;

                all = image_store_images(m->image_store, &n);
                for (size_t i = 0; i < n; i++) {
                        r = append_image(m, reply, all[i]);
                        if (r < 0)
                                return r;
                }
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* TODO(containers): refuse images a container uses, as the CRI path will. */
static int image_in_use(const ImageRecord *image, void *userdata) {
        return 0;
}

int method_remove_image(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *key = NULL, *id = NULL;
        Manager *m = userdata;
        ImageRecord *found;
        const char *image;
        int r;

        r = bus_verify_polkit_async(m->polkit, message, BUS_POLKIT_ACTION_MANAGE, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!m->image_store || !m->image_puller)
                return no_image_store(message, error);

        r = sd_bus_message_read(message, "s", &image);
        if (r < 0)
                return r;
        if (!image_reference_is_plausible(image))
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid image reference.");

        /* Unlike CRI, which calls an unknown image removed, a person at busctl is told. */
        if (image_puller_find(m->image_puller, image, &found) < 0)
                return sd_bus_error_setf(error, BUS_ERROR_NO_SUCH_IMAGE, "No image \"%s\".",
                                         strlen(image) <= 80 ? image : "(too long)");
        if (found->pinned || image_record_matches_pinned(found, m->config->pinned_images, m->config->pause_image))
                return sd_bus_error_setf(error, BUS_ERROR_IMAGE_PINNED, "Image %s is pinned.", found->id);

        /* Naming one of several tags removes only that tag, as CRI-O does. */
        if (strv_length(found->names) > 1 && image_pull_key(image, &key) >= 0 &&
            image_record_has_name(found, key)) {
                r = image_store_remove_name(m->image_store, key);
                if (r < 0)
                        return sd_bus_error_set_errnof(error, r, "Failed to untag %s: %m", key);
                log_info("Untagged image %s for a D-Bus client.", key);
                return sd_bus_reply_method_return(message, NULL);
        }

        id = strdup(found->id);
        if (!id)
                return -ENOMEM;
        r = image_store_remove_image(m->image_store, id, image_in_use, m);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, BUS_ERROR_IMAGE_IN_USE, "Image %s is in use by a container.", id);
        if (r < 0 && r != -ENOENT)
                return sd_bus_error_set_errnof(error, r, "Failed to remove image %s: %m", id);
        log_info("Removed image %s (%s) for a D-Bus client.", image, id);
        return sd_bus_reply_method_return(message, NULL);
}
