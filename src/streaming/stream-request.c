/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "stream-request.h"
#include "strv.h"

static const char *const stream_request_type_table[_STREAM_REQUEST_TYPE_MAX] = {
        [STREAM_REQUEST_EXEC] = "exec",
        [STREAM_REQUEST_ATTACH] = "attach",
        [STREAM_REQUEST_PORT_FORWARD] = "portforward",
};

const char *stream_request_type_to_string(StreamRequestType t) {
        if (t < 0 || t >= _STREAM_REQUEST_TYPE_MAX)
                return NULL;
        return stream_request_type_table[t];
}

StreamRequestType stream_request_type_from_string(const char *s) {
        if (!s)
                return _STREAM_REQUEST_TYPE_INVALID;
        for (size_t k = 0; k < _STREAM_REQUEST_TYPE_MAX; k++)
                if (strcmp(stream_request_type_table[k], s) == 0)
                        return (StreamRequestType) k;
        return _STREAM_REQUEST_TYPE_INVALID;
}

int stream_request_new(StreamRequestType type, StreamRequest **ret) {
        StreamRequest *r;

        if (type < 0 || type >= _STREAM_REQUEST_TYPE_MAX)
                return -EINVAL;
        r = calloc(1, sizeof(StreamRequest));
        if (!r)
                return -ENOMEM;
        r->type = type;
        *ret = r;
        return 0;
}

StreamRequest *stream_request_free(StreamRequest *r) {
        if (!r)
                return NULL;
        free(r->container_id);
        free(r->pod_sandbox_id);
        strv_free(r->cmd);
        free(r->ports);
        return mfree(r);
}
