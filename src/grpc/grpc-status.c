/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "grpc-status.h"

/* The names as the gRPC spec and grpc-go print them. */
static const char *const grpc_status_table[_GRPC_STATUS_MAX] = {
        [GRPC_STATUS_OK] = "OK",
        [GRPC_STATUS_CANCELLED] = "CANCELLED",
        [GRPC_STATUS_UNKNOWN] = "UNKNOWN",
        [GRPC_STATUS_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
        [GRPC_STATUS_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
        [GRPC_STATUS_NOT_FOUND] = "NOT_FOUND",
        [GRPC_STATUS_ALREADY_EXISTS] = "ALREADY_EXISTS",
        [GRPC_STATUS_PERMISSION_DENIED] = "PERMISSION_DENIED",
        [GRPC_STATUS_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
        [GRPC_STATUS_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
        [GRPC_STATUS_ABORTED] = "ABORTED",
        [GRPC_STATUS_OUT_OF_RANGE] = "OUT_OF_RANGE",
        [GRPC_STATUS_UNIMPLEMENTED] = "UNIMPLEMENTED",
        [GRPC_STATUS_INTERNAL] = "INTERNAL",
        [GRPC_STATUS_UNAVAILABLE] = "UNAVAILABLE",
        [GRPC_STATUS_DATA_LOSS] = "DATA_LOSS",
        [GRPC_STATUS_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

const char *grpc_status_to_string(GrpcStatus s) {
        if (s < 0 || s >= _GRPC_STATUS_MAX)
                return NULL;
        return grpc_status_table[s];
}

GrpcStatus grpc_status_from_string(const char *s) {
        if (!s)
                return _GRPC_STATUS_INVALID;
        for (GrpcStatus i = 0; i < _GRPC_STATUS_MAX; i++)
                if (strcmp(grpc_status_table[i], s) == 0)
                        return i;
        return _GRPC_STATUS_INVALID;
}

GrpcStatus grpc_status_from_errno(int error) {
        switch (abs(error)) {
        case 0:
                return GRPC_STATUS_OK;
        case ENOENT:
        case ENXIO:
        case ESRCH:
                return GRPC_STATUS_NOT_FOUND;
        case EEXIST:
                return GRPC_STATUS_ALREADY_EXISTS;
        case EINVAL:
        case EBADMSG:
        case ENAMETOOLONG:
        case EDOM:
        case E2BIG:
                return GRPC_STATUS_INVALID_ARGUMENT;
        case EPERM:
        case EACCES:
        case EROFS:
                return GRPC_STATUS_PERMISSION_DENIED;
        case ENOMEM:
        case ENOSPC:
        case EMFILE:
        case ENFILE:
        case EDQUOT:
        case EMSGSIZE:
                return GRPC_STATUS_RESOURCE_EXHAUSTED;
        case EBUSY:
        case ENOTEMPTY:
        case ENOTDIR:
        case EISDIR:
        case ESTALE:
                return GRPC_STATUS_FAILED_PRECONDITION;
        case EDEADLK:
        case EALREADY:
                return GRPC_STATUS_ABORTED;
        case ERANGE:
        case EOVERFLOW:
                return GRPC_STATUS_OUT_OF_RANGE;
        case EOPNOTSUPP:
        case ENOSYS:
        case EPROTONOSUPPORT:
                return GRPC_STATUS_UNIMPLEMENTED;
        case ETIMEDOUT:
        case ETIME:
                return GRPC_STATUS_DEADLINE_EXCEEDED;
        case ECANCELED:
        case EINTR:
                return GRPC_STATUS_CANCELLED;
        case EAGAIN:
        case ECONNREFUSED:
        case ECONNRESET:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ESHUTDOWN:
                return GRPC_STATUS_UNAVAILABLE;
        case EIO:
        case EPROTO:
                return GRPC_STATUS_INTERNAL;
        case EUCLEAN:
                return GRPC_STATUS_DATA_LOSS;
        case ENOKEY:
        case EKEYREJECTED:
                return GRPC_STATUS_UNAUTHENTICATED;
        default:
                return GRPC_STATUS_UNKNOWN;
        }
}

char *grpc_message_encode(const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;
        char *ret, *p;

        for (const char *c = s; *c; c++)
                n += (*c >= ' ' && *c <= '~' && *c != '%') ? 1 : 3;
        p = ret = malloc(n + 1);
        if (!ret)
                return NULL;
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c >= ' ' && *c <= '~' && *c != '%')
                        *p++ = (char) *c;
                else {
                        *p++ = '%';
                        *p++ = hex[*c >> 4];
                        *p++ = hex[*c & 15];
                }
        *p = 0;
        return ret;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

char *grpc_message_decode(const char *s, size_t size) {
        char *ret, *p;

        p = ret = malloc(size + 1);
        if (!ret)
                return NULL;
        for (size_t i = 0; i < size; i++) {
                int a, b;

                /* Invalid escapes are kept as they are, as the spec asks. */
                if (s[i] == '%' && i + 2 < size &&
                    (a = unhex(s[i + 1])) >= 0 && (b = unhex(s[i + 2])) >= 0) {
                        *p++ = (char) (a << 4 | b);
                        i += 2;
                } else
                        *p++ = s[i];
        }
        *p = 0;
        return ret;
}
