/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"

bool bus_id_prefix_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strspn(s, "0123456789abcdef");
        return n > 0 && n <= BUS_ID_LENGTH && s[n] == '\0';
}

bool bus_lookup_key_is_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
        return n > 0 && n <= BUS_NAME_LENGTH_MAX && s[n] == '\0';
}

bool bus_signal_is_valid(int32_t signo) {
        return signo > 0 && signo <= SIGRTMAX;
}

bool bus_stop_timeout_is_valid(uint64_t timeout_sec) {
        return timeout_sec <= BUS_STOP_TIMEOUT_MAX_SEC;
}

static int path_join_id(const char *prefix, const char *id, char **ret) {
        size_t n = strlen(prefix), k = strlen(id);
        char *p;

        /* Ids are hex, valid path elements as they are: no escaping, so paths read like the ids. */
        if (!bus_id_prefix_is_valid(id))
                return -EINVAL;
        /* No printf: the node enumerators make one path per object in each GetManagedObjects. */
        p = malloc(n + 1 + k + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, prefix, n);
        p[n] = '/';
        memcpy(p + n + 1, id, k + 1);
        *ret = p;
        return 0;
}

int bus_pod_path(const char *id, char **ret) {
        return path_join_id(BUS_POD_PREFIX, id, ret);
}

int bus_container_path(const char *id, char **ret) {
        return path_join_id(BUS_CONTAINER_PREFIX, id, ret);
}

const char *bus_path_to_id(const char *path, const char *prefix) {
        size_t n = strlen(prefix);

        if (strncmp(path, prefix, n) != 0 || path[n] != '/' || !bus_id_prefix_is_valid(path + n + 1))
                return NULL;
        return path + n + 1;
}

int bus_object_path(char *buf, const char *prefix, const char *id) {
        size_t n = strlen(prefix), k = strlen(id);

        if (!bus_id_prefix_is_valid(id) || n + 1 + k + 1 > BUS_OBJECT_PATH_MAX)
                return -EINVAL;
        memcpy(buf, prefix, n);
        buf[n] = '/';
        memcpy(buf + n + 1, id, k + 1);
        return 0;
}

int bus_append_object_path(sd_bus_message *m, const char *prefix, const char *id) {
        char path[BUS_OBJECT_PATH_MAX];
        int r;

        r = bus_object_path(path, prefix, id);
        if (r < 0)
                return r;
        return sd_bus_message_append_basic(m, 'o', path);
}

int bus_append_trusted_string(sd_bus_message *m, const char *s, size_t n) {
        char *p;
        int r;

        r = sd_bus_message_append_string_space(m, n, &p);
        if (r < 0)
                return r;
        memcpy(p, s, n);
        return 0;
}

static bool is_ascii(const char *s, size_t n) {
        uint64_t any = 0, w;
        size_t i = 0;

        /* Eight bytes at a time: this runs for most strings of each GetManagedObjects. */
        for (; i + sizeof(w) <= n; i += sizeof(w)) {
                memcpy(&w, s + i, sizeof(w));
                any |= w;
        }
        for (; i < n; i++)
                any |= (unsigned char) s[i];
        return (any & UINT64_C(0x8080808080808080)) == 0;
}

int bus_append_string(sd_bus_message *m, const char *s) {
        size_t n;

        s = s ?: "";
        n = strlen(s);
        /* ASCII without NUL is valid UTF-8; anything else gets sd-bus's check, and its refusal. */
        if (is_ascii(s, n))
                return bus_append_trusted_string(m, s, n);
        return sd_bus_message_append_basic(m, 's', s);
}

static const char *shown(const char *key) {
        /* Long values are not echoed: cutting one could split a UTF-8 sequence. */
        return strlen(key) <= 80 ? key : "(too long)";
}

int bus_error_invalid_id(sd_bus_error *error, const char *what, const char *id) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                 "Invalid %s \"%s\": expected 1 to %u lowercase hexadecimal digits.",
                                 what, shown(id), BUS_ID_LENGTH);
}

