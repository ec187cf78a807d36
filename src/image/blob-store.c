/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blob-store.h"
#include "digest.h"
#include "image-fs.h"
#include "strv.h"
#include "log.h"

struct BlobStore {
        int dir_fd;
        int algorithm_fd[_DIGEST_ALGORITHM_MAX];
};

struct BlobWriter {
        BlobStore *store;
        Digest digest;
        DigestVerifier *verifier;
        char *temp_name;
        int fd;
        bool committed;
};

BlobStore *blob_store_free(BlobStore *s) {
        if (!s)
                return NULL;
        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++)
                safe_close(s->algorithm_fd[a]);
        safe_close(s->dir_fd);
        return mfree(s);
}

int blob_store_open(int parent_fd, const char *name, BlobStore **ret) {
        _cleanup_(blob_store_freep) BlobStore *s = NULL;
        int r;

        s = calloc(1, sizeof(BlobStore));
        if (!s)
                return -ENOMEM;
        s->dir_fd = -EBADF;
        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++)
                s->algorithm_fd[a] = -EBADF;

        r = image_fs_open_dir(parent_fd, name, /* create= */ true, &s->dir_fd);
        if (r < 0)
                return log_error_errno(r, "Failed to open blob directory %s: %m", name);
        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++) {
                r = image_fs_open_dir(s->dir_fd, digest_algorithm_to_string(a), /* create= */ true,
                                      &s->algorithm_fd[a]);
                if (r < 0)
                        return log_error_errno(r, "Failed to open blob directory %s/%s: %m", name,
                                               digest_algorithm_to_string(a));
        }
        r = blob_store_sweep(s);
        if (r < 0)
                log_warning_errno(r, "Failed to remove leftovers from blob store, ignoring: %m");

        *ret = TAKE_PTR(s);
        return 0;
}

