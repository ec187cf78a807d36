/* SPDX-License-Identifier: Apache-2.0 */

/* Exit files as conmon writes them, the reasons CRI reports, and the inotify watch that notices
 * them, on a temporary directory. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exit-watch.h"
#include "tap.h"

static void test_parse(void) {
        static const struct {
                const char *s;
                int r;
                int code;
        } cases[] = {
                { "0", 0, 0 }, { "137", 0, 137 }, { "7\n", 0, 7 }, { "-1", 0, -1 }, { "255", 0, 255 },
                { "", -EBADMSG, 0 }, { "\n", -EBADMSG, 0 }, { "abc", -EBADMSG, 0 }, { " 1", -EBADMSG, 0 },
                { "1 ", -EBADMSG, 0 }, { "1\n\n", -EBADMSG, 0 }, { "-", -EBADMSG, 0 }, { "+1", -EBADMSG, 0 },
                { "99999999999", -EBADMSG, 0 }, { "12345678901234567890123456789012345", -EBADMSG, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int code = -12345, r = exit_file_parse(cases[i].s, strlen(cases[i].s), &code);

                TAP_IS_INT(r, cases[i].r, "exit file case %zu", i);
                if (r == 0)
                        TAP_IS_INT(code, cases[i].code, "exit code of case %zu", i);
        }
        int code;
        TAP_IS_INT(exit_file_parse("1\0002", 3, &code), -EBADMSG, "embedded NUL refused");

        TAP_IS_STR(container_exit_reason(0, false), "Completed", "0: Completed");
        TAP_IS_STR(container_exit_reason(1, false), "Error", "1: Error");
        TAP_IS_STR(container_exit_reason(137, true), "OOMKilled", "OOM kill");
        TAP_IS_STR(container_exit_reason(0, true), "OOMKilled", "OOM wins over 0");
}

typedef struct Seen {
        int n;
        char id[128];
        int code;
        bool oom;
        char reason[32];
        uint64_t finished;
} Seen;

static void on_exit_file(ExitWatch *w, const ContainerExit *e, void *userdata) {
        Seen *s = userdata;

        s->n++;
        snprintf(s->id, sizeof(s->id), "%s", e->id);
        s->code = e->exit_code;
        s->oom = e->oom_killed;
        snprintf(s->reason, sizeof(s->reason), "%s", e->reason);
        s->finished = e->finished_at_nsec;
}

static void write_file(const char *dir, const char *name, const char *content) {
        char p[4200];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "we");
        if (f) {
                fputs(content, f);
                fclose(f);
        }
}

static void run_until(sd_event *e, Seen *s, int n) {
        for (int i = 0; i < 50 && s->n < n; i++)
                (void) sd_event_run(e, 100000);
}

static void test_watch(void) {
        char dir[] = "/tmp/test-exit-watch-XXXXXX", exits[4200], bundle[4200], cmd[4300], p[4300];
        sd_event *e = NULL;
        ExitWatch *w = NULL;
        Seen s = {};
        int code;
        bool oom;
        uint64_t at;

        TAP_OK(mkdtemp(dir) != NULL, "temporary directory");
        snprintf(exits, sizeof(exits), "%s/exits/deeper", dir);
        snprintf(bundle, sizeof(bundle), "%s/bundle", dir);
        (void) mkdir(bundle, 0700);
        TAP_IS_INT(sd_event_new(&e), 0, "event loop");
        TAP_IS_INT(exit_watch_new(e, exits, on_exit_file, &s, &w), 0, "watch (directory created)");
        TAP_IS_INT(exit_watch_add(w, "ctr-a", bundle), 0, "registered ctr-a");
        TAP_IS_INT(exit_watch_add(w, "ctr-a", bundle), 0, "registering again is fine");
        TAP_IS_INT(exit_watch_add(w, "../x", bundle), -EINVAL, "bad ID refused");
        TAP_IS_INT(exit_watch_read(w, "ctr-a", &code, &oom, &at), -ENOENT, "no exit yet");

        write_file(exits, "ctr-a", "0");
        run_until(e, &s, 1);
        TAP_IS_INT(s.n, 1, "exit noticed");
        TAP_IS_STR(s.id, "ctr-a", "its ID");
        TAP_IS_INT(s.code, 0, "its code");
        TAP_IS_STR(s.reason, "Completed", "Completed");
        TAP_OK(s.finished > 1600000000ULL * 1000000000ULL, "finished time from the file");

        /* OOM: conmon's "oom" file in the bundle. */
        write_file(bundle, "oom", "");
        TAP_IS_INT(exit_watch_add(w, "ctr-b", bundle), 0, "registered ctr-b");
        write_file(dir, "tmp-exit", "137\n");
        snprintf(p, sizeof(p), "%s/tmp-exit", dir);
        snprintf(cmd, sizeof(cmd), "%s/ctr-b", exits);
        TAP_IS_INT(rename(p, cmd), 0, "exit file renamed into place");
        run_until(e, &s, 2);
        TAP_IS_INT(s.n, 2, "renamed exit noticed");
        TAP_IS_INT(s.code, 137, "137");
        TAP_OK(s.oom, "OOM kill seen");
        TAP_IS_STR(s.reason, "OOMKilled", "OOMKilled");

        /* Not registered: reported, never as OOM. */
        write_file(exits, "ctr-c", "2");
        run_until(e, &s, 3);
        TAP_IS_INT(s.n, 3, "unregistered exit noticed");
        TAP_IS_STR(s.reason, "Error", "Error");
        TAP_OK(!s.oom, "no OOM without a registered directory");

        /* Garbage and odd names are ignored. */
        write_file(exits, "ctr-d", "garbage");
        write_file(exits, "bad name", "1");
        for (int i = 0; i < 3; i++)
                (void) sd_event_run(e, 50000);
        TAP_IS_INT(s.n, 3, "garbage ignored");

        TAP_IS_INT(exit_watch_read(w, "ctr-b", &code, &oom, &at), 0, "read again");
        TAP_IS_INT(code, 137, "same code");
        TAP_OK(oom, "same OOM");
        exit_watch_remove(w, "ctr-b");
        TAP_IS_INT(exit_watch_read(w, "ctr-b", &code, &oom, NULL), 0, "read after removal");
        TAP_OK(!oom, "no OOM after removal");
        TAP_IS_INT(exit_watch_read(w, "ctr-d", &code, NULL, NULL), -EBADMSG, "garbage refused");
        TAP_IS_INT(exit_watch_forget(w, "ctr-b"), 0, "forgotten");
        TAP_IS_INT(exit_watch_read(w, "ctr-b", &code, NULL, NULL), -ENOENT, "gone");
        TAP_IS_INT(exit_watch_forget(w, "ctr-b"), 0, "forgetting twice is fine");

        w = exit_watch_free(w);
        e = sd_event_unref(e);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        (void) system(cmd);
}

int main(void) {
        test_parse();
        test_watch();
        return tap_done();
}
