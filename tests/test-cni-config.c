/* SPDX-License-Identifier: Apache-2.0 */

#include "cni-config.h"
#include "cni-test-util.h"
#include "cni-util.h"
#include "tap.h"

static const char bridge_conflist[] =
        "{ \"cniVersion\": \"1.0.0\", \"name\": \"crio\", \"plugins\": ["
        "  { \"type\": \"bridge\", \"bridge\": \"cni0\", \"ipam\": { \"type\": \"host-local\" } },"
        "  { \"type\": \"portmap\", \"capabilities\": { \"portMappings\": true, \"bandwidth\": false } } ] }";

static void test_parse(void) {
        _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
        int r;

        r = cni_network_parse(bridge_conflist, strlen(bridge_conflist), false, "x.conflist", &n);
        TAP_IS_INT(r, 0, "conflist parses");
        if (r < 0)
                return;
        TAP_IS_STR(n->name, "crio", "name");
        TAP_IS_STR(n->cni_version, "1.0.0", "version");
        TAP_IS_INT(n->n_plugins, 2, "two plugins");
        TAP_IS_STR(n->plugins[0].type, "bridge", "first plugin type");
        TAP_OK(strstr(n->plugins[0].json, "\"cni0\"") != NULL, "plugin JSON kept");
        TAP_OK(cni_plugin_has_capability(&n->plugins[1], "portMappings"), "portmap declares portMappings");
        TAP_OK(!cni_plugin_has_capability(&n->plugins[1], "bandwidth"), "false capability not declared");
        TAP_OK(!cni_plugin_has_capability(&n->plugins[0], "portMappings"), "bridge declares none");
        TAP_IS_STR(n->path, "x.conflist", "path kept");
        TAP_OK(!n->disable_check, "disableCheck defaults to false");
}

static void test_conf_wrapping(void) {
        static const char conf[] =
                "{ \"cniVersion\": \"0.3.1\", \"name\": \"single\", \"type\": \"bridge\", \"isGateway\": true }";
        _cleanup_(cni_network_unrefp) CniNetwork *n = NULL, *again = NULL;
        int r;

        r = cni_network_parse(conf, strlen(conf), true, "a.conf", &n);
        TAP_IS_INT(r, 0, ".conf parses");
        if (r < 0)
                return;
        TAP_IS_INT(n->n_plugins, 1, ".conf becomes a list of one");
        TAP_IS_STR(n->plugins[0].type, "bridge", "its type");
        TAP_OK(strstr(n->plugins[0].json, "isGateway") != NULL, "plugin keeps its keys");
        TAP_OK(strstr(n->json, "\"plugins\"") != NULL, "synthesized list has plugins");

        /* The synthesized list is itself a valid list (what the cache keeps). */
        r = cni_network_parse(n->json, strlen(n->json), false, NULL, &again);
        TAP_IS_INT(r, 0, "wrapped list reparses");
        if (r >= 0) {
                TAP_IS_STR(again->name, "single", "same name");
                TAP_IS_STR(again->cni_version, "0.3.1", "same version");
                TAP_IS_INT(again->n_plugins, 1, "one plugin");
        }
}

