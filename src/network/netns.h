/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Network namespaces of pods, pinned as CRI-O's pinns pins them: a bind mount of the namespace
 * onto <namespaces_dir>/netns/<name> (with the default namespaces_dir /var/run, the same
 * place "ip netns" uses). No process is kept: the mount holds the namespace. */

/* Creates the namespace with lo up and pins it; name NULL picks a random UUID as CRI-O does.
 * -EEXIST if the pin exists. Returns the pin's path. */
int netns_new(const char *namespaces_dir, const char *name, char **ret_path);

/* Unmounts and deletes a pin; 0 also when it is already gone. */
int netns_remove(const char *path);

/* True if path is a pinned network namespace (a bind mount of an nsfs inode). */
int netns_is_pinned(const char *path);

/* A random version 4 UUID string. */
int netns_random_name(char **ret);
