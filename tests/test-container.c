/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of the Container object: the state table, names, the JSON beside config.json
 * (an exec's process, the resources of "runtime update") and memory.stat parsing. */
#include <stdlib.h>
#include <string.h>

#include "container-json.h"
#include "container-stats.h"
#include "container.h"
#include "tap.h"

static void test_states(void) {
        for (ContainerState s = 0; s < _CONTAINER_STATE_MAX; s++) {
                const char *name = container_state_to_string(s);

                TAP_OK(name, "state %d has a name", (int) s);
                TAP_IS_INT(container_state_from_string(name), (int) s, "%s round-trips", name);
        }
        TAP_IS_INT(container_state_from_string("bogus"), _CONTAINER_STATE_INVALID, "unknown state");
        TAP_OK(!container_state_to_string(_CONTAINER_STATE_MAX), "out of range has no name");
}

static void test_events(void) {
        for (ContainerEvent e = 0; e < _CONTAINER_EVENT_MAX; e++) {
                const char *name = container_event_to_string(e);

                TAP_OK(name, "event %d has a name", (int) e);
                TAP_IS_INT(container_event_from_string(name), (int) e, "%s round-trips", name);
        }
        TAP_IS_INT(container_event_from_string("bogus"), _CONTAINER_EVENT_INVALID, "unknown event");
        TAP_OK(!container_event_to_string(_CONTAINER_EVENT_MAX), "out of range has no name");
}

static void test_names(void) {
        _cleanup_free_ char *name = NULL;

        TAP_IS_INT(container_build_name("web", "pod", "ns", "uid", 2, &name), 0, "name built");
        TAP_IS_STR(name, "k8s_web_pod_ns_uid_2", "k8s_<ctr>_<pod>_<ns>_<uid>_<attempt>");
        TAP_IS_INT(container_build_name("", "pod", "ns", "uid", 0, &name), -EINVAL, "empty part refused");
}

static void test_exec_process(void) {
        static const char config[] =
                "{\"ociVersion\": \"1.0.2-dev\", \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 1,"
                " \"width\": 2}, \"user\": {\"uid\": 5, \"gid\": 6}, \"args\": [\"sleep\", \"1\"],"
                " \"env\": [\"A=1\"], \"cwd\": \"/w\"}, \"root\": {\"path\": \"/r\"}}";
        char *argv[] = { (char *) "echo", (char *) "hi there", NULL };
        _cleanup_free_ char *json = NULL;

        TAP_IS_INT(container_exec_process_json(config, strlen(config), argv, &json), 0, "exec process built");
        TAP_OK(json && strstr(json, "\"args\":[\"echo\",\"hi there\"]"), "args replaced: %s", json);
        TAP_OK(json && strstr(json, "\"terminal\":false") && !strstr(json, "consoleSize"), "no terminal");
        TAP_OK(json && strstr(json, "\"uid\":5") && strstr(json, "\"cwd\":\"/w\"") && strstr(json, "A=1"),
               "user, cwd and env kept");
        TAP_OK(json && !strstr(json, "root"), "only the process object");
        free(json);
        json = NULL;
        TAP_IS_INT(container_exec_process_json("{}", 2, argv, &json), -EBADMSG, "no process: -EBADMSG");
        TAP_IS_INT(container_exec_process_json("{", 1, argv, &json), -EBADMSG, "malformed: -EBADMSG");
}

static void test_resources_json(void) {
        char *unified[] = { (char *) "memory.high", (char *) "100000000", NULL };
        OciResources r = {
                .cpu_shares = 512,
                .cpu_quota = 50000,
                .cpu_period = 100000,
                .cpuset_cpus = (char *) "0-1",
                .memory_limit = 268435456,
                .has_pids_limit = true,
                .pids_limit = 100,
                .unified = unified,
        };
        _cleanup_free_ char *json = NULL, *empty = NULL;

        TAP_IS_INT(container_resources_to_json(&r, &json), 0, "resources JSON");
        TAP_OK(json && strstr(json, "\"shares\":512") && strstr(json, "\"quota\":50000") &&
               strstr(json, "\"period\":100000") && strstr(json, "\"cpus\":\"0-1\""), "cpu: %s", json);
        TAP_OK(json && strstr(json, "\"limit\":268435456") && strstr(json, "\"swap\":268435456"),
               "memory limit, swap alike");
        TAP_OK(json && strstr(json, "\"pids\":{\"limit\":100}"), "pids");
        TAP_OK(json && strstr(json, "\"memory.high\":\"100000000\""), "unified");
        TAP_IS_INT(container_resources_to_json(&(OciResources) {}, &empty), 0, "empty resources");
        TAP_IS_STR(empty, "{\"cpu\":{},\"memory\":{}}", "nothing set, nothing written");
}

static void test_resources_copy(void) {
        OciHugepageLimit pages[] = { { .page_size = (char *) "2MB", .limit = 4096 } };
        char *unified[] = { (char *) "a", (char *) "b", NULL };
        OciResources from = {
                .cpu_shares = 2, .cpuset_mems = (char *) "0", .hugepages = pages, .n_hugepages = 1,
                .unified = unified,
        }, to = {};

        TAP_IS_INT(container_resources_copy(&from, &to), 0, "copied");
        TAP_OK(to.cpu_shares == 2 && to.cpuset_mems != from.cpuset_mems && strcmp(to.cpuset_mems, "0") == 0,
               "scalars and strings copied");
        TAP_OK(to.n_hugepages == 1 && strcmp(to.hugepages[0].page_size, "2MB") == 0 && to.hugepages[0].limit == 4096,
               "hugepages copied");
        TAP_OK(to.unified && to.unified != unified && strcmp(to.unified[1], "b") == 0, "unified copied");
        container_resources_done(&to);
}

static void test_memory_stat(void) {
        TAP_OK(container_memory_stat_inactive_file("anon 5\nfile 10\ninactive_file 4096\nactive_file 1\n") == 4096,
               "v2 inactive_file");
        TAP_OK(container_memory_stat_inactive_file("cache 1\ntotal_inactive_file 77\n") == 77, "v1 total_inactive_file");
        TAP_OK(container_memory_stat_inactive_file("anon 5\n") == 0, "absent: 0");
        TAP_OK(container_memory_stat_inactive_file("") == 0, "empty: 0");
}

int main(void) {
        test_states();
        test_events();
        test_names();
        test_exec_process();
        test_resources_json();
        test_resources_copy();
        test_memory_stat();
        return tap_done();
}
