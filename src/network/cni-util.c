/* SPDX-License-Identifier: Apache-2.0 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni-util.h"

static int version_split(const char *v, unsigned parts[static 3]) {
        const char *p = v;

        if (!v)
                return -EINVAL;
        for (unsigned i = 0; i < 3; i++) {
                char *end;
                unsigned long n;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                errno = 0;
                n = strtoul(p, &end, 10);
                if (errno != 0 || n > 65535)
                        return -EINVAL;
                parts[i] = (unsigned) n;
                if (i < 2 && *end != '.')
                        return -EINVAL;
                if (i == 2 && *end != '\0')
                        return -EINVAL;
                p = end + 1;
        }
        return 0;
}

int cni_version_compare(const char *a, const char *b, int *ret) {
        unsigned pa[3], pb[3];
        int r;

        r = version_split(a, pa);
        if (r < 0)
                return r;
        r = version_split(b, pb);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < 3; i++)
                if (pa[i] != pb[i]) {
                        *ret = pa[i] < pb[i] ? -1 : 1;
                        return 0;
                }
        *ret = 0;
        return 0;
}

bool cni_version_supported(const char *v) {
        static const char *const known[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

        if (!v)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strcmp(v, known[i]) == 0)
                        return true;
        return false;
}

static bool name_valid(const char *s) {
        if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("_.-", *p)))
                        return false;
        return true;
}

bool cni_network_name_valid(const char *s) {
        return name_valid(s);
}

bool cni_container_id_valid(const char *s) {
        return name_valid(s);
}

bool cni_ifname_valid(const char *s) {
        size_t n;

        if (!s)
                return false;
        n = strlen(s);
        if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
                    *p == '\v' || *p == '\f')
                        return false;
        return true;
}
