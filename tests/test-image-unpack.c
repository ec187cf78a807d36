/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <limits.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "digest.h"
#include "image-test-util.h"
#include "layer-unpack.h"
#include "tap.h"

static char *tmp_path;
static int tmp_fd = -EBADF;

/* Each case unpacks into sentinel/layer: anything that escapes lands in sentinel/, or elsewhere
 * in the temp dir, and is caught by count_entries(). */
static int fresh_layer(int *ret_sentinel_fd, int *ret_layer_fd) {
        (void) image_fs_remove_tree(tmp_fd, "sentinel");
        if (mkdirat(tmp_fd, "sentinel", 0755) < 0)
                return -errno;
        *ret_sentinel_fd = openat(tmp_fd, "sentinel", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mkdirat(*ret_sentinel_fd, "layer", 0755) < 0)
                return -errno;
        *ret_layer_fd = openat(*ret_sentinel_fd, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return 0;
}

static int count_entries(int dir_fd) {
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fdopendir(fd);
        struct dirent *de;
        int n = 0;

        lseek(fd, 0, SEEK_SET);
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(d);
        return n;
}

static int unpack_entries(const TestEntry *entries, size_t n, TestCompression c, const LayerUnpackOptions *opts,
                          int layer_fd, LayerUnpackResult *ret, char **ret_tar_digest) {
        TestBuffer tar = {}, packed = {};
        int fd, r;

        if (test_tar_build(entries, n, &tar) < 0 || test_compress(&tar, c, &packed) < 0)
                return -EIO;
        if (ret_tar_digest)
                (void) digest_compute(DIGEST_SHA256, tar.data, tar.size, ret_tar_digest);
        fd = test_memfd(packed.data, packed.size);
        r = layer_unpack(fd, layer_fd, opts, ret);
        close(fd);
        free(tar.data);
        free(packed.data);
        return r;
}

static const LayerUnpackOptions unprivileged = { .compressed_size = -1 };
static const LayerUnpackOptions privileged = {
        .compressed_size = -1, .allow_devices = true, .allow_setuid = true, .preserve_ownership = true,
};

static void test_normalize(void) {
        static const struct { const char *in, *out; int r; } cases[] = {
                { "a/b/c", "a/b/c", 0 },
                { "./a//b/./c/", "a/b/c", 0 },
                { "/abs/x", "abs/x", 0 },
                { "a/../b", "b", 0 },
                { "a/b/../../c", "c", 0 },
                { "./", "", 0 },
                { "..", NULL, -EPERM },
                { "../escape", NULL, -EPERM },
                { "a/../../escape", NULL, -EPERM },
                { "/../x", NULL, -EPERM },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *out = NULL;
                int r = layer_path_normalize(cases[i].in, &out);
                TAP_IS_INT(r, cases[i].r, "normalize %s result", cases[i].in);
                if (r == 0)
                        TAP_IS_STR(out, cases[i].out, "normalize %s", cases[i].in);
                free(out);
        }
}

static void test_regular(TestCompression c, const char *what) {
        static const TestEntry entries[] = {
                { "etc/", AE_IFDIR, 0755 },
                { "etc/hostname", AE_IFREG, 0644, "box\n" },
                { "etc/ro/", AE_IFDIR, 0555 },
                { "etc/ro/file", AE_IFREG, 0600, "inside read-only dir" },
                { "bin/tool", AE_IFREG, 0755, "#!/bin/sh\n" },   /* parent not listed */
                { "bin/link", AE_IFLNK, 0777, .symlink = "/etc/../../outside" },
                { "bin/hard", 0, .hardlink = "bin/tool" },
                { "bin/hardsym", 0, .hardlink = "bin/link" },
                { "fifo", AE_IFIFO, 0644 },
                { "big", AE_IFREG, 0644, .size = 300000 },
                { "attr", AE_IFREG, 0644, "x", .xattr_name = "user.test", .xattr_value = "v" },
                { "fake", AE_IFREG, 0644, "x", .xattr_name = "trusted.overlay.opaque", .xattr_value = "y" },
        };
        _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
        LayerUnpackResult res = {};
        _cleanup_free_ char *tar_digest = NULL;
        struct stat st, st2;
        char buf[64] = {};
        int r, fd;

        fresh_layer(&sentinel_fd, &layer_fd);
        r = unpack_entries(entries, ELEMENTSOF(entries), c, &privileged, layer_fd, &res, &tar_digest);
        TAP_IS_INT(r, 0, "%s: layer unpacks", what);
        TAP_IS_STR(res.diff_id, tar_digest, "%s: diff id is the sha256 of the tar stream", what);
        TAP_IS_INT(res.n_entries, ELEMENTSOF(entries), "%s: entry count", what);
        TAP_OK(res.size >= 300000 && res.size % 512 == 0, "%s: tar size %llu", what, (unsigned long long) res.size);

        fd = openat(layer_fd, "etc/hostname", O_RDONLY | O_CLOEXEC);
        TAP_OK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 4 && strcmp(buf, "box\n") == 0,
               "%s: file content", what);
        safe_close(fd);
        TAP_OK(fstatat(layer_fd, "etc/ro", &st, 0) == 0 && (st.st_mode & 07777) == 0555,
               "%s: read-only dir mode applied at the end", what);
        TAP_OK(st.st_mtime == 1700000000, "%s: dir mtime kept", what);
        TAP_OK(fstatat(layer_fd, "etc/ro/file", &st, 0) == 0 && (st.st_mode & 07777) == 0600,
               "%s: file inside read-only dir", what);
        TAP_OK(fstatat(layer_fd, "bin", &st, 0) == 0 && S_ISDIR(st.st_mode), "%s: missing parent created", what);
        TAP_OK(fstatat(layer_fd, "bin/tool", &st, 0) == 0 && (st.st_mode & 0777) == 0755 &&
               st.st_nlink == 2 && st.st_mtime == 1700000000, "%s: executable, hardlinked, mtime", what);
        TAP_OK(fstatat(layer_fd, "bin/hard", &st2, 0) == 0 && st2.st_ino == st.st_ino, "%s: hardlink shares inode", what);
        r = readlinkat(layer_fd, "bin/link", buf, sizeof(buf) - 1);
        TAP_OK(r > 0 && (buf[r] = 0, strcmp(buf, "/etc/../../outside") == 0), "%s: symlink target kept as content", what);
        TAP_OK(fstatat(layer_fd, "bin/hardsym", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode),
               "%s: hardlink to a symlink links the symlink", what);
        TAP_OK(fstatat(layer_fd, "fifo", &st, 0) == 0 && S_ISFIFO(st.st_mode), "%s: fifo", what);
        TAP_OK(fstatat(layer_fd, "big", &st, 0) == 0 && st.st_size == 300000, "%s: big file size", what);
        {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/sentinel/layer/attr", tmp_path);
                TAP_IS_INT(getxattr(path, "user.test", buf, sizeof(buf)), 1, "%s: user xattr kept", what);
                snprintf(path, sizeof(path), "%s/sentinel/layer/fake", tmp_path);
                TAP_OK(getxattr(path, "trusted.overlay.opaque", buf, sizeof(buf)) < 0,
                       "%s: trusted.overlay xattr from the tarball dropped", what);
        }
        TAP_IS_INT(count_entries(sentinel_fd), 1, "%s: nothing beside the layer", what);
        layer_unpack_result_done(&res);
}

