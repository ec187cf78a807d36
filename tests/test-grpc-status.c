/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "grpc-status.h"
#include "tap.h"

int main(void) {
        _cleanup_free_ char *e = NULL, *d = NULL;

        for (GrpcStatus s = 0; s < _GRPC_STATUS_MAX; s++)
                TAP_IS_INT(grpc_status_from_string(grpc_status_to_string(s)), s, "status %d round-trips", s);
        TAP_IS_STR(grpc_status_to_string(GRPC_STATUS_UNIMPLEMENTED), "UNIMPLEMENTED", "names as in the spec");
        TAP_IS_INT(grpc_status_from_string("NOPE"), _GRPC_STATUS_INVALID, "unknown name refused");
        TAP_IS_INT(grpc_status_from_string(NULL), _GRPC_STATUS_INVALID, "NULL refused");
        TAP_OK(grpc_status_to_string(_GRPC_STATUS_MAX) == NULL, "out of range has no name");
        TAP_OK(grpc_status_to_string(-1) == NULL, "negative has no name");

        TAP_IS_INT(grpc_status_from_errno(0), GRPC_STATUS_OK, "0 is OK");
        TAP_IS_INT(grpc_status_from_errno(-ENOENT), GRPC_STATUS_NOT_FOUND, "ENOENT is NOT_FOUND");
        TAP_IS_INT(grpc_status_from_errno(ENOENT), GRPC_STATUS_NOT_FOUND, "sign does not matter");
        TAP_IS_INT(grpc_status_from_errno(-EEXIST), GRPC_STATUS_ALREADY_EXISTS, "EEXIST is ALREADY_EXISTS");
        TAP_IS_INT(grpc_status_from_errno(-EINVAL), GRPC_STATUS_INVALID_ARGUMENT, "EINVAL is INVALID_ARGUMENT");
        TAP_IS_INT(grpc_status_from_errno(-EPERM), GRPC_STATUS_PERMISSION_DENIED, "EPERM is PERMISSION_DENIED");
        TAP_IS_INT(grpc_status_from_errno(-ENOMEM), GRPC_STATUS_RESOURCE_EXHAUSTED, "ENOMEM is RESOURCE_EXHAUSTED");
        TAP_IS_INT(grpc_status_from_errno(-EOPNOTSUPP), GRPC_STATUS_UNIMPLEMENTED, "EOPNOTSUPP is UNIMPLEMENTED");
        TAP_IS_INT(grpc_status_from_errno(-ETIMEDOUT), GRPC_STATUS_DEADLINE_EXCEEDED, "ETIMEDOUT is DEADLINE_EXCEEDED");
        TAP_IS_INT(grpc_status_from_errno(-ECANCELED), GRPC_STATUS_CANCELLED, "ECANCELED is CANCELLED");
        TAP_IS_INT(grpc_status_from_errno(-EBUSY), GRPC_STATUS_FAILED_PRECONDITION, "EBUSY is FAILED_PRECONDITION");
        TAP_IS_INT(grpc_status_from_errno(-EIO), GRPC_STATUS_INTERNAL, "EIO is INTERNAL");
        TAP_IS_INT(grpc_status_from_errno(-EXFULL), GRPC_STATUS_UNKNOWN, "anything else is UNKNOWN");

        e = grpc_message_encode("50% done\n\xc3\xa9");
        TAP_IS_STR(e, "50%25 done%0A%C3%A9", "message percent-encoded");
        d = grpc_message_decode(e, strlen(e));
        TAP_IS_STR(d, "50% done\n\xc3\xa9", "message decodes back");
        free(d);
        d = grpc_message_decode("bad %zz and %4", strlen("bad %zz and %4"));
        TAP_IS_STR(d, "bad %zz and %4", "invalid escapes kept");
        return tap_done();
}
