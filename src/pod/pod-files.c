/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "strv.h"
#include "pod-files.h"

int pod_resolv_conf_render(char *const *servers, char *const *searches, char *const *options, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        if (!(servers && *servers) && !(searches && *searches) && !(options && *options)) {
                *ret = NULL;
                return 0;
        }
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        if (searches && *searches) {
                fputs("search", f);
                for (char *const *s = searches; *s; s++)
                        fprintf(f, " %s", *s);
                fputc('\n', f);
        }
        for (char *const *s = servers; s && *s; s++)
                fprintf(f, "nameserver %s\n", *s);
        if (options && *options) {
                fputs("options", f);
                for (char *const *s = options; *s; s++)
                        fprintf(f, " %s", *s);
                fputc('\n', f);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 1;
}

int pod_quantity_parse(const char *s, uint64_t *ret) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } suffixes[] = {
                { "", 1 },
                { "k", UINT64_C(1000) }, { "M", UINT64_C(1000000) }, { "G", UINT64_C(1000000000) },
                { "T", UINT64_C(1000000000000) },
                { "Ki", UINT64_C(1) << 10 }, { "Mi", UINT64_C(1) << 20 }, { "Gi", UINT64_C(1) << 30 },
                { "Ti", UINT64_C(1) << 40 },
        };
        uint64_t v = 0;
        const char *p = s;

        if (!s || !*s || *s < '0' || *s > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (strcmp(p, suffixes[i].suffix) == 0) {
                        if (v > UINT64_MAX / suffixes[i].factor)
                                return -ERANGE;
                        *ret = v * suffixes[i].factor;
                        return 0;
                }
        return -EINVAL;
}

int pod_files_create_dir(Pod *p, const char *run_root) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *record = NULL;
        int r;

        r = mkdir_p(run_root, 0755);
        if (r < 0)
                return log_pod_errno(p, LOG_ERR, r, "Failed to create %s: %m", run_root);
        if (asprintf(&p->run_dir, "%s/%s", run_root, p->id) < 0)
                return -ENOMEM;
        if (mkdir(p->run_dir, 0755) < 0)
                return log_pod_errno(p, LOG_ERR, errno, "Failed to create %s: %m", p->run_dir);
        if (asprintf(&record, "%s/" POD_RECORD_FILE, p->run_dir) < 0)
                return -ENOMEM;
        fd = open(record, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return log_pod_errno(p, LOG_ERR, errno, "Failed to create %s: %m", record);
        return 0;
}

int pod_record_append(Pod *p, const char *key, const char *value) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        _cleanup_close_ int fd = -EBADF;
        int n;

        if (!p->run_dir)
                return 0;
        if (asprintf(&path, "%s/" POD_RECORD_FILE, p->run_dir) < 0 ||
            (n = asprintf(&line, "%s=%s\n", key, value)) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        /* One write() of a short line with O_APPEND: a crash leaves whole lines only. */
        if (fd < 0 || write(fd, line, (size_t) n) != n)
                return log_pod_errno(p, LOG_WARNING, errno ?: EIO, "Failed to append to %s: %m", path);
        return 0;
}

static int write_file(const char *dir, const char *name, const char *text, char **ret_path) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(text);

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, text, n) != (ssize_t) n)
                return errno ? -errno : -EIO;
        *ret_path = TAKE_PTR(path);
        return 0;
}

int pod_files_setup(Pod *p, char **ret_error) {
        _cleanup_free_ char *resolv = NULL, *hostname = NULL, *options = NULL;
        const char *shm_size;
        int r;

        r = pod_resolv_conf_render(p->config.dns_servers, p->config.dns_searches, p->config.dns_options, &resolv);
        if (r < 0)
                return r;
        if (resolv) {
                r = write_file(p->run_dir, "resolv.conf", resolv, &p->resolv_path);
                if (r < 0)
                        return asprintf(ret_error, "writing resolv.conf: %s", strerror(-r)) < 0 ? -ENOMEM : r;
        }

        if (p->config.hostname && *p->config.hostname) {
                if (asprintf(&hostname, "%s\n", p->config.hostname) < 0)
                        return -ENOMEM;
        } else {
                char host[256] = {};

                (void) gethostname(host, sizeof(host) - 1);
                if (asprintf(&hostname, "%s\n", host) < 0)
                        return -ENOMEM;
        }
        r = write_file(p->run_dir, "hostname", hostname, &p->hostname_path);
        if (r < 0)
                return asprintf(ret_error, "writing hostname: %s", strerror(-r)) < 0 ? -ENOMEM : r;

        if (pod_is_host_ipc(p)) {
                /* Host IPC pods share the host's /dev/shm, as in CRI-O. */
                p->shm_path = strdup("/dev/shm");
                return p->shm_path ? 0 : -ENOMEM;
        }

        p->shm_size = POD_SHM_SIZE_DEFAULT;
        shm_size = pod_strv_pair_get(p->config.annotations, POD_SHM_SIZE_ANNOTATION);
        if (shm_size && (pod_quantity_parse(shm_size, &p->shm_size) < 0 || p->shm_size == 0)) {
                (void) asprintf(ret_error, "invalid %s annotation \"%s\"", POD_SHM_SIZE_ANNOTATION, shm_size);
                return -EINVAL;
        }
        if (asprintf(&p->shm_path, "%s/shm", p->run_dir) < 0 ||
            asprintf(&options, "mode=1777,size=%llu", (unsigned long long) p->shm_size) < 0)
                return -ENOMEM;
        if (mkdir(p->shm_path, 0755) < 0 && errno != EEXIST)
                return asprintf(ret_error, "creating %s: %m", p->shm_path) < 0 ? -ENOMEM : -errno;
        if (mount("shm", p->shm_path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options) < 0) {
                r = -errno;
                (void) asprintf(ret_error, "mounting /dev/shm for the pod: %s", strerror(-r));
                return r;
        }
        p->shm_mounted = true;
        return 0;
}

int pod_files_remove_dir(const char *dir) {
        _cleanup_free_ char *shm = NULL;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (!dir)
                return 0;
        if (asprintf(&shm, "%s/shm", dir) < 0)
                return -ENOMEM;
        if (umount2(shm, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && !IN_SET(errno, EINVAL, ENOENT))
                r = log_warning_errno(errno, "Failed to unmount %s: %m", shm);
        (void) rmdir(shm);

        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? r : -errno;
        while ((de = readdir(d)))
                if (de->d_type != DT_DIR)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        if (rmdir(dir) < 0 && errno != ENOENT && r == 0)
                r = log_warning_errno(errno, "Failed to remove %s: %m", dir);
        return r;
}

int pod_files_remove(Pod *p) {
        int r;

        r = pod_files_remove_dir(p->run_dir);
        p->shm_mounted = false;
        return r;
}
