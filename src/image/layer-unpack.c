/* SPDX-License-Identifier: Apache-2.0 */
#include "archive-library.h"
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "digest.h"
#include "image-fs.h"
#include "layer-unpack.h"
#include "log.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

#define IO_BUFFER_SIZE (512 * 1024)

/* Directory attributes are applied after all entries: a read-only directory must still receive its
 * children, and writing children changes its mtime. */
typedef struct DeferredDir {
        char *path;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        struct timespec mtime;
        bool has_mtime;
} DeferredDir;

typedef struct Unpacker {
        int input_fd;
        int target_fd;
        LayerUnpackOptions options;
        struct archive *outer;          /* decompression only: the "raw" format */
        struct archive *inner;          /* the tar reader, fed from outer */
        DigestVerifier *compressed;
        DigestVerifier *diff;
        uint64_t tar_bytes;
        uint64_t input_bytes;
        uint64_t n_entries;
        int error;                      /* the first error a read callback met */
        bool holds_library;             /* one of archive_library's users */
        DeferredDir *dirs;
        size_t n_dirs, alloc_dirs;
        uint8_t input_buf[IO_BUFFER_SIZE];
} Unpacker;

void layer_unpack_result_done(LayerUnpackResult *r) {
        if (!r)
                return;
        r->diff_id = mfree(r->diff_id);
}

int layer_unpack_options_for_store(int store_fd, LayerUnpackOptions *ret) {
        struct stat st;
        bool privileged;

        if (fstat(store_fd, &st) < 0)
                return -errno;
        privileged = geteuid() == 0 && st.st_uid == 0;
        *ret = (LayerUnpackOptions) {
                .compressed_size = -1,
                .allow_devices = privileged,
                .allow_setuid = privileged,
                .preserve_ownership = privileged,
        };
        return 0;
}

int layer_path_normalize(const char *path, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        const char *p = path;

        if (!path)
                return -EINVAL;
        out = malloc(strlen(path) + 1);
        if (!out)
                return -ENOMEM;

        while (*p) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.'))
                        ;
                else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash;

                        if (len == 0)
                                return -EPERM;
                        out[len] = 0;
                        slash = strrchr(out, '/');
                        len = slash ? (size_t) (slash - out) : 0;
                } else {
                        if (len > 0)
                                out[len++] = '/';
                        memcpy(out + len, p, n);
                        len += n;
                }
                p += n;
                if (*p == '/')
                        p++;
        }
        out[len] = 0;
        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        *ret = TAKE_PTR(out);
        return 0;
}

static int fail(Unpacker *u, int error) {
        if (u->error == 0)
                u->error = error;
        return error;
}

