/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The metav1.Status objects kubelet writes to the error stream at the end of an exec or attach
 * (v4 and v5 protocols): Success, a non-zero exit code, or an internal error. */

/* exit_code 0 gives Success; anything else Failure with reason NonZeroExitCode and the code as
 * the message of an ExitCode cause. cmd (may be NULL) is named in the message. */
int stream_status_format_exit(int exit_code, char *const *cmd, char **ret);
/* Failure with reason InternalError carrying message. */
int stream_status_format_error(const char *message, char **ret);
/* The plain text older protocols (v1-v3) put on the error stream for a non-zero exit. */
int stream_status_format_exit_text(int exit_code, char *const *cmd, char **ret);
