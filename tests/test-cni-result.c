/* SPDX-License-Identifier: Apache-2.0 */

#include <sys/socket.h>

#include "cni-result.h"
#include "cni-util.h"
#include "tap.h"

static CniResult *parse(const char *json) {
        CniResult *r = NULL;
        int k = cni_result_parse(json, strlen(json), &r);

        if (k < 0)
                printf("# parse failed: %d\n", k);
        return r;
}

static void test_v100(void) {
        static const char json[] =
                "{\"cniVersion\":\"1.0.0\","
                "\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:bb:cc:dd:ee:01\"},"
                "                {\"name\":\"veth1\",\"mac\":\"aa:bb:cc:dd:ee:02\"},"
                "                {\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:03\",\"sandbox\":\"/var/run/netns/x\",\"mtu\":1500}],"
                "\"ips\":[{\"address\":\"10.88.0.5/16\",\"gateway\":\"10.88.0.1\",\"interface\":2},"
                "         {\"address\":\"fd00:88::5/64\",\"gateway\":\"fd00:88::1\",\"interface\":2},"
                "         {\"address\":\"10.88.0.1/16\",\"interface\":0}],"
                "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.88.0.1\"},{\"dst\":\"::/0\"}],"
                "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"cluster.local\","
                "        \"search\":[\"svc.cluster.local\"],\"options\":[\"ndots:5\"]}}";
        _cleanup_(cni_result_freep) CniResult *r = parse(json);
        _cleanup_(strv_freep) char **ips = NULL;

        TAP_OK(r, "1.0.0 result parses");
        if (!r)
                return;
        TAP_IS_STR(r->cni_version, "1.0.0", "version");
        TAP_IS_INT(r->n_interfaces, 3, "interfaces");
        TAP_IS_STR(r->interfaces[2].sandbox, "/var/run/netns/x", "sandbox");
        TAP_OK(!r->interfaces[0].sandbox, "host interface has no sandbox");
        TAP_IS_INT(r->interfaces[2].mtu, 1500, "mtu");
        TAP_IS_INT(r->n_ips, 3, "ips");
        TAP_IS_INT(r->ips[0].family, AF_INET, "v4");
        TAP_IS_INT(r->ips[1].family, AF_INET6, "v6");
        TAP_IS_INT(r->ips[0].interface, 2, "interface index");
        TAP_IS_STR(r->ips[0].gateway, "10.88.0.1", "gateway");
        TAP_IS_INT(r->n_routes, 2, "routes");
        TAP_OK(!r->routes[1].gw, "route without gw");
        TAP_IS_STR(r->dns.domain, "cluster.local", "dns domain");
        TAP_IS_STR(r->dns.nameservers[0], "10.96.0.10", "nameserver");
        TAP_IS_STR(r->dns.options[0], "ndots:5", "options");
        TAP_OK(strcmp(r->json, json) == 0, "raw JSON kept");

        TAP_IS_INT(cni_result_get_pod_ips(r, &ips), 0, "pod IPs");
        TAP_IS_INT(strv_length(ips), 2, "two pod IPs: the bridge's own address is not the pod's");
        TAP_IS_STR(ips[0], "10.88.0.5", "v4 without prefix");
        TAP_IS_STR(ips[1], "fd00:88::5", "v6 without prefix");
}