static void test_bad(void) {
        static const struct {
                const char *json;
                bool conf;
                int error;
                const char *what;
        } cases[] = {
                { "{", false, -EBADMSG, "truncated JSON" },
                { "[]", false, -EBADMSG, "not an object" },
                { "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"x\"}]}", false, -EINVAL, "no name" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"-bad\",\"plugins\":[{\"type\":\"x\"}]}", false, -EINVAL,
                  "invalid name" },
                { "{\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}", false, -EINVAL, "no cniVersion" },
                { "{\"cniVersion\":\"2.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}", false,
                  -EPROTONOSUPPORT, "unknown cniVersion" },
                { "{\"cniVersion\":\"1.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}", false,
                  -EPROTONOSUPPORT, "malformed cniVersion" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}", false, -EINVAL, "no plugins" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", false, -EINVAL, "plugins missing" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"ipam\":{}}]}", false, -EINVAL,
                  "plugin without type" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"../../bin/sh\"}]}", false,
                  -EINVAL, "type with a slash" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"x\",\"capabilities\":1}]}",
                  false, -EINVAL, "capabilities not an object" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", true, -EINVAL, ".conf without type" },
                { "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"x\",\"plugins\":[]}", true, -EINVAL,
                  ".conf with plugins" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                int r = cni_network_parse(cases[i].json, strlen(cases[i].json), cases[i].conf, "bad", &n);

                TAP_IS_INT(r, cases[i].error, "rejected: %s", cases[i].what);
                TAP_OK(!n, "nothing returned: %s", cases[i].what);
        }
}

static void test_versions(void) {
        static const char *const good[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
        static const char multi[] =
                "{\"cniVersion\":\"0.4.0\",\"cniVersions\":[\"1.0.0\",\"9.9.9\",\"1.1.0\",\"0.3.1\"],"
                "\"name\":\"n\",\"plugins\":[{\"type\":\"x\"}]}";
        _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
        int c = 42;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *json = NULL;
                _cleanup_(cni_network_unrefp) CniNetwork *v = NULL;

                TAP_OK(asprintf(&json, "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"x\"}", good[i]) > 0,
                       "asprintf");
                TAP_IS_INT(cni_network_parse(json, strlen(json), true, NULL, &v), 0, "version %s accepted", good[i]);
        }
        TAP_IS_INT(cni_network_parse(multi, strlen(multi), false, NULL, &n), 0, "cniVersions list parses");
        if (n)
                TAP_IS_STR(n->cni_version, "1.1.0", "highest supported of cniVersions wins");

        TAP_IS_INT(cni_version_compare("0.4.0", "0.3.1", &c), 0, "compare");
        TAP_IS_INT(c, 1, "0.4.0 > 0.3.1");
        TAP_IS_INT(cni_version_compare("0.10.0", "0.9.0", &c), 0, "compare numerically");
        TAP_IS_INT(c, 1, "0.10.0 > 0.9.0");
        TAP_IS_INT(cni_version_compare("1.0.0", "1.0.0", &c), 0, "compare equal");
        TAP_IS_INT(c, 0, "equal");
        TAP_IS_INT(cni_version_compare("1.0", "1.0.0", &c), -EINVAL, "two parts refused");
        TAP_IS_INT(cni_version_compare("1.0.0x", "1.0.0", &c), -EINVAL, "trailing junk refused");
}

static void test_dir(void) {
        _cleanup_free_ char *dir = cni_test_tmpdir(), *plugins = cni_test_tmpdir();
        char *const plugin_dirs[] = { plugins, NULL };
        int r;

        /* Empty directory: not ready, with a reason naming it. */
        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                _cleanup_free_ char *reason = NULL;

                r = cni_network_load_dir(dir, NULL, NULL, &n, &reason);
                TAP_IS_INT(r, -ENOENT, "empty directory has no network");
                TAP_OK(reason && strstr(reason, dir) && strstr(reason, "No CNI configuration file"),
                       "reason names the directory: %s", reason ?: "(null)");
        }

        cni_test_write(dir, "README", "not a config", 0644);
        cni_test_write(dir, "00-broken.conflist", "{ nope", 0644);
        cni_test_write(dir, "10-second.conf",
                       "{\"cniVersion\":\"0.4.0\",\"name\":\"second\",\"type\":\"bridge\"}", 0644);
        cni_test_write(dir, "05-first.conflist",
                       "{\"cniVersion\":\"1.0.0\",\"name\":\"first\",\"plugins\":[{\"type\":\"ptp\"}]}", 0644);
        cni_test_write(dir, "20-third.json",
                       "{\"cniVersion\":\"1.0.0\",\"name\":\"third\",\"type\":\"macvlan\"}", 0644);

        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                _cleanup_free_ char *reason = NULL;

                r = cni_network_load_dir(dir, NULL, NULL, &n, &reason);
                TAP_IS_INT(r, 0, "directory loads");
                TAP_OK(!reason, "no reason on success");
                if (n) {
                        TAP_IS_STR(n->name, "first", "lexically first valid file wins, broken one skipped");
                        TAP_OK(n->path && strstr(n->path, "05-first.conflist"), "path of the file");
                }
        }
        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;

                r = cni_network_load_dir(dir, "third", NULL, &n, NULL);
                TAP_IS_INT(r, 0, "named network found");
                if (n) {
                        TAP_IS_STR(n->name, "third", "cni_default_network picks by name");
                        TAP_IS_INT(n->n_plugins, 1, ".json is a single plugin conf");
                }
        }
        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                _cleanup_free_ char *reason = NULL;

                r = cni_network_load_dir(dir, "missing", NULL, &n, &reason);
                TAP_IS_INT(r, -ENOENT, "unknown default network");
                TAP_OK(reason && strstr(reason, "\"missing\""), "reason names it: %s", reason ?: "(null)");
        }

        /* With plugin directories, a network whose binaries are missing is skipped. */
        cni_test_write(plugins, "bridge", "#!/bin/sh\n", 0755);
        cni_test_write(plugins, "ptp", "not executable", 0644);
        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                _cleanup_free_ char *path = NULL;

                r = cni_network_load_dir(dir, NULL, plugin_dirs, &n, NULL);
                TAP_IS_INT(r, 0, "loads with plugin check");
                if (n)
                        TAP_IS_STR(n->name, "second", "network with a non-executable plugin skipped");
                TAP_IS_INT(cni_plugin_find("bridge", plugin_dirs, &path), 0, "plugin found");
                TAP_OK(path && strstr(path, "/bridge"), "its path");
                TAP_IS_INT(cni_plugin_find("ptp", plugin_dirs, &path), -ENOENT, "non-executable not found");
                TAP_IS_INT(cni_plugin_find("../x", plugin_dirs, &path), -EINVAL, "no paths as types");
        }
        {
                _cleanup_(cni_network_unrefp) CniNetwork *n = NULL;
                _cleanup_free_ char *reason = NULL;

                r = cni_network_load_dir("/nonexistent/cni", NULL, NULL, &n, &reason);
                TAP_IS_INT(r, -ENOENT, "missing directory");
                TAP_OK(reason != NULL, "with a reason: %s", reason ?: "(null)");
        }

        cni_test_rm_rf(dir);
        cni_test_rm_rf(plugins);
}

