/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "stream-status.h"
#include "strv.h"

static void json_escape(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c == '"' || c == '\\')
                        fprintf(f, "\\%c", c);
                else if (c == '\n')
                        fputs("\\n", f);
                else if (c == '\t')
                        fputs("\\t", f);
                else if (c < 0x20 || c == 0x7f)
                        fprintf(f, "\\u%04x", c);
                else
                        fputc(c, f);
        }
        fputc('"', f);
}

static int finish(FILE *f, char **buf, char **ret) {
        if (fflush(f) != 0 || ferror(f)) {
                fclose(f);
                *buf = mfree(*buf);
                return -ENOMEM;
        }
        fclose(f);
        *ret = TAKE_PTR(*buf);
        return 0;
}

int stream_status_format_exit_text(int exit_code, char *const *cmd, char **ret) {
        _cleanup_free_ char *joined = NULL;
        int r;

        r = strv_join(cmd, " ", &joined);
        if (r < 0)
                return r;
        /* The wording kubelet uses, which clients show to users. */
        if (asprintf(ret, "command terminated with non-zero exit code: error executing command [%s], exit code %d",
                     joined, exit_code) < 0)
                return -ENOMEM;
        return 0;
}

int stream_status_format_exit(int exit_code, char *const *cmd, char **ret) {
        _cleanup_free_ char *message = NULL;
        char *buf = NULL;
        size_t size;
        FILE *f;
        int r;

        if (exit_code == 0) {
                char *s = strdup("{\"metadata\":{},\"status\":\"Success\"}");

                if (!s)
                        return -ENOMEM;
                *ret = s;
                return 0;
        }

        r = stream_status_format_exit_text(exit_code, cmd, &message);
        if (r < 0)
                return r;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\"metadata\":{},\"status\":\"Failure\",\"message\":", f);
        json_escape(f, message);
        fprintf(f, ",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":\"ExitCode\","
                   "\"message\":\"%d\"}]}}", exit_code);
        return finish(f, &buf, ret);
}

int stream_status_format_error(const char *message, char **ret) {
        char *buf = NULL;
        size_t size;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\"metadata\":{},\"status\":\"Failure\",\"message\":", f);
        json_escape(f, message ?: "");
        fputs(",\"reason\":\"InternalError\",\"details\":{\"causes\":[{\"message\":", f);
        json_escape(f, message ?: "");
        fputs("}]},\"code\":500}", f);
        return finish(f, &buf, ret);
}
