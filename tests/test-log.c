/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"
#include "tap.h"

int main(void) {
        TAP_IS_INT(log_level_from_string("info"), LOG_INFO, "info parses");
        TAP_IS_INT(log_level_from_string("warn"), LOG_WARNING, "warn parses");
        TAP_IS_INT(log_level_from_string("DEBUG"), LOG_DEBUG, "level names are case-insensitive");
        TAP_IS_INT(log_level_from_string("trace"), LOG_DEBUG, "trace maps to debug");
        TAP_IS_INT(log_level_from_string("loud"), -EINVAL, "unknown level is refused");
        TAP_IS_STR(log_level_to_string(LOG_ERR), "error", "error prints as CRI-O names it");

        for (LogTarget t = 0; t < _LOG_TARGET_MAX; t++)
                TAP_IS_INT(log_target_from_string(log_target_to_string(t)), t, "log target %d round-trips", t);
        TAP_IS_INT(log_target_from_string("syslog"), _LOG_TARGET_INVALID, "unknown target is refused");

        log_set_target(LOG_TARGET_CONSOLE);
        TAP_IS_INT(log_error_errno(EPERM, "expected error in test: %m"), -EPERM, "log_*_errno returns -errno");
        TAP_IS_INT(log_error_errno(-EPERM, "expected error in test: %m"), -EPERM, "sign of the error does not matter");
        return tap_done();
}
