/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared helpers of the image tests: tarballs built with libarchive's writer, temp directories. */

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-fs.h"
#include "macro.h"

typedef enum TestCompression {
        TEST_PLAIN,
        TEST_GZIP,
        TEST_ZSTD,
} TestCompression;

typedef struct TestEntry {
        const char *path;
        mode_t type;            /* AE_IFREG, AE_IFDIR, ...; 0 with hardlink set */
        mode_t perm;
        const char *data;       /* regular file content */
        size_t size;            /* declared size if data is NULL: zeros */
        const char *symlink;
        const char *hardlink;
        unsigned rdev_major, rdev_minor;
        const char *xattr_name, *xattr_value;
} TestEntry;

typedef struct TestBuffer {
        void *data;
        size_t size;
        size_t alloc;
} TestBuffer;

static la_ssize_t test_buffer_write(struct archive *a, void *userdata, const void *buf, size_t n) {
        TestBuffer *b = userdata;

        if (b->size + n > b->alloc) {
                size_t na = MAX(b->alloc * 2, b->size + n);
                void *nd = realloc(b->data, na);
                if (!nd)
                        return -1;
                b->data = nd;
                b->alloc = na;
        }
        memcpy((char *) b->data + b->size, buf, n);
        b->size += n;
        return (la_ssize_t) n;
}

/* An uncompressed pax tarball of entries, malloc()ed. */
_unused_ static int test_tar_build(const TestEntry *entries, size_t n, TestBuffer *ret) {
        struct archive *a = archive_write_new();
        TestBuffer b = {};
        static char zeros[65536];

        archive_write_set_format_pax_restricted(a);
        archive_write_set_bytes_in_last_block(a, 1);
        if (archive_write_open(a, &b, NULL, test_buffer_write, NULL) != ARCHIVE_OK)
                return -EIO;
        for (size_t i = 0; i < n; i++) {
                const TestEntry *t = entries + i;
                struct archive_entry *e = archive_entry_new();
                size_t size = t->data ? strlen(t->data) : t->size;

                archive_entry_set_pathname(e, t->path);
                archive_entry_set_mtime(e, 1700000000, 0);
                archive_entry_set_uid(e, 0);
                archive_entry_set_gid(e, 0);
                if (t->hardlink) {
                        archive_entry_set_hardlink(e, t->hardlink);
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_perm(e, 0644);
                        archive_entry_set_size(e, 0);
                } else {
                        archive_entry_set_filetype(e, t->type);
                        archive_entry_set_perm(e, t->perm ?: (t->type == AE_IFDIR ? 0755 : 0644));
                        if (t->type == AE_IFREG)
                                archive_entry_set_size(e, size);
                        if (t->symlink)
                                archive_entry_set_symlink(e, t->symlink);
                        if (IN_SET(t->type, (mode_t) AE_IFCHR, (mode_t) AE_IFBLK)) {
                                archive_entry_set_rdevmajor(e, t->rdev_major);
                                archive_entry_set_rdevminor(e, t->rdev_minor);
                        }
                        if (t->xattr_name)
                                archive_entry_xattr_add_entry(e, t->xattr_name, t->xattr_value,
                                                              strlen(t->xattr_value));
                }
                if (archive_write_header(a, e) != ARCHIVE_OK) {
                        fprintf(stderr, "# header %s: %s\n", t->path, archive_error_string(a));
                        archive_entry_free(e);
                        archive_write_free(a);
                        free(b.data);
                        return -EIO;
                }
                if (t->type == AE_IFREG && !t->hardlink) {
                        if (t->data)
                                archive_write_data(a, t->data, size);
                        else
                                for (size_t done = 0; done < size;) {
                                        size_t k = MIN(sizeof(zeros), size - done);
                                        archive_write_data(a, zeros, k);
                                        done += k;
                                }
                }
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        *ret = b;
        return 0;
}

/* Compresses bytes as they are (libarchive's raw format), so the tar stream hashes the same. */
_unused_ static int test_compress(const TestBuffer *in, TestCompression c, TestBuffer *ret) {
        struct archive *a;
        struct archive_entry *e;
        TestBuffer b = {};

        if (c == TEST_PLAIN) {
                b.data = malloc(in->size ?: 1);
                memcpy(b.data, in->data, in->size);
                b.size = in->size;
                *ret = b;
                return 0;
        }
        a = archive_write_new();
        archive_write_set_format_raw(a);
        if (c == TEST_GZIP)
                archive_write_add_filter_gzip(a);
        else
                archive_write_add_filter_zstd(a);
        archive_write_set_bytes_per_block(a, 0);
        if (archive_write_open(a, &b, NULL, test_buffer_write, NULL) != ARCHIVE_OK)
                return -EIO;
        e = archive_entry_new();
        archive_entry_set_pathname(e, "data");
        archive_entry_set_filetype(e, AE_IFREG);
        archive_write_header(a, e);
        archive_write_data(a, in->data, in->size);
        archive_entry_free(e);
        archive_write_close(a);
        archive_write_free(a);
        *ret = b;
        return 0;
}

/* A memfd holding data, positioned at 0. */
_unused_ static int test_memfd(const void *data, size_t size) {
        int fd = memfd_create("layer", MFD_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (size > 0 && write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return -EIO;
        }
        (void) lseek(fd, 0, SEEK_SET);
        return fd;
}

_unused_ static int test_tmpdir(char **ret_path, int *ret_fd) {
        char *p = strdup("/tmp/test-image-XXXXXX");

        if (!p || !mkdtemp(p)) {
                free(p);
                return -errno;
        }
        *ret_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        *ret_path = p;
        return *ret_fd < 0 ? -errno : 0;
}

_unused_ static void test_tmpdir_remove(char *path, int fd) {
        char *slash = strrchr(path, '/');
        int parent;

        if (fd >= 0)
                close(fd);
        *slash = 0;
        parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        (void) image_fs_remove_tree(parent, slash + 1);
        close(parent);
        free(path);
}