static void test_v031(void) {
        static const char *const versions[] = { "0.3.0", "0.3.1", "0.4.0" };

        for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
                _cleanup_free_ char *json = NULL;
                _cleanup_(cni_result_freep) CniResult *r = NULL;
                _cleanup_(strv_freep) char **ips = NULL;

                TAP_OK(asprintf(&json,
                                "{\"cniVersion\":\"%s\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/ns\"}],"
                                "\"ips\":[{\"version\":\"4\",\"address\":\"10.1.0.2/24\",\"interface\":0},"
                                "{\"version\":\"6\",\"address\":\"2001:db8::2/64\"}],"
                                "\"dns\":{}}", versions[i]) > 0, "asprintf");
                r = parse(json);
                TAP_OK(r, "%s result parses", versions[i]);
                if (!r)
                        continue;
                TAP_IS_INT(r->n_ips, 2, "%s ips", versions[i]);
                TAP_IS_INT(r->ips[1].interface, -1, "%s missing interface is -1", versions[i]);
                TAP_IS_INT(cni_result_get_pod_ips(r, &ips), 0, "pod IPs");
                TAP_IS_INT(strv_length(ips), 2, "%s: IP without interface counts", versions[i]);
        }

        /* "version" must agree with the address. */
        TAP_OK(!parse("{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"6\",\"address\":\"10.1.0.2/24\"}]}"),
               "mismatched version refused");
}

static void test_v020(void) {
        static const char json[] =
                "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"10.2.0.3/16\",\"gateway\":\"10.2.0.1\","
                "\"routes\":[{\"dst\":\"0.0.0.0/0\"}]},\"ip6\":{\"ip\":\"fd00::3/64\"},"
                "\"dns\":{\"nameservers\":[\"1.1.1.1\"]}}";
        _cleanup_(cni_result_freep) CniResult *r = parse(json), *unversioned = NULL;
        _cleanup_(strv_freep) char **ips = NULL;

        TAP_OK(r, "0.2.0 result parses");
        if (!r)
                return;
        TAP_IS_INT(r->n_ips, 2, "ip4 and ip6");
        TAP_IS_STR(r->ips[0].address, "10.2.0.3/16", "ip4");
        TAP_IS_INT(r->ips[1].family, AF_INET6, "ip6 family");
        TAP_IS_INT(r->n_routes, 1, "ip4 routes");
        TAP_IS_INT(cni_result_get_pod_ips(r, &ips), 0, "pod IPs");
        TAP_IS_INT(strv_length(ips), 2, "both");

        unversioned = parse("{\"ip4\":{\"ip\":\"10.2.0.3/16\"}}");
        TAP_OK(unversioned && unversioned->n_ips == 1, "unversioned result read as 0.1.0");
}

static void test_bad(void) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1/33\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"nonsense/8\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":0}]}",
                "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1/8\",\"gateway\":\"x\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"ips\":{}}",
                "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"mac\":\"x\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"routes\":[{\"gw\":\"10.0.0.1\"}]}",
                "{\"cniVersion\":\"1.0.0\",\"dns\":{\"nameservers\":[1]}}",
                "{\"cniVersion\":\"one\"}",
                "{\"cniVersion\":\"0.2.0\",\"ip4\":{\"ip\":\"fd00::1/64\"}}",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CniResult *r = NULL;

                TAP_IS_INT(cni_result_parse(bad[i], strlen(bad[i]), &r), -EBADMSG, "refused: %s", bad[i]);
                TAP_OK(!r, "nothing returned");
        }
}

static void test_error(void) {
        static const char json[] = "{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad config\",\"details\":\"no bridge\"}";
        _cleanup_free_ char *text = NULL;
        CniError e = {};

        TAP_IS_INT(cni_error_parse(json, strlen(json), &e), 0, "error parses");
        TAP_IS_INT(e.code, CNI_ERROR_INVALID_NETWORK_CONFIG, "code");
        TAP_IS_STR(e.msg, "bad config", "msg");
        TAP_IS_STR(e.details, "no bridge", "details");
        TAP_IS_INT(cni_error_format(&e, &text), 0, "format");
        TAP_IS_STR(text, "bad config: no bridge (code 7)", "formatted");
        cni_error_done(&e);
        TAP_OK(!e.msg && e.code == 0, "done clears");
        TAP_IS_INT(cni_error_parse("{\"msg\":\"x\"}", 11, &e), -EBADMSG, "code required");
}

int main(void) {
        test_v100();
        test_v031();
        test_v020();
        test_bad();
        test_error();
        return tap_done();
}
