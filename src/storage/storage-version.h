/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The stamps CRI-O leaves to tell, at its next start, what happened since:
 *
 *   version_file          this crio's version ("1.36.0+<commit>" as a JSON string), written at every
 *                         start; it lives on a tmpfs, so its absence means the node rebooted
 *   version_file_persist  the same on persistent storage; another major.minor means an upgrade
 *   clean_shutdown_file   created when crio stops cleanly (after syncing the storage), removed at
 *                         every start; "<clean_shutdown_file>.supported" says the crio that ran
 *                         writes it, so that its absence can be trusted
 *
 * A stamp is "stale" as CRI-O judges it: unreadable, malformed, or of another major.minor. An empty
 * path disables the stamp (never stale, never written). */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

typedef struct StorageVersion {
        unsigned major, minor, patch;
} StorageVersion;

/* Semantic version 2.0: MAJOR.MINOR.PATCH without leading zeros, optional -prerelease and +build of
 * dot-separated [0-9A-Za-z-] identifiers. -EINVAL otherwise. */
int storage_version_parse(const char *s, StorageVersion *ret);

/* Whether the stamp text (the file's content) asks for a wipe when current is running: 1 if it is
 * malformed or its major.minor differ, 0 if they match. -EINVAL when current itself is malformed. */
int storage_version_text_is_stale(const char *text, size_t size, const char *current);

/* The same for the file at path: 1 also when it cannot be read; 0 for an empty or NULL path. */
int storage_version_file_is_stale(const char *path, const char *current);

/* The commit written after the version ("+<commit>"), set once by main(); invalid semver build
 * identifiers are left out, as CRI-O does. */
void storage_version_set_commit(const char *commit);

/* Writes the stamp of current (and the commit) to path, crash-safely, creating its directory. */
int storage_version_file_write(const char *path, const char *current);

/* True when clean_shutdown_file is set, its ".supported" companion exists and it does not. */
bool storage_shutdown_was_unclean(const char *clean_shutdown_file);

/* At start (after any wipe): both version stamps written, the clean-shutdown file removed and
 * "<file>.supported" created, their directory synced. Failures to write the stamps are returned. */
int storage_mark_started(const Config *c);

/* At a clean stop: the file system of root synced, then the clean-shutdown file created and its
 * directory synced, so that the file never claims a storage that did not reach the disk. */
int storage_mark_clean_shutdown(const Config *c);
