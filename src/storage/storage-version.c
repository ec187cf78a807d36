/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crio-build.h"
#include "fileio.h"
#include "log.h"
#include "storage-json.h"
#include "storage-version.h"

/* The stamps are a few dozen bytes; anything much larger is not one. */
#define VERSION_FILE_MAX 4096

static char *build_commit;

/* A numeric identifier: digits, no leading zero unless it is "0". Returns the length. */
static size_t numeric_length(const char *s) {
        size_t n = strspn(s, "0123456789");

        if (n == 0 || (n > 1 && s[0] == '0'))
                return 0;
        return n;
}

static int parse_number(const char *s, size_t n, unsigned *ret) {
        unsigned long v = 0;

        for (size_t i = 0; i < n; i++) {
                v = v * 10 + (unsigned long) (s[i] - '0');
                if (v > 0xffffffffUL)
                        return -ERANGE;
        }
        *ret = (unsigned) v;
        return 0;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty; numeric ones of the prerelease without
 * leading zeros. Returns the length consumed, 0 when malformed. */
static size_t identifiers_length(const char *s, bool prerelease) {
        const char *p = s;

        for (;;) {
                size_t n = 0;
                bool numeric = true;

                while (isalnum((unsigned char) p[n]) || p[n] == '-') {
                        if (!isdigit((unsigned char) p[n]))
                                numeric = false;
                        n++;
                }
                if (n == 0)
                        return 0;
                if (prerelease && numeric && n > 1 && p[0] == '0')
                        return 0;
                p += n;
                if (*p != '.')
                        return (size_t) (p - s);
                p++;
        }
}

int storage_version_parse(const char *s, StorageVersion *ret) {
        StorageVersion v;
        unsigned *parts[] = { &v.major, &v.minor, &v.patch };
        const char *p = s;

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                size_t n = numeric_length(p);

                if (n == 0 || parse_number(p, n, parts[i]) < 0)
                        return -EINVAL;
                p += n;
                if (i < 2 && *p++ != '.')
                        return -EINVAL;
        }
        if (*p == '-') {
                size_t n = identifiers_length(++p, /* prerelease= */ true);
                if (n == 0)
                        return -EINVAL;
                p += n;
        }
        if (*p == '+') {
                size_t n = identifiers_length(++p, /* prerelease= */ false);
                if (n == 0)
                        return -EINVAL;
                p += n;
        }
        if (*p)
                return -EINVAL;
        if (ret)
                *ret = v;
        return 0;
}

int storage_version_text_is_stale(const char *text, size_t size, const char *current) {
        _cleanup_free_ char *old = NULL;
        StorageVersion a, b;

        if (storage_version_parse(current, &b) < 0)
                return -EINVAL;
        if (storage_version_from_json(text, size, &old) < 0 || storage_version_parse(old, &a) < 0)
                return 1;
        /* Any other major.minor, older or newer: the images may be of another format. */
        return a.major != b.major || a.minor != b.minor;
}

int storage_version_file_is_stale(const char *path, const char *current) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r;

        if (!path || !*path)
                return 0;
        r = read_full_file_at(AT_FDCWD, path, VERSION_FILE_MAX, 0, &text, &size);
        if (r < 0) {
                log_info_errno(r, "Cannot read version file %s (%m): the stored state is stale.", path);
                return 1;
        }
        r = storage_version_text_is_stale(text, size, current);
        if (r > 0)
                log_info("Version file %s is malformed or of another version than %s.", path, current);
        return r;
}

void storage_version_set_commit(const char *commit) {
        free(build_commit);
        build_commit = NULL;
        /* A commit that is no valid build identifier (say "unknown-dirty!") is left out. */
        if (commit && *commit && identifiers_length(commit, false) == strlen(commit))
                build_commit = strdup(commit);
}

int storage_version_file_write(const char *path, const char *current) {
        _cleanup_free_ char *json = NULL;
        int r;

        if (!path || !*path)
                return 0;
        r = storage_version_to_json(current, build_commit, &json);
        if (r < 0)
                return r;
        r = mkdir_parents(path, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", path);
        r = write_file_atomic_at(AT_FDCWD, path, json, strlen(json), 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write version file %s: %m", path);
        return 0;
}

static int supported_path(const char *clean_shutdown_file, char **ret) {
        return asprintf(ret, "%s.supported", clean_shutdown_file) < 0 ? -ENOMEM : 0;
}

bool storage_shutdown_was_unclean(const char *clean_shutdown_file) {
        _cleanup_free_ char *supported = NULL;

        if (!clean_shutdown_file || !*clean_shutdown_file)
                return false;
        /* Written by a crio that did not know the file: its absence says nothing. */
        if (supported_path(clean_shutdown_file, &supported) < 0 || access(supported, F_OK) < 0)
                return false;
        return access(clean_shutdown_file, F_OK) < 0;
}

/* fsync() of the directory holding path, so that a create or unlink in it is on disk. */
static int sync_parent(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        _cleanup_close_ int fd = -EBADF;
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash)
                return -EINVAL;
        slash[slash == dir ? 1 : 0] = '\0';
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

static int create_empty(const char *path) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

        return fd < 0 ? -errno : 0;
}

int storage_mark_started(const Config *c) {
        _cleanup_free_ char *supported = NULL;
        int r;

        /* The tmpfs stamp says "this boot has seen crio", the persistent one "this version ran". */
        r = storage_version_file_write(c->version_file, CRIO_VERSION);
        if (r < 0)
                return r;
        r = storage_version_file_write(c->version_file_persist, CRIO_VERSION);
        if (r < 0)
                return r;

        if (!c->clean_shutdown_file || !*c->clean_shutdown_file)
                return 0;
        if (unlink(c->clean_shutdown_file) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove %s, ignoring: %m", c->clean_shutdown_file);
        r = mkdir_parents(c->clean_shutdown_file, 0755);
        if (r >= 0)
                r = supported_path(c->clean_shutdown_file, &supported);
        if (r >= 0)
                r = create_empty(supported);
        if (r < 0)
                log_warning_errno(r, "Failed to write %s.supported, ignoring: %m", c->clean_shutdown_file);
        r = sync_parent(c->clean_shutdown_file);
        if (r < 0)
                log_warning_errno(r, "Failed to sync the directory of %s, ignoring: %m", c->clean_shutdown_file);
        return 0;
}

int storage_mark_clean_shutdown(const Config *c) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!c->clean_shutdown_file || !*c->clean_shutdown_file)
                return 0;
        /* The storage first: the file must never be on disk before what it vouches for. */
        fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0 && syncfs(fd) < 0)
                return log_error_errno(errno, "Failed to sync the file system of %s: %m", c->root);
        if (fd < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to open %s: %m", c->root);

        r = mkdir_parents(c->clean_shutdown_file, 0755);
        if (r >= 0)
                r = create_empty(c->clean_shutdown_file);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", c->clean_shutdown_file);
        r = sync_parent(c->clean_shutdown_file);
        if (r < 0)
                return log_error_errno(r, "Failed to sync the directory of %s: %m", c->clean_shutdown_file);
        log_debug("Wrote %s: the storage was synced at shutdown.", c->clean_shutdown_file);
        return 0;
}
