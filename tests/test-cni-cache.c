/* SPDX-License-Identifier: Apache-2.0 */

#include "cni-cache.h"
#include "cni-test-util.h"
#include "cni-util.h"
#include "tap.h"

static void test_round_trip(void) {
        _cleanup_free_ char *dir = cni_test_tmpdir(), *file = NULL;
        _cleanup_(cni_cache_entry_freep) CniCacheEntry *back = NULL;
        char *args[] = { "IgnoreUnknown", "1", "K8S_POD_NAME", "web", NULL };
        CniCacheEntry e = {
                .container_id = "abc123",
                .network_name = "crio",
                .ifname = "eth0",
                .netns = "/var/run/netns/x",
                .config = "{\"cniVersion\":\"1.0.0\",\"name\":\"crio\",\"plugins\":[{\"type\":\"bridge\"}]}",
                .cni_args = args,
                .capability_args = "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80}]}",
                .result = "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.2/24\"}]}",
        };
        CniCacheEntry **all = NULL;
        int r;

        r = cni_cache_write(dir, &e);
        TAP_IS_INT(r, 0, "write");
        file = cni_test_read(dir, "results/crio-abc123-eth0");
        TAP_OK(file, "libcni's file name");
        TAP_OK(file && strstr(file, "\"kind\":\"cniCacheV1\""), "kind");
        TAP_OK(file && strstr(file, "\"containerId\":\"abc123\""), "containerId key");
        TAP_OK(file && strstr(file, "\"cniArgs\":[[\"IgnoreUnknown\",\"1\"],[\"K8S_POD_NAME\",\"web\"]]"),
               "cniArgs as pairs");
        TAP_OK(file && !strstr(file, "\"plugins\""), "config is base64, not inline");

        r = cni_cache_read(dir, "crio", "abc123", "eth0", &back);
        TAP_IS_INT(r, 0, "read");
        if (back) {
                TAP_IS_STR(back->config, e.config, "config round-trips through base64");
                TAP_IS_STR(back->netns, e.netns, "netns");
                TAP_IS_STR(back->ifname, "eth0", "ifname");
                TAP_IS_INT(strv_length(back->cni_args), 4, "args");
                TAP_IS_STR(back->cni_args[3], "web", "arg value");
                TAP_OK(back->capability_args && strstr(back->capability_args, "8080"), "capabilityArgs");
                TAP_OK(back->result && strstr(back->result, "10.0.0.2/24"), "result");
        }

        e.container_id = "def456";
        e.cni_args = NULL;
        e.capability_args = NULL;
        TAP_IS_INT(cni_cache_write(dir, &e), 0, "second entry");
        cni_test_write(dir, "results/junk-ffff-eth0", "{\"kind\":\"other\"}", 0600);

        TAP_IS_INT(cni_cache_list(dir, NULL, &all), 0, "list all");
        {
                size_t n = 0;
                while (all && all[n])
                        n++;
                TAP_IS_INT(n, 2, "two valid entries, junk skipped");
                if (n == 2) {
                        TAP_IS_STR(all[0]->container_id, "abc123", "sorted by file name");
                        TAP_OK(!all[1]->cni_args, "entry without args");
                }
        }
        all = cni_cache_entries_free(all);
        TAP_IS_INT(cni_cache_list(dir, "def456", &all), 0, "list one container");
        TAP_OK(all && all[0] && !all[1], "one entry");
        all = cni_cache_entries_free(all);

        TAP_IS_INT(cni_cache_read(dir, "junk", "ffff", "eth0", &back), -EBADMSG, "wrong kind refused");
        TAP_IS_INT(cni_cache_remove(dir, "crio", "abc123", "eth0"), 0, "remove");
        TAP_IS_INT(cni_cache_remove(dir, "crio", "abc123", "eth0"), 0, "remove again");
        TAP_IS_INT(cni_cache_read(dir, "crio", "abc123", "eth0", &back), -ENOENT, "gone");
        TAP_IS_INT(cni_cache_read(dir, "crio", "../../etc", "eth0", &back), -EINVAL, "paths refused");
        cni_test_rm_rf(dir);
}

static void test_libcni_entry(void) {
        /* As libcni writes it (Go []byte as base64, result as object). */
        static const char json[] =
                "{\"kind\":\"cniCacheV1\",\"containerId\":\"c1\","
                "\"config\":\"eyJjbmlWZXJzaW9uIjoiMC40LjAifQ==\",\"ifName\":\"eth0\",\"networkName\":\"n\","
                "\"netns\":\"/proc/1/ns/net\",\"cniArgs\":[[\"K8S_POD_UID\",\"u\"]],\"result\":{\"cniVersion\":\"0.4.0\"}}";
        _cleanup_(cni_cache_entry_freep) CniCacheEntry *e = NULL;

        TAP_IS_INT(cni_cache_entry_from_json(json, strlen(json), &e), 0, "libcni entry parses");
        if (!e)
                return;
        TAP_IS_STR(e->config, "{\"cniVersion\":\"0.4.0\"}", "config decoded");
        TAP_IS_STR(e->cni_args[0], "K8S_POD_UID", "args");
        TAP_OK(!e->capability_args, "no capabilityArgs");
        TAP_IS_INT(cni_cache_entry_from_json("{\"kind\":\"cniCacheV1\"}", 21, &e), -EBADMSG, "keys required");
}

int main(void) {
        test_round_trip();
        test_libcni_entry();
        return tap_done();
}
