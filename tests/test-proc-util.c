/* SPDX-License-Identifier: Apache-2.0 */
/* Boot id and process start times, the two facts that tell a live process from a stale record. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "proc-util.h"
#include "tap.h"

static void test_parse(void) {
        uint64_t t = 0;

        TAP_IS_INT(proc_stat_parse_starttime("42 (sh) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                                             "123456 2000 100 18446744073709551615", &t), 0, "plain stat parsed");
        TAP_OK(t == 123456, "field 22: %llu", (unsigned long long) t);
        TAP_IS_INT(proc_stat_parse_starttime("7 (a) b) (c) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0", &t), 0,
                   "command with spaces and parentheses");
        TAP_OK(t == 99, "the last ')' ends the command: %llu", (unsigned long long) t);
        TAP_IS_INT(proc_stat_parse_starttime("7 (a) R 1 2 3", &t), -EBADMSG, "too few fields");
        TAP_IS_INT(proc_stat_parse_starttime("no parenthesis", &t), -EBADMSG, "no command");
        TAP_IS_INT(proc_stat_parse_starttime("7 (a) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 x9 0", &t), -EBADMSG,
                   "not a number");
}

static void test_live(void) {
        _cleanup_free_ char *boot = NULL;
        uint64_t t = 0;

        TAP_IS_INT(proc_boot_id(&boot), 0, "boot id read");
        TAP_OK(boot && strlen(boot) == 36, "boot id is a UUID: %s", boot ?: "(null)");
        TAP_IS_INT(proc_pid_starttime(getpid(), &t), 0, "own start time");
        TAP_OK(t > 0, "start time %llu", (unsigned long long) t);
        TAP_OK(proc_pid_is(getpid(), t), "this process is itself");
        TAP_OK(proc_pid_is(getpid(), 0), "any start time matches 0");
        TAP_OK(!proc_pid_is(getpid(), t + 1), "another start time is another process");
        TAP_IS_INT(proc_pid_starttime(0, &t), -EINVAL, "pid 0 refused");
        TAP_OK(!proc_pid_is(4194304 + 1, 0), "a pid above pid_max does not run");
}

int main(void) {
        test_parse();
        test_live();
        return tap_done();
}