void bus_list_filter_done(BusListFilter *f) {
        if (f->labels)
                for (char **p = f->labels; *p; p++)
                        free(*p);
        f->labels = mfree(f->labels);
        f->state = NULL;
}

int bus_list_filter_read(sd_bus_message *message, const char *const *states, BusListFilter *ret,
                         sd_bus_error *error) {
        _cleanup_(bus_list_filter_done) BusListFilter f = {};
        const char *state, *key, *value;
        size_t n = 0;
        int r;

        r = sd_bus_message_read(message, "s", &state);
        if (r < 0)
                return r;
        if (*state) {
                for (const char *const *s = states; *s; s++)
                        if (strcmp(*s, state) == 0)
                                f.state = *s;
                if (!f.state)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown state \"%s\".",
                                                 shown(state));
        }

        r = sd_bus_message_enter_container(message, 'a', "{ss}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(message, "{ss}", &key, &value)) > 0) {
                char **l;

                if (!*key)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Empty label key in filter.");
                l = reallocarray(f.labels, n + 3, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                f.labels = l;
                f.labels[n] = f.labels[n + 1] = f.labels[n + 2] = NULL;
                f.labels[n] = strdup(key);
                if (!f.labels[n])
                        return -ENOMEM;
                f.labels[n + 1] = strdup(value);
                if (!f.labels[n + 1]) {
                        f.labels[n] = mfree(f.labels[n]);
                        return -ENOMEM;
                }
                n += 2;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;

        *ret = f;
        f = (BusListFilter) {};
        return 0;
}

bool bus_list_filter_match_labels(const BusListFilter *f, char *const *labels) {
        if (!f->labels)
                return true;
        for (char **want = f->labels; *want; want += 2) {
                bool found = false;

                for (char *const *have = labels; have && *have && !found; have += 2)
                        found = strcmp(have[0], want[0]) == 0 && strcmp(have[1] ?: "", want[1]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

int bus_property_get_pairs(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        char **pairs = *(char ***) userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        if (r < 0)
                return r;
        /* Piece by piece rather than by format string: this runs for every object in each
         * GetManagedObjects. */
        for (char **k = pairs; k && k[0] && k[1]; k += 2) {
                r = sd_bus_message_open_container(reply, 'e', "ss");
                if (r >= 0)
                        r = bus_append_string(reply, k[0]);
                if (r >= 0)
                        r = bus_append_string(reply, k[1]);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int no_such(const BusLookup *l, sd_bus_error *error, const char *key) {
        return sd_bus_error_setf(error, l->error_no_such, "No %s \"%s\".", l->kind, shown(key));
}

static int ambiguous(const BusLookup *l, sd_bus_error *error, const char *key, const char *what) {
        return sd_bus_error_setf(error, BUS_ERROR_AMBIGUOUS_ID, "Several %s match %s \"%s\".", l->kinds,
                                 what, shown(key));
}

int bus_lookup_by_id(const BusLookup *l, void *userdata, const char *id, void **ret, sd_bus_error *error) {
        int r;

        r = l->find_by_id(userdata, id, ret);
        if (r == -ENOTUNIQ)
                return ambiguous(l, error, id, "the id prefix");
        if (r < 0)
                return no_such(l, error, id);
        return 0;
}

int bus_lookup(const BusLookup *l, void *userdata, const char *key, void **ret, sd_bus_error *error) {
        void *found;
        int r;

        found = l->get(userdata, key);
        if (found) {
                *ret = found;
                return 0;
        }

        r = l->find_by_metadata_name(userdata, key, &found);
        if (r == -ENOTUNIQ)
                return ambiguous(l, error, key, "the name");
        if (r < 0)
                return r;
        if (r > 0) {
                *ret = found;
                return 0;
        }

        if (!bus_id_prefix_is_valid(key))
                return no_such(l, error, key);
        return bus_lookup_by_id(l, userdata, key, ret, error);
}
