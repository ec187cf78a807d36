/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Names and small checks shared by the org.crio1 objects: error names, object paths, and the
 * argument checks every method applies before it looks anything up. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "macro.h"

#define BUS_NAME "org.crio1"
#define BUS_PATH "/org/crio1"
#define BUS_POD_PREFIX "/org/crio1/pod"
#define BUS_CONTAINER_PREFIX "/org/crio1/container"

#define BUS_INTERFACE_MANAGER "org.crio1.Manager"
#define BUS_INTERFACE_POD "org.crio1.Pod"
#define BUS_INTERFACE_CONTAINER "org.crio1.Container"

/* The polkit action guarding every mutating method for callers other than root. */
#define BUS_POLKIT_ACTION_MANAGE "org.crio1.manage"

/* Our own error names; the generic ones (InvalidArgs, AccessDenied, NotSupported) are D-Bus's. */
#define BUS_ERROR_NO_SUCH_POD "org.crio1.NoSuchPod"
#define BUS_ERROR_NO_SUCH_CONTAINER "org.crio1.NoSuchContainer"
#define BUS_ERROR_NO_SUCH_IMAGE "org.crio1.NoSuchImage"
#define BUS_ERROR_AMBIGUOUS_ID "org.crio1.AmbiguousId"
#define BUS_ERROR_IMAGE_PINNED "org.crio1.ImagePinned"
#define BUS_ERROR_IMAGE_IN_USE "org.crio1.ImageInUse"
#define BUS_ERROR_PULL_FAILED "org.crio1.PullFailed"
#define BUS_ERROR_RELOAD_FAILED "org.crio1.ReloadFailed"
/* A stop or remove that was started and failed on the way (the message says where). */
#define BUS_ERROR_OPERATION_FAILED "org.crio1.OperationFailed"

/* CRI ids are 64 lowercase hex digits. */
#define BUS_ID_LENGTH 64U
/* Kubernetes object names are DNS subdomains: at most 253 characters. */
#define BUS_NAME_LENGTH_MAX 253U
/* Longer than any grace period anyone means: a larger StopContainer timeout is a mistake. */
#define BUS_STOP_TIMEOUT_MAX_SEC (366ULL * 24U * 3600U)

/* A full id or a prefix of one, as crictl accepts: 1 to 64 lowercase hex digits. */
bool bus_id_prefix_is_valid(const char *s) _pure_;
/* What Get* accepts: an id, an id prefix or an object name ([A-Za-z0-9._-], 1 to 253 chars). */
bool bus_lookup_key_is_valid(const char *s) _pure_;
/* A signal number kill(2) delivers: 1 to SIGRTMAX (0 only probes, and is refused). */
bool bus_signal_is_valid(int32_t signo) _pure_;
bool bus_stop_timeout_is_valid(uint64_t timeout_sec) _const_;

/* "/org/crio1/pod/<id>" and "/org/crio1/container/<id>". */
int bus_pod_path(const char *id, char **ret);
int bus_container_path(const char *id, char **ret);
/* The id at the end of a path under prefix (a pointer into path), or NULL if path is not
 * prefix/<valid id>. */
const char *bus_path_to_id(const char *path, const char *prefix) _pure_;

/* The object path prefix/id in buf (at least BUS_OBJECT_PATH_MAX bytes: the longer of the two
 * prefixes, "/", an id, NUL). -EINVAL if id is not an id (prefix). */
#define BUS_OBJECT_PATH_MAX (sizeof(BUS_CONTAINER_PREFIX "/") + BUS_ID_LENGTH)
int bus_object_path(char *buf, const char *prefix, const char *id);
/* Appends the object path prefix/id ("o") without an allocation: the properties naming other
 * objects are read for every object in each GetManagedObjects. -EINVAL if id is not an id (prefix). */
int bus_append_object_path(sd_bus_message *m, const char *prefix, const char *id);

/* Appends s ("s", NULL as ""), as sd_bus_message_append_basic() would: ASCII, as ours almost always
 * is, is copied without sd-bus's UTF-8 walk of every character (a good part of a GetManagedObjects
 * call); anything else goes through it, and is refused if it is not UTF-8. */
int bus_append_string(sd_bus_message *m, const char *s);
/* Appends the n bytes at s as a string, unchecked: for names known to be valid. */
int bus_append_trusted_string(sd_bus_message *m, const char *s, size_t n);

/* Replies with InvalidArgs naming what was wrong. */
int bus_error_invalid_id(sd_bus_error *error, const char *what, const char *id);

/* The getter of the Labels and Annotations properties ("a{ss}"): userdata points at a key, value,
 * ..., NULL list (or at NULL). */
int bus_property_get_pairs(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* How the Manager's methods find the pod or container a caller names. The callbacks see only what
 * CRI lists (nothing being created); userdata is what bus_lookup() was given (the Manager). */
typedef struct BusLookup {
        const char *kind;               /* "pod": No pod "...". */
        const char *kinds;              /* "pods": Several pods match ... */
        const char *error_no_such;      /* BUS_ERROR_NO_SUCH_POD */
        /* The object of that full id or, failing that, of that full name (k8s_...); NULL if none. */
        void *(*get)(void *userdata, const char *id_or_name);
        /* The object of that metadata name: 1 if exactly one has it, 0 if none, -ENOTUNIQ. */
        int (*find_by_metadata_name)(void *userdata, const char *name, void **ret);
        /* The object of a full id or a unique prefix of one: 0, -ENOENT, -ENOTUNIQ. */
        int (*find_by_id)(void *userdata, const char *id_or_prefix, void **ret);
} BusLookup;

/* What Get* takes, resolved as crictl does: a full id, the full name, the metadata name when one
 * object has it, then a unique id prefix. 0 and *ret set, or the error set (NoSuchPod or
 * NoSuchContainer, AmbiguousId) and its negative errno returned. */
int bus_lookup(const BusLookup *l, void *userdata, const char *key, void **ret, sd_bus_error *error);
/* What Stop*, Remove* and Kill* take: a full id or a unique id prefix only. */
int bus_lookup_by_id(const BusLookup *l, void *userdata, const char *id, void **ret, sd_bus_error *error);

/* The filter of ListPods and ListContainers: a state ("" for any) and labels that must all match. */
typedef struct BusListFilter {
        const char *state;              /* NULL: any */
        char **labels;                  /* key, value, key, value, ..., NULL */
} BusListFilter;

void bus_list_filter_done(BusListFilter *f);
/* Reads "sa{ss}" from message; the state must be "" or one of states (NULL-terminated). Invalid
 * input gives InvalidArgs. */
int bus_list_filter_read(sd_bus_message *message, const char *const *states, BusListFilter *ret,
                         sd_bus_error *error);
/* True if every label of the filter is in labels (key, value, ..., NULL; may be NULL). */
bool bus_list_filter_match_labels(const BusListFilter *f, char *const *labels) _pure_;