static la_ssize_t outer_read(struct archive *a, void *userdata, const void **buffer) {
        Unpacker *u = userdata;
        ssize_t n;
        int r;

        do
                n = read(u->input_fd, u->input_buf, sizeof(u->input_buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                fail(u, -errno);
                sym_archive_set_error(a, errno, "read failed");
                return -1;
        }
        if (u->compressed) {
                r = digest_verifier_update(u->compressed, u->input_buf, n);
                if (r < 0) {
                        fail(u, r);
                        sym_archive_set_error(a, -r, "compressed layer larger than declared");
                        return -1;
                }
        }
        u->input_bytes += n;
        *buffer = u->input_buf;
        return n;
}

/* The tar stream as libarchive's decompressors produce it: hashed for the diff id and counted
 * against the size cap before the tar reader sees it. */
static la_ssize_t inner_read(struct archive *a, void *userdata, const void **buffer) {
        Unpacker *u = userdata;
        const void *block = NULL;
        la_int64_t offset;
        la_ssize_t n;
        size_t size = 0;
        int r;

        /* The decompressor's own buffer, without a copy: valid until the next call on outer, which
         * is the next call of this function. */
        do
                r = sym_archive_read_data_block(u->outer, &block, &size, &offset);
        while (r >= ARCHIVE_WARN && r != ARCHIVE_EOF && size == 0);
        if (r == ARCHIVE_EOF)
                n = 0;
        else if (r < ARCHIVE_WARN)
                n = -1;
        else
                n = (la_ssize_t) size;
        if (n < 0) {
                if (u->error == 0)
                        log_debug("Failed to decompress layer: %s", sym_archive_error_string(u->outer));
                fail(u, -EBADMSG);
                sym_archive_set_error(a, EBADMSG, "decompression failed");
                return -1;
        }
        if ((uint64_t) n > u->options.max_size - u->tar_bytes) {
                fail(u, -EFBIG);
                sym_archive_set_error(a, EFBIG, "layer larger than the cap");
                return -1;
        }
        r = digest_verifier_update(u->diff, block, n);
        if (r < 0) {
                fail(u, r);
                sym_archive_set_error(a, -r, "hashing failed");
                return -1;
        }
        u->tar_bytes += n;
        *buffer = block;
        return n;
}

static int open_beneath(int root_fd, const char *path, bool create, int *ret_fd);

/* Walks path one component at a time with O_NOFOLLOW, creating missing directories. Used when
 * openat2() is unavailable or a directory is missing. */
static int walk_create(int root_fd, const char *path, bool create, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        const char *p = path;

        fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;

        while (*p) {
                size_t n = strcspn(p, "/");
                char name[NAME_MAX + 1];
                int next;

                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(name, p, n);
                name[n] = 0;
                p += n;
                if (*p == '/')
                        p++;
                /* Normalized paths never hold these; refuse anyway rather than trust the caller. */
                if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        return -EPERM;

                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                if (next < 0 && errno == ENOENT && create) {
                        if (mkdirat(fd, name, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                }
                if (next < 0)
                        return IN_SET(errno, ELOOP, ENOTDIR) ? -EPERM : -errno;
                safe_close(fd);
                fd = next;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int open_beneath(int root_fd, const char *path, bool create, int *ret_fd) {
        static bool have_openat2 = true;
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd;

        if (path[0] == 0) {
                fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return -errno;
                *ret_fd = fd;
                return 0;
        }

        if (have_openat2) {
                fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
                if (fd >= 0) {
                        *ret_fd = fd;
                        return 0;
                }
                if (IN_SET(errno, ELOOP, EXDEV, ENOTDIR))
                        return -EPERM;
                if (IN_SET(errno, ENOSYS, EPERM))
                        have_openat2 = false;   /* old kernel, or a seccomp filter refusing it */
                else if (errno != ENOENT || !create)
                        return -errno;
        }
        return walk_create(root_fd, path, create, ret_fd);
}

static void split_path(char *path, const char **ret_parent, const char **ret_name) {
        char *slash = strrchr(path, '/');

        if (slash) {
                *slash = 0;
                *ret_parent = path;
                *ret_name = slash + 1;
        } else {
                *ret_parent = "";
                *ret_name = path;
        }
}

/* Makes room for a new entry: a directory stays when a directory replaces it, anything else goes. */
static int remove_existing(int parent_fd, const char *name, bool new_is_dir) {
        struct stat st;

        if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode)) {
                if (new_is_dir)
                        return 1;
                return image_fs_remove_tree(parent_fd, name);
        }
        if (unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static bool xattr_allowed(const Unpacker *u, const char *name) {
        if (strncmp(name, "user.", 5) == 0)
                return true;
        /* File capabilities grant privilege like setuid does. */
        if (strcmp(name, "security.capability") == 0)
                return u->options.allow_setuid;
        /* trusted.overlay.* from a tarball could forge whiteouts; security labels are the runtime's. */
        return false;
}

static int apply_xattrs(Unpacker *u, int fd, struct archive_entry *e) {
        const char *name;
        const void *value;
        size_t size;

        sym_archive_entry_xattr_reset(e);
        while (sym_archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
                if (!name || !xattr_allowed(u, name)) {
                        log_debug("Skipping xattr %s of layer entry.", name ?: "(null)");
                        continue;
                }
                if (fsetxattr(fd, name, value, size, 0) < 0)
                        log_debug_errno(errno, "Failed to set xattr %s, ignoring: %m", name);
        }
        return 0;
}

static mode_t entry_mode(const Unpacker *u, struct archive_entry *e) {
        mode_t mode = sym_archive_entry_perm(e) & 07777;

        if (!u->options.allow_setuid)
                mode &= ~(mode_t) (S_ISUID | S_ISGID);
        return mode;
}

static int apply_owner_fd(const Unpacker *u, int fd, struct archive_entry *e) {
        if (!u->options.preserve_ownership)
                return 0;
        if (fchown(fd, (uid_t) sym_archive_entry_uid(e), (gid_t) sym_archive_entry_gid(e)) < 0)
                return -errno;
        return 0;
}

static int write_data(Unpacker *u, int fd, struct archive_entry *e) {
        int64_t end = 0;

        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t offset;
                int r;

                r = sym_archive_read_data_block(u->inner, &buf, &size, &offset);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return u->error ?: -EBADMSG;
                if (offset < 0)
                        return -EBADMSG;
                for (size_t done = 0; done < size;) {
                        ssize_t n = pwrite(fd, (const uint8_t *) buf + done, size - done, offset + done);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        done += n;
                }
                end = MAX(end, offset + (int64_t) size);
        }
        /* Sparse files end in a hole the data blocks do not cover. */
        if (sym_archive_entry_size_is_set(e) && sym_archive_entry_size(e) > end &&
            ftruncate(fd, sym_archive_entry_size(e)) < 0)
                return -errno;
        return 0;
}

static int unpack_regular(Unpacker *u, int parent_fd, const char *name, struct archive_entry *e) {
        _cleanup_close_ int fd = -EBADF;
        struct timespec ts[2];
        int r;

        r = remove_existing(parent_fd, name, false);
        if (r < 0)
                return r;
        fd = openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        r = write_data(u, fd, e);
        if (r < 0)
                return r;
        r = apply_owner_fd(u, fd, e);
        if (r < 0)
                return r;
        /* After chown, which clears setuid bits. */
        if (fchmod(fd, entry_mode(u, e)) < 0)
                return -errno;
        r = apply_xattrs(u, fd, e);
        if (r < 0)
                return r;
        ts[0] = (struct timespec) { .tv_nsec = UTIME_OMIT };
        ts[1] = (struct timespec) { sym_archive_entry_mtime(e), sym_archive_entry_mtime_nsec(e) };
        if (futimens(fd, ts) < 0)
                return -errno;
        return 0;
}

static int defer_dir(Unpacker *u, const char *path, struct archive_entry *e) {
        DeferredDir *d;

        if (u->n_dirs == u->alloc_dirs) {
                size_t na = MAX(u->alloc_dirs * 2, (size_t) 64);
                d = realloc(u->dirs, na * sizeof(DeferredDir));
                if (!d)
                        return -ENOMEM;
                u->dirs = d;
                u->alloc_dirs = na;
        }
        d = u->dirs + u->n_dirs;
        *d = (DeferredDir) {
                .path = strdup(path),
                .mode = entry_mode(u, e),
                .uid = (uid_t) sym_archive_entry_uid(e),
                .gid = (gid_t) sym_archive_entry_gid(e),
                .mtime = { sym_archive_entry_mtime(e), sym_archive_entry_mtime_nsec(e) },
                .has_mtime = sym_archive_entry_mtime_is_set(e),
        };
        if (!d->path)
                return -ENOMEM;
        u->n_dirs++;
        return 0;
}

static int unpack_dir(Unpacker *u, int parent_fd, const char *name, const char *path, struct archive_entry *e) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = remove_existing(parent_fd, name, true);
        if (r < 0)
                return r;
        if (r == 0 && mkdirat(parent_fd, name, 0700) < 0)
                return -errno;
        fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        r = apply_xattrs(u, fd, e);
        if (r < 0)
                return r;
        return defer_dir(u, path, e);
}

static int unpack_symlink(Unpacker *u, int parent_fd, const char *name, struct archive_entry *e) {
        const char *target = sym_archive_entry_symlink(e);
        struct timespec ts[2];
        int r;

        /* The target is content: it may point anywhere, since nothing here ever follows it. */
        if (!target || !target[0])
                return -EBADMSG;
        r = remove_existing(parent_fd, name, false);
        if (r < 0)
                return r;
        if (symlinkat(target, parent_fd, name) < 0)
                return -errno;
        if (u->options.preserve_ownership &&
            fchownat(parent_fd, name, (uid_t) sym_archive_entry_uid(e), (gid_t) sym_archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        ts[0] = (struct timespec) { .tv_nsec = UTIME_OMIT };
        ts[1] = (struct timespec) { sym_archive_entry_mtime(e), sym_archive_entry_mtime_nsec(e) };
        (void) utimensat(parent_fd, name, ts, AT_SYMLINK_NOFOLLOW);
        return 0;
}

static int unpack_hardlink(Unpacker *u, int parent_fd, const char *name, const char *path,
                           const char *link) {
        _cleanup_free_ char *target = NULL;
        _cleanup_close_ int target_parent_fd = -EBADF;
        const char *target_parent, *target_name;
        struct stat st;
        int r;

        r = layer_path_normalize(link, &target);
        if (r == -EPERM)
                return log_debug_errno(r, "Hardlink %s points outside the layer: %s", path, link);
        if (r < 0)
                return r;
        if (!target[0])
                return -EPERM;
        if (strcmp(target, path) == 0)
                return 0;       /* a link to itself: nothing to do, and removing it would lose it */

        split_path(target, &target_parent, &target_name);
        r = open_beneath(u->target_fd, target_parent, /* create= */ false, &target_parent_fd);
        if (r < 0)
                return r == -ENOENT ? -EPERM : r;
        if (fstatat(target_parent_fd, target_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? -EPERM : -errno;
        if (S_ISDIR(st.st_mode))
                return -EPERM;

        r = remove_existing(parent_fd, name, false);
        if (r < 0)
                return r;
        /* flags=0: a symlink target is linked itself, never followed. */
        if (linkat(target_parent_fd, target_name, parent_fd, name, 0) < 0)
                return -errno;
        return 0;
}

static int unpack_node(Unpacker *u, int parent_fd, const char *name, const char *path,
                       struct archive_entry *e) {
        mode_t type = sym_archive_entry_filetype(e);
        dev_t dev = 0;
        int r;

        if (type == AE_IFSOCK) {
                log_debug("Skipping socket %s in layer.", path);
                return 0;
        }
        if (IN_SET(type, (mode_t) AE_IFCHR, (mode_t) AE_IFBLK)) {
                dev = makedev(sym_archive_entry_rdevmajor(e), sym_archive_entry_rdevminor(e));
                /* A 0/0 character device is an overlay whiteout already: harmless, always kept. */
                if (!(type == AE_IFCHR && dev == 0) && !u->options.allow_devices) {
                        log_debug("Skipping device node %s in layer of an unprivileged store.", path);
                        return 0;
                }
        }
        r = remove_existing(parent_fd, name, false);
        if (r < 0)
                return r;
        if (mknodat(parent_fd, name, type | entry_mode(u, e), dev) < 0)
                return -errno;
        if (u->options.preserve_ownership &&
            fchownat(parent_fd, name, (uid_t) sym_archive_entry_uid(e), (gid_t) sym_archive_entry_gid(e),
                     AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int unpack_whiteout(Unpacker *u, int parent_fd, const char *parent, const char *name) {
        const char *hidden = name + strlen(WHITEOUT_PREFIX);
        int r;

        if (strcmp(name, WHITEOUT_OPAQUE) == 0) {
                if (fsetxattr(parent_fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
                        return log_debug_errno(errno, "Failed to mark /%s opaque: %m", parent);
                return 0;
        }
        if (strncmp(name, WHITEOUT_META_PREFIX, strlen(WHITEOUT_META_PREFIX)) == 0) {
                /* aufs bookkeeping (.wh..wh.plnk and friends) has no overlay meaning. */
                log_debug("Skipping whiteout metadata %s/%s.", parent, name);
                return 0;
        }
        if (!hidden[0] || strcmp(hidden, ".") == 0 || strcmp(hidden, "..") == 0)
                return -EBADMSG;

        r = remove_existing(parent_fd, hidden, false);
        if (r < 0)
                return r;
        if (mknodat(parent_fd, hidden, S_IFCHR | 0000, makedev(0, 0)) < 0)
                return log_debug_errno(errno, "Failed to create whiteout for %s/%s: %m", parent, hidden);
        return 0;
}

static int unpack_entry(Unpacker *u, struct archive_entry *e) {
        _cleanup_free_ char *path = NULL, *parent_copy = NULL;
        _cleanup_close_ int parent_fd = -EBADF;
        const char *raw, *parent, *name, *link;
        mode_t type;
        int r;

        raw = sym_archive_entry_pathname(e);
        if (!raw)
                return -EBADMSG;
        r = layer_path_normalize(raw, &path);
        if (r == -EPERM)
                return log_debug_errno(r, "Layer entry %s points outside the layer.", raw);
        if (r < 0)
                return r;
        if (!path[0])
                return 0;       /* the layer's top directory: its attributes are the store's */

        if (sym_archive_entry_size_is_set(e) && sym_archive_entry_size(e) > 0 &&
            (uint64_t) sym_archive_entry_size(e) > u->options.max_size - MIN(u->tar_bytes, u->options.max_size))
                return log_debug_errno(EFBIG, "Layer entry %s declares %" PRIi64 " bytes, beyond the cap.",
                                       path, (int64_t) sym_archive_entry_size(e));

        parent_copy = strdup(path);
        if (!parent_copy)
                return -ENOMEM;
        split_path(parent_copy, &parent, &name);

        r = open_beneath(u->target_fd, parent, /* create= */ true, &parent_fd);
        if (r == -EPERM)
                return log_debug_errno(r, "Layer entry %s would be written through a symlink.", path);
        if (r < 0)
                return r;

        if (strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
                return unpack_whiteout(u, parent_fd, parent, name);

        link = sym_archive_entry_hardlink(e);
        if (link)
                return unpack_hardlink(u, parent_fd, name, path, link);

        type = sym_archive_entry_filetype(e);
        switch (type) {
        case AE_IFREG:
                return unpack_regular(u, parent_fd, name, e);
        case AE_IFDIR:
                return unpack_dir(u, parent_fd, name, path, e);
        case AE_IFLNK:
                return unpack_symlink(u, parent_fd, name, e);
        case AE_IFCHR:
        case AE_IFBLK:
        case AE_IFIFO:
        case AE_IFSOCK:
                return unpack_node(u, parent_fd, name, path, e);
        default:
                return log_debug_errno(EBADMSG, "Layer entry %s has unknown type 0%o.", path, (unsigned) type);
        }
}

static int apply_deferred_dirs(Unpacker *u) {
        /* Deepest first, so a directory made read-only later does not block its children. */
        for (size_t i = u->n_dirs; i > 0; i--) {
                DeferredDir *d = u->dirs + i - 1;
                _cleanup_close_ int fd = -EBADF;
                int r;

                r = open_beneath(u->target_fd, d->path, /* create= */ false, &fd);
                if (r < 0)
                        continue;       /* replaced by a later entry */
                if (u->options.preserve_ownership && fchown(fd, d->uid, d->gid) < 0)
                        return -errno;
                if (fchmod(fd, d->mode) < 0)
                        return -errno;
                if (d->has_mtime) {
                        struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, d->mtime };
                        (void) futimens(fd, ts);
                }
        }
        return 0;
}

static void unpacker_done(Unpacker *u) {
        if (u->inner)
                sym_archive_read_free(u->inner);
        if (u->outer)
                sym_archive_read_free(u->outer);
        if (u->holds_library)
                dl_library_release(&archive_library);
        digest_verifier_free(u->compressed);
        digest_verifier_free(u->diff);
        for (size_t i = 0; i < u->n_dirs; i++)
                free(u->dirs[i].path);
        free(u->dirs);
        free(u);
}
DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(Unpacker *, unpacker_done);

static int drain(Unpacker *u) {
        const void *buf;

        /* The diff id covers the whole tar stream, including padding after the end marker. */
        for (;;) {
                la_ssize_t n = inner_read(u->inner, u, &buf);
                if (n < 0)
                        return u->error ?: -EBADMSG;
                if (n == 0)
                        break;
        }
        /* And the compressed digest covers every input byte, including any the decoder left. */
        for (;;) {
                la_ssize_t n = outer_read(u->outer, u, &buf);
                if (n < 0)
                        return u->error ?: -EIO;
                if (n == 0)
                        break;
        }
        return 0;
}

int layer_unpack(int input_fd, int target_fd, const LayerUnpackOptions *options, LayerUnpackResult *ret) {
        _cleanup_(unpacker_donep) Unpacker *u = NULL;
        _cleanup_free_ char *diff_id = NULL;
        struct archive_entry *e;
        int r;

        u = calloc(1, sizeof(Unpacker));
        if (!u)
                return -ENOMEM;
        u->input_fd = input_fd;
        u->target_fd = target_fd;
        u->options = *options;
        if (u->options.max_size == 0)
                u->options.max_size = LAYER_UNPACK_MAX_SIZE_DEFAULT;
        if (u->options.max_entries == 0)
                u->options.max_entries = LAYER_UNPACK_MAX_ENTRIES_DEFAULT;
        r = dl_library_acquire(&archive_library);
        if (r < 0)
                return r;
        u->holds_library = true;

        if (options->compressed_digest) {
                r = digest_verifier_new(DIGEST_SHA256, options->compressed_digest, options->compressed_size,
                                        &u->compressed);
                if (r < 0)
                        return r;
        }
        r = digest_verifier_new(DIGEST_SHA256, /* expected= */ NULL, /* expected_size= */ -1, &u->diff);
        if (r < 0)
                return r;

        u->outer = sym_archive_read_new();
        u->inner = sym_archive_read_new();
        if (!u->outer || !u->inner)
                return -ENOMEM;
        if (sym_archive_read_support_filter_gzip(u->outer) != ARCHIVE_OK ||
            sym_archive_read_support_filter_zstd(u->outer) != ARCHIVE_OK ||
            sym_archive_read_support_format_raw(u->outer) != ARCHIVE_OK ||
            sym_archive_read_support_format_tar(u->inner) != ARCHIVE_OK)
                return log_debug_errno(EOPNOTSUPP, "libarchive lacks gzip, zstd or tar support.");

        if (sym_archive_read_open(u->outer, u, NULL, outer_read, NULL) != ARCHIVE_OK)
                return u->error ?: log_debug_errno(EBADMSG, "Failed to open layer: %s",
                                                    sym_archive_error_string(u->outer));
        r = sym_archive_read_next_header(u->outer, &e);
        if (r == ARCHIVE_EOF)
                return -EBADMSG;        /* no bytes at all */
        if (r < ARCHIVE_WARN)
                return u->error ?: -EBADMSG;

        if (sym_archive_read_open(u->inner, u, NULL, inner_read, NULL) != ARCHIVE_OK)
                return u->error ?: log_debug_errno(EBADMSG, "Failed to read layer as tar: %s",
                                                    sym_archive_error_string(u->inner));
        for (;;) {
                r = sym_archive_read_next_header(u->inner, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        return u->error ?: log_debug_errno(EBADMSG, "Malformed layer: %s",
                                                            sym_archive_error_string(u->inner));
                if (++u->n_entries > u->options.max_entries)
                        return log_debug_errno(EFBIG, "Layer has more than %" PRIu64 " entries.",
                                               u->options.max_entries);
                r = unpack_entry(u, e);
                if (r < 0)
                        return u->error ?: r;
        }
        r = drain(u);
        if (r < 0)
                return r;
        r = apply_deferred_dirs(u);
        if (r < 0)
                return r;

        if (u->compressed) {
                r = digest_verifier_finish(u->compressed, NULL);
                if (r < 0)
                        return log_debug_errno(r == -EFBIG || r == -ENODATA ? r : -EBADMSG,
                                               "Layer does not match %s.", options->compressed_digest);
        }
        r = digest_verifier_finish(u->diff, &diff_id);
        if (r < 0)
                return r;

        *ret = (LayerUnpackResult) {
                .diff_id = TAKE_PTR(diff_id),
                .size = u->tar_bytes,
                .compressed_size = u->input_bytes,
                .n_entries = u->n_entries,
        };
        return 0;
}