static void test_ref(void) {
        CniNetwork *n = NULL;

        TAP_IS_INT(cni_network_parse(bridge_conflist, strlen(bridge_conflist), false, NULL, &n), 0, "parse");
        TAP_OK(cni_network_ref(n) == n, "ref returns it");
        TAP_OK(!cni_network_unref(n), "first unref keeps it");
        TAP_OK(!cni_network_unref(n), "second unref frees it");
        TAP_OK(!cni_network_unref(NULL), "NULL is fine");
}

static void test_names(void) {
        TAP_OK(cni_network_name_valid("crio-net_1.x"), "valid network name");
        TAP_OK(!cni_network_name_valid(""), "empty name");
        TAP_OK(!cni_network_name_valid("a/b"), "slash in name");
        TAP_OK(cni_ifname_valid("eth0"), "eth0");
        TAP_OK(!cni_ifname_valid("0123456789abcdef"), "16 characters too long");
        TAP_OK(!cni_ifname_valid("a:b"), "colon");
        TAP_OK(!cni_ifname_valid(".."), "dot dot");
        TAP_OK(cni_container_id_valid("0123abcd"), "container ID");
        TAP_OK(!cni_container_id_valid("../etc"), "container ID with a path");
}

int main(void) {
        test_parse();
        test_conf_wrapping();
        test_bad();
        test_versions();
        test_dir();
        test_ref();
        test_names();
        return tap_done();
}
