/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* CNI network configurations as CRI-O loads them from network_dir: .conf, .conflist and .json files
 * in lexical order, a single-plugin .conf wrapped into a list. */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

typedef struct CniPlugin {
        char *type;
        /* The plugin's object exactly as configured: what the plugin gets on stdin, with name,
         * cniVersion, prevResult and runtimeConfig added at execution. */
        char *json;
        /* Capabilities the plugin declares true ("portMappings", "bandwidth", ...). */
        char **capabilities;
} CniPlugin;

typedef struct CniNetwork {
        unsigned n_ref;
        char *name;
        char *cni_version;
        bool disable_check;
        CniPlugin *plugins;
        size_t n_plugins;
        /* The whole list as JSON (a .conf's list is synthesized): what the result cache keeps. */
        char *json;
        /* The file it came from, NULL when parsed from memory. */
        char *path;
} CniNetwork;

/* Parses a network list (a .conflist), or with is_single_conf a single plugin network (a .conf)
 * that is wrapped into a list of one. path only names the source in messages. */
int cni_network_parse(const char *json, size_t size, bool is_single_conf, const char *path, CniNetwork **ret);

/* Loads one file: a .conflist is a list, a .conf or .json a single plugin (as ocicni reads them). */
int cni_network_load_file(const char *path, CniNetwork **ret);

CniNetwork *cni_network_ref(CniNetwork *n);
CniNetwork *cni_network_unref(CniNetwork *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(CniNetwork *, cni_network_unref);

/* True when the plugin declares the capability. */
bool cni_plugin_has_capability(const CniPlugin *p, const char *capability) _pure_;

/* Finds the binary of a plugin type in the directories, first match wins: -ENOENT if none. */
int cni_plugin_find(const char *type, char *const *plugin_dirs, char **ret_path);

/* Loads the default network of a directory as ocicni does: the files are sorted by name; the
 * first valid network is chosen, or the one called default_name when that is not NULL or "".
 * With plugin_dirs, a network whose plugin binaries are missing is not valid.
 * Invalid files are logged and skipped. Returns -ENOENT (and a reason) when none qualifies;
 * ret_reason, if given, is always set: NULL on success, text for NetworkReady otherwise. */
int cni_network_load_dir(const char *dir, const char *default_name, char *const *plugin_dirs,
                         CniNetwork **ret, char **ret_reason);
