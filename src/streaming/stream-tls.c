/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"
#include "stream-internal.h"

int stream_tls_setup(StreamServer *s) {
        return log_error_errno(EOPNOTSUPP, "TLS for the streaming server is not supported yet.");
}

void stream_tls_done(StreamServer *s) {
        if (s->ssl_ctx)
                SSL_CTX_free(s->ssl_ctx);
        s->ssl_ctx = NULL;
}
