/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Where log lines go: journald with structured fields when systemd runs us, stderr otherwise. */
typedef enum LogTarget {
        LOG_TARGET_AUTO,
        LOG_TARGET_JOURNAL,
        LOG_TARGET_CONSOLE,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
} LogTarget;

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_target(LogTarget target);
void log_open(void);

/* Parses CRI-O's log level names (fatal, panic, error, warn, info, debug, trace). */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

const char *log_target_to_string(LogTarget t) _const_;
LogTarget log_target_from_string(const char *s) _pure_;

/* Returns -abs(error), so callers can "return log_error_errno(r, ...)". The %m in format
 * prints strerror(error). */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) _printf_(6, 7);

/* Like log_internal(), with extra journal fields: NULL-terminated "FIELD=value" strings
 * given before the format. */
int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...) log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...) log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...) log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

/* Structured: log_struct(LOG_INFO, FIELDS("POD_ID=abc", "POD_NAME=x"), "Created pod %s", name) */
#define FIELDS(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define log_struct(level, fields, ...) \
        (void) log_struct_internal((level), 0, __FILE__, __LINE__, __func__, (fields), __VA_ARGS__)
#define log_struct_errno(level, error, fields, ...) \
        log_struct_internal((level), (error), __FILE__, __LINE__, __func__, (fields), __VA_ARGS__)