static void test_whiteouts(void) {
        static const TestEntry entries[] = {
                { "dir/", AE_IFDIR, 0755 },
                { "dir/.wh..wh..opq", AE_IFREG, 0644, "" },
                { "dir/new", AE_IFREG, 0644, "n" },
                { ".wh.gone", AE_IFREG, 0644, "" },
                { "sub/.wh.file", AE_IFREG, 0644, "" },
                { ".wh..wh.plnk", AE_IFDIR, 0755 },
                { "ovl", AE_IFCHR, 0, .rdev_major = 0, .rdev_minor = 0 },
        };
        _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
        LayerUnpackResult res = {};
        char path[PATH_MAX], v[8] = {};
        struct stat st;

        fresh_layer(&sentinel_fd, &layer_fd);
        TAP_IS_INT(unpack_entries(entries, ELEMENTSOF(entries), TEST_GZIP, &unprivileged, layer_fd, &res, NULL), 0,
                   "whiteout layer unpacks");
        snprintf(path, sizeof(path), "%s/sentinel/layer/dir", tmp_path);
        TAP_IS_INT(getxattr(path, "trusted.overlay.opaque", v, sizeof(v)), 1, "opaque dir marked");
        TAP_IS_STR(v, "y", "opaque value y");
        TAP_OK(faccessat(layer_fd, "dir/.wh..wh..opq", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "opaque marker not written");
        TAP_OK(fstatat(layer_fd, "gone", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0,
               "whiteout is a 0/0 char device");
        TAP_OK(fstatat(layer_fd, "sub/file", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
               st.st_rdev == 0, "nested whiteout");
        TAP_OK(faccessat(layer_fd, ".wh.gone", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "no .wh. file left");
        TAP_OK(faccessat(layer_fd, ".wh..wh.plnk", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "aufs metadata skipped");
        TAP_OK(fstatat(layer_fd, "ovl", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0,
               "overlay-form whiteout kept even unprivileged");
        layer_unpack_result_done(&res);
}

static void expect_refused(const TestEntry *entries, size_t n, const LayerUnpackOptions *opts, int want,
                           const char *what) {
        _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
        LayerUnpackResult res = {};
        int r;

        fresh_layer(&sentinel_fd, &layer_fd);
        r = unpack_entries(entries, n, TEST_PLAIN, opts, layer_fd, &res, NULL);
        TAP_IS_INT(r, want, "%s: refused", what);
        TAP_OK(!res.diff_id, "%s: no result", what);
        TAP_IS_INT(count_entries(sentinel_fd), 1, "%s: sentinel untouched", what);
        TAP_IS_INT(count_entries(tmp_fd), 1, "%s: temp dir untouched", what);
}

static void test_hostile(void) {
        char sentinel_abs[PATH_MAX];
        struct stat st, passwd_before, passwd_after;

        snprintf(sentinel_abs, sizeof(sentinel_abs), "%s/sentinel", tmp_path);

        {
                const TestEntry e[] = { { "ok", AE_IFREG, 0644, "x" }, { "../escape", AE_IFREG, 0644, "evil" } };
                expect_refused(e, ELEMENTSOF(e), &unprivileged, -EPERM, "../escape");
        }
        {
                const TestEntry e[] = { { "a/../../../escape", AE_IFREG, 0644, "evil" } };
                expect_refused(e, ELEMENTSOF(e), &unprivileged, -EPERM, "a/../../../escape");
        }
        {
                const TestEntry e[] = { { "a", AE_IFLNK, 0777, .symlink = sentinel_abs },
                                        { "a/evil", AE_IFREG, 0644, "evil" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "write through absolute symlink");
        }
        {
                const TestEntry e[] = { { "a", AE_IFLNK, 0777, .symlink = ".." },
                                        { "a/evil", AE_IFREG, 0644, "evil" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "write through relative symlink");
        }
        {
                const TestEntry e[] = { { "d/", AE_IFDIR, 0755 }, { "d/l", AE_IFLNK, 0777, .symlink = "/tmp" },
                                        { "d/l/x/evil", AE_IFREG, 0644, "evil" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "mkdir through nested symlink");
        }
        {
                const TestEntry e[] = { { "a", AE_IFLNK, 0777, .symlink = sentinel_abs },
                                        { "a/.wh..wh..opq", AE_IFREG, 0644, "" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "whiteout through symlink");
        }
        {
                const TestEntry e[] = { { "a", AE_IFLNK, 0777, .symlink = sentinel_abs },
                                        { "h", 0, .hardlink = "a/layer" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "hardlink through symlink");
        }

        TAP_OK(stat("/etc/passwd", &passwd_before) == 0, "passwd present");
        {
                const TestEntry e[] = { { "etc/", AE_IFDIR, 0755 }, { "etc/pw", 0, .hardlink = "../../etc/passwd" } };
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "hardlink to ../../etc/passwd");
        }
        {
                const TestEntry e[] = { { "pw", 0, .hardlink = "/etc/passwd" } };
                /* Absolute link targets are inside the layer, and there is no etc/passwd there. */
                expect_refused(e, ELEMENTSOF(e), &privileged, -EPERM, "hardlink to /etc/passwd");
        }
        TAP_OK(stat("/etc/passwd", &passwd_after) == 0 && passwd_after.st_nlink == passwd_before.st_nlink,
               "passwd link count unchanged");

        {
                const TestEntry e[] = { { "big", AE_IFREG, 0644, .size = 2 << 20 } };
                LayerUnpackOptions o = unprivileged;
                o.max_size = 1 << 20;
                expect_refused(e, ELEMENTSOF(e), &o, -EFBIG, "entry beyond the size cap");
        }
        {
                const TestEntry e[] = { { "a", AE_IFREG, 0644, .size = 600000 },
                                        { "b", AE_IFREG, 0644, .size = 600000 } };
                LayerUnpackOptions o = unprivileged;
                o.max_size = 1 << 20;
                expect_refused(e, ELEMENTSOF(e), &o, -EFBIG, "entries summing beyond the cap");
        }
        {
                const TestEntry e[] = { { "a", AE_IFREG, 0644, "" }, { "b", AE_IFREG, 0644, "" },
                                        { "c", AE_IFREG, 0644, "" } };
                LayerUnpackOptions o = unprivileged;
                o.max_entries = 2;
                expect_refused(e, ELEMENTSOF(e), &o, -EFBIG, "too many entries");
        }

        /* A gzip bomb: a small input whose tar stream exceeds the cap. */
        {
                const TestEntry e[] = { { "zeros", AE_IFREG, 0644, .size = 8 << 20 } };
                _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
                TestBuffer tar = {}, gz = {};
                LayerUnpackOptions o = unprivileged;
                LayerUnpackResult res = {};
                int fd;

                o.max_size = 4 << 20;
                fresh_layer(&sentinel_fd, &layer_fd);
                test_tar_build(e, 1, &tar);
                test_compress(&tar, TEST_GZIP, &gz);
                TAP_OK(gz.size < 100000, "bomb is small compressed (%zu bytes)", gz.size);
                fd = test_memfd(gz.data, gz.size);
                TAP_IS_INT(layer_unpack(fd, layer_fd, &o, &res), -EFBIG, "gzip bomb refused");
                close(fd);
                free(tar.data);
                free(gz.data);
        }

        /* Device nodes: skipped for an unprivileged store, created for a privileged one. */
        {
                const TestEntry e[] = { { "null", AE_IFCHR, 0666, .rdev_major = 1, .rdev_minor = 3 },
                                        { "sda", AE_IFBLK, 0660, .rdev_major = 8, .rdev_minor = 0 },
                                        { "suid", AE_IFREG, 04755, "x" },
                                        { "sgid", AE_IFREG, 02755, "x" } };
                _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
                LayerUnpackResult res = {};

                fresh_layer(&sentinel_fd, &layer_fd);
                TAP_IS_INT(unpack_entries(e, ELEMENTSOF(e), TEST_PLAIN, &unprivileged, layer_fd, &res, NULL), 0,
                           "device layer unpacks unprivileged");
                TAP_OK(faccessat(layer_fd, "null", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "char device skipped");
                TAP_OK(faccessat(layer_fd, "sda", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "block device skipped");
                TAP_OK(fstatat(layer_fd, "suid", &st, 0) == 0 && (st.st_mode & 07777) == 0755, "setuid bit dropped");
                TAP_OK(fstatat(layer_fd, "sgid", &st, 0) == 0 && (st.st_mode & 07777) == 0755, "setgid bit dropped");
                layer_unpack_result_done(&res);

                safe_close(layer_fd);
                safe_close(sentinel_fd);
                fresh_layer(&sentinel_fd, &layer_fd);
                TAP_IS_INT(unpack_entries(e, ELEMENTSOF(e), TEST_PLAIN, &privileged, layer_fd, &res, NULL), 0,
                           "device layer unpacks privileged");
                TAP_OK(fstatat(layer_fd, "null", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) &&
                       st.st_rdev == makedev(1, 3), "char device created for a root store");
                TAP_OK(fstatat(layer_fd, "suid", &st, 0) == 0 && (st.st_mode & 07777) == 04755, "setuid kept for a root store");
                layer_unpack_result_done(&res);
        }

        TAP_OK(access("/abs-crio-image-test", F_OK) < 0, "(no /abs-crio-image-test before)");
        {
                const TestEntry e[] = { { "/abs-crio-image-test", AE_IFREG, 0644, "x" } };
                _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
                LayerUnpackResult res = {};

                fresh_layer(&sentinel_fd, &layer_fd);
                TAP_IS_INT(unpack_entries(e, 1, TEST_PLAIN, &unprivileged, layer_fd, &res, NULL), 0,
                           "absolute path unpacks");
                TAP_OK(faccessat(layer_fd, "abs-crio-image-test", F_OK, 0) == 0, "absolute path lands inside");
                TAP_OK(access("/abs-crio-image-test", F_OK) < 0, "nothing at the absolute path");
                layer_unpack_result_done(&res);
        }
}

static void test_bad_input(void) {
        _cleanup_close_ int sentinel_fd = -EBADF, layer_fd = -EBADF;
        LayerUnpackResult res = {};
        static const TestEntry e[] = { { "f", AE_IFREG, 0644, "content" } };
        TestBuffer tar = {}, gz = {};
        _cleanup_free_ char *gz_digest = NULL;
        LayerUnpackOptions o = unprivileged;
        int fd;

        fresh_layer(&sentinel_fd, &layer_fd);
        fd = test_memfd("", 0);
        TAP_IS_INT(layer_unpack(fd, layer_fd, &unprivileged, &res), -EBADMSG, "empty input refused");
        close(fd);
        fd = test_memfd("this is not a tarball at all, just some text long enough to be read as one",
                        strlen("this is not a tarball at all, just some text long enough to be read as one"));
        TAP_IS_INT(layer_unpack(fd, layer_fd, &unprivileged, &res), -EBADMSG, "garbage refused");
        close(fd);

        test_tar_build(e, 1, &tar);
        test_compress(&tar, TEST_GZIP, &gz);
        digest_compute(DIGEST_SHA256, gz.data, gz.size, &gz_digest);

        /* Truncated gzip. */
        fd = test_memfd(gz.data, gz.size / 2);
        TAP_IS_INT(layer_unpack(fd, layer_fd, &unprivileged, &res), -EBADMSG, "truncated gzip refused");
        close(fd);

        o.compressed_digest = gz_digest;
        o.compressed_size = gz.size;
        safe_close(layer_fd);
        safe_close(sentinel_fd);
        fresh_layer(&sentinel_fd, &layer_fd);
        fd = test_memfd(gz.data, gz.size);
        TAP_IS_INT(layer_unpack(fd, layer_fd, &o, &res), 0, "compressed digest verified");
        TAP_IS_INT(res.compressed_size, gz.size, "compressed size reported");
        layer_unpack_result_done(&res);
        close(fd);

        ((uint8_t *) gz.data)[gz.size - 1] ^= 1;        /* gzip trailer: the size field */
        fd = test_memfd(gz.data, gz.size);
        TAP_OK(layer_unpack(fd, layer_fd, &o, &res) < 0, "corrupted layer refused");
        close(fd);
        ((uint8_t *) gz.data)[gz.size - 1] ^= 1;

        o.compressed_size = gz.size - 1;
        fd = test_memfd(gz.data, gz.size);
        TAP_IS_INT(layer_unpack(fd, layer_fd, &o, &res), -EFBIG, "compressed over-size refused");
        close(fd);

        free(tar.data);
        free(gz.data);
}

int main(void) {
        if (test_tmpdir(&tmp_path, &tmp_fd) < 0) {
                printf("Bail out! cannot create temp dir\n");
                return 1;
        }
        test_normalize();
        test_regular(TEST_PLAIN, "plain");
        test_regular(TEST_GZIP, "gzip");
        test_regular(TEST_ZSTD, "zstd");
        test_whiteouts();
        test_hostile();
        test_bad_input();
        test_tmpdir_remove(tmp_path, tmp_fd);
        return tap_done();
}
