/* SPDX-License-Identifier: Apache-2.0 */
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "log.h"

static int log_max_level = LOG_INFO;
static LogTarget log_target = LOG_TARGET_AUTO;
static LogTarget log_target_resolved = LOG_TARGET_CONSOLE;

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_target(LogTarget target) {
        log_target = target;
        log_open();
}

/* Our stderr is connected to journald exactly when $JOURNAL_STREAM names the device and inode of
 * that stderr: then we speak the native protocol instead, to keep our structured fields. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_open(void) {
        if (log_target == LOG_TARGET_AUTO)
                log_target_resolved = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_CONSOLE;
        else
                log_target_resolved = log_target;
}

static const char *const log_level_table[] = {
        [LOG_EMERG] = "panic",
        [LOG_ALERT] = "fatal",
        [LOG_CRIT] = "fatal",
        [LOG_ERR] = "error",
        [LOG_WARNING] = "warn",
        [LOG_NOTICE] = "info",
        [LOG_INFO] = "info",
        [LOG_DEBUG] = "debug",
};

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(log_level_table))
                return NULL;
        return log_level_table[level];
}

int log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "panic", LOG_EMERG },   { "fatal", LOG_CRIT },  { "error", LOG_ERR },
                { "warn", LOG_WARNING },  { "warning", LOG_WARNING }, { "info", LOG_INFO },
                { "debug", LOG_DEBUG },   { "trace", LOG_DEBUG },
        };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i].name) == 0)
                        return names[i].level;
        return -EINVAL;
}

static const char *const log_target_table[_LOG_TARGET_MAX] = {
        [LOG_TARGET_AUTO] = "auto",
        [LOG_TARGET_JOURNAL] = "journal",
        [LOG_TARGET_CONSOLE] = "console",
};

const char *log_target_to_string(LogTarget t) {
        if (t < 0 || t >= _LOG_TARGET_MAX)
                return NULL;
        return log_target_table[t];
}

LogTarget log_target_from_string(const char *s) {
        if (!s)
                return _LOG_TARGET_INVALID;
        for (LogTarget t = 0; t < _LOG_TARGET_MAX; t++)
                if (strcmp(log_target_table[t], s) == 0)
                        return t;
        return _LOG_TARGET_INVALID;
}

static void write_console(int level, const char *file, int line, const char *message) {
        struct timespec ts;
        struct tm tm;
        char when[32];

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        (void) gmtime_r(&ts.tv_sec, &tm);
        (void) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

        if (log_max_level >= LOG_DEBUG)
                fprintf(stderr, "time=\"%s.%06ldZ\" level=%s msg=\"%s\" file=\"%s:%d\"\n", when,
                        ts.tv_nsec / 1000, log_level_to_string(level), message, file, line);
        else
                fprintf(stderr, "time=\"%s.%06ldZ\" level=%s msg=\"%s\"\n", when, ts.tv_nsec / 1000,
                        log_level_to_string(level), message);
}

static void write_journal(int level, int error, const char *file, int line, const char *func,
                          const char *const *fields, const char *message) {
        char prio[32], code_file[512], code_line[32], code_func[256], errno_field[32];
        size_t n_fields = 0;

        for (const char *const *f = fields; f && *f; f++)
                n_fields++;

        struct iovec iov[8 + n_fields];
        size_t n = 0;
        _cleanup_free_ char *msg = NULL;

        if (asprintf(&msg, "MESSAGE=%s", message) < 0)
                return;
        (void) snprintf(prio, sizeof prio, "PRIORITY=%i", level);
        (void) snprintf(code_file, sizeof code_file, "CODE_FILE=%s", file);
        (void) snprintf(code_line, sizeof code_line, "CODE_LINE=%i", line);
        (void) snprintf(code_func, sizeof code_func, "CODE_FUNC=%s", func);

        iov[n++] = (struct iovec) { msg, strlen(msg) };
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        iov[n++] = (struct iovec) { code_file, strlen(code_file) };
        iov[n++] = (struct iovec) { code_line, strlen(code_line) };
        iov[n++] = (struct iovec) { code_func, strlen(code_func) };
        iov[n++] = (struct iovec) { (char *) "SYSLOG_IDENTIFIER=crio", strlen("SYSLOG_IDENTIFIER=crio") };
        if (error != 0) {
                (void) snprintf(errno_field, sizeof errno_field, "ERRNO=%i", abs(error));
                iov[n++] = (struct iovec) { errno_field, strlen(errno_field) };
        }
        for (const char *const *f = fields; f && *f; f++)
                iov[n++] = (struct iovec) { (char *) *f, strlen(*f) };

        if (sd_journal_sendv(iov, (int) n) < 0)
                write_console(level, file, line, message);
}

_printf_(7, 0)
static int log_dispatch(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, va_list ap) {
        char buf[2048];

        /* %m must show the error we were given, not whatever errno happens to hold. */
        errno = abs(error);
        (void) vsnprintf(buf, sizeof buf, format, ap);

        if (log_target_resolved == LOG_TARGET_JOURNAL)
                write_journal(level, error, file, line, func, fields, buf);
        else
                write_console(level, file, line, buf);

        return -abs(error);
}

int log_internal(int level, int error, const char *file, int line, const char *func, const char *format, ...) {
        va_list ap;
        int r;

        if (level > log_max_level)
                return -abs(error);

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, NULL, format, ap);
        va_end(ap);
        return r;
}

int log_struct_internal(int level, int error, const char *file, int line, const char *func,
                        const char *const *fields, const char *format, ...) {
        va_list ap;
        int r;

        if (level > log_max_level)
                return -abs(error);

        va_start(ap, format);
        r = log_dispatch(level, error, file, line, func, fields, format, ap);
        va_end(ap);
        return r;
}