int blob_store_sweep(BlobStore *s) {
        int n = 0;

        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++) {
                int r = image_fs_sweep_temp(s->algorithm_fd[a]);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

int blob_store_has(BlobStore *s, const char *digest) {
        Digest d;

        if (digest_parse(digest, &d) < 0)
                return -EINVAL;
        if (faccessat(s->algorithm_fd[d.algorithm], d.hex, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 1;
}

int blob_store_open_blob(BlobStore *s, const char *digest, int *ret_fd) {
        Digest d;
        int fd;

        if (digest_parse(digest, &d) < 0)
                return -EINVAL;
        fd = openat(s->algorithm_fd[d.algorithm], d.hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int blob_store_read(BlobStore *s, const char *digest, size_t max, char **ret, size_t *ret_size) {
        Digest d;

        if (digest_parse(digest, &d) < 0)
                return -EINVAL;
        return read_full_file_at(s->algorithm_fd[d.algorithm], d.hex, max, READ_FILE_NOFOLLOW, ret, ret_size);
}

int blob_store_size(BlobStore *s, const char *digest, uint64_t *ret) {
        struct stat st;
        Digest d;

        if (digest_parse(digest, &d) < 0)
                return -EINVAL;
        if (fstatat(s->algorithm_fd[d.algorithm], d.hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        *ret = st.st_size;
        return 0;
}

int blob_store_remove(BlobStore *s, const char *digest) {
        Digest d;

        if (digest_parse(digest, &d) < 0)
                return -EINVAL;
        if (unlinkat(s->algorithm_fd[d.algorithm], d.hex, 0) < 0)
                return -errno;
        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int blob_store_list(BlobStore *s, char ***ret) {
        _cleanup_(strv_freep) char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (DigestAlgorithm a = 0; a < _DIGEST_ALGORITHM_MAX; a++) {
                int fd = openat(s->algorithm_fd[a], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                struct dirent *de;
                DIR *dir;

                if (fd < 0)
                        return -errno;
                dir = fdopendir(fd);
                if (!dir) {
                        close(fd);
                        return -errno;
                }
                while ((de = readdir(dir))) {
                        char buf[DIGEST_STRING_MAX];
                        Digest d = { .algorithm = a };

                        if (strlen(de->d_name) != digest_algorithm_hex_length(a))
                                continue;
                        memcpy(d.hex, de->d_name, strlen(de->d_name) + 1);
                        if (!digest_is_valid(digest_format(&d, buf)))
                                continue;
                        if (strv_push(&l, buf) < 0) {
                                closedir(dir);
                                return -ENOMEM;
                        }
                }
                closedir(dir);
        }
        qsort(l, strv_length(l), sizeof(char *), compare_strings);
        *ret = TAKE_PTR(l);
        return 0;
}

BlobWriter *blob_writer_free(BlobWriter *w) {
        if (!w)
                return NULL;
        safe_close(w->fd);
        if (!w->committed && w->temp_name)
                (void) unlinkat(w->store->algorithm_fd[w->digest.algorithm], w->temp_name, 0);
        free(w->temp_name);
        digest_verifier_free(w->verifier);
        return mfree(w);
}

int blob_store_begin(BlobStore *s, const char *digest, int64_t expected_size, BlobWriter **ret) {
        _cleanup_(blob_writer_freep) BlobWriter *w = NULL;
        Digest d;
        int r;

        r = digest_parse(digest, &d);
        if (r < 0)
                return r;
        w = calloc(1, sizeof(BlobWriter));
        if (!w)
                return -ENOMEM;
        w->store = s;
        w->digest = d;
        w->fd = -EBADF;
        r = digest_verifier_new(d.algorithm, digest, expected_size, &w->verifier);
        if (r < 0)
                return r;
        r = tempfile_name("blob", &w->temp_name);
        if (r < 0)
                return r;
        w->fd = openat(s->algorithm_fd[d.algorithm], w->temp_name,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (w->fd < 0) {
                r = -errno;
                w->temp_name = mfree(w->temp_name);
                return r;
        }
        *ret = TAKE_PTR(w);
        return 0;
}

int blob_writer_write(BlobWriter *w, const void *data, size_t size) {
        const uint8_t *p = data;
        int r;

        if (w->committed)
                return -ESTALE;
        r = digest_verifier_update(w->verifier, data, size);
        if (r < 0)
                return r;
        while (size > 0) {
                ssize_t n = write(w->fd, p, size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                size -= n;
        }
        return 0;
}

int blob_writer_commit(BlobWriter *w) {
        return blob_writer_commit_full(w, 0);
}

int blob_writer_commit_full(BlobWriter *w, BlobStoreFlags flags) {
        int dir_fd = w->store->algorithm_fd[w->digest.algorithm];
        int r;

        if (w->committed)
                return -ESTALE;
        r = digest_verifier_finish(w->verifier, NULL);
        if (r < 0)
                return r;
        if (!(flags & BLOB_STORE_NO_SYNC) && fsync(w->fd) < 0)
                return -errno;
        /* Same digest, same bytes: replacing an existing blob is harmless. */
        if (renameat(dir_fd, w->temp_name, dir_fd, w->digest.hex) < 0)
                return -errno;
        w->committed = true;
        if (!(flags & BLOB_STORE_NO_SYNC) && fsync(dir_fd) < 0)
                return -errno;
        return 0;
}

int blob_store_put(BlobStore *s, const char *digest, const void *data, size_t size) {
        return blob_store_put_full(s, digest, data, size, 0);
}

int blob_store_put_full(BlobStore *s, const char *digest, const void *data, size_t size, BlobStoreFlags flags) {
        _cleanup_(blob_writer_freep) BlobWriter *w = NULL;
        int r;

        r = blob_store_begin(s, digest, (int64_t) size, &w);
        if (r < 0)
                return r;
        r = blob_writer_write(w, data, size);
        if (r < 0)
                return r;
        return blob_writer_commit_full(w, flags);
}
