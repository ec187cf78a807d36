/* SPDX-License-Identifier: Apache-2.0 */

#include <stdio.h>
#include <stdlib.h>

#include "auth.h"
#include "tap.h"

static Reference *ref(const char *s) {
        Reference *r = NULL;
        if (reference_parse_qualified(s, &r, NULL) < 0)
                abort();
        return r;
}

static void test_auth_config(void) {
        RegistryCredentials *c = NULL;

        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) {}, &c), 0, "empty AuthConfig");
        TAP_IS_INT(registry_credentials_from_auth_config(NULL, &c), 0, "no AuthConfig");
        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .password = "x" }, &c), 0,
                   "a password alone is no credential");

        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .username = "u", .password = "p" }, &c), 1,
                   "username and password");
        TAP_IS_STR(c->username, "u", "username");
        TAP_IS_STR(c->password, "p", "password");
        c = registry_credentials_free(c);

        TAP_IS_INT(registry_credentials_from_auth_config(
                           &(AuthConfig) { .username = "u", .password = "p", .auth = "YWxpY2U6czNjcjN0Og==" }, &c),
                   1, "auth overrides username and password");
        TAP_IS_STR(c->username, "alice", "auth username");
        TAP_IS_STR(c->password, "s3cr3t:", "auth password keeps later colons");
        c = registry_credentials_free(c);

        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .auth = "bm9jb2xvbg==" }, &c), -EINVAL,
                   "auth without a colon");
        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .auth = "!!" }, &c), -EINVAL,
                   "auth not base64");

        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .identity_token = "refresh" }, &c), 1,
                   "identity token");
        TAP_IS_STR(c->identity_token, "refresh", "identity token value");
        c = registry_credentials_free(c);
        TAP_IS_INT(registry_credentials_from_auth_config(&(AuthConfig) { .registry_token = "bearer" }, &c), 1,
                   "registry token");
        TAP_IS_STR(c->registry_token, "bearer", "registry token value");
        c = registry_credentials_free(c);
}

static const char auth_json[] =
        "{\"auths\": {"
        "  \"https://index.docker.io/v1/\": {\"auth\": \"bGVnYWN5OnB3\"},"
        "  \"quay.io\": {\"auth\": \"cXVheTpwdw==\"},"
        "  \"quay.io/team\": {\"auth\": \"dGVhbTpwdw==\"},"
        "  \"quay.io/team/app\": {\"auth\": \"YXBwOnB3\"},"
        "  \"registry.example.com:5000\": {\"auth\": \"dG9rZW46\", \"identitytoken\": \"refresh-me\"},"
        "  \"empty.example.com\": {}"
        "}}";

static void expect_lookup(const char *image, int want_r, const char *want_user) {
        _cleanup_(reference_freep) Reference *r = ref(image);
        _cleanup_(registry_credentials_freep) RegistryCredentials *c = NULL;

        TAP_IS_INT(auth_json_lookup(auth_json, strlen(auth_json), r, &c), want_r, "lookup %s", image);
        if (want_user)
                TAP_IS_STR(c ? c->username : NULL, want_user, "lookup %s: user", image);
}

static void test_auth_json(void) {
        _cleanup_(reference_freep) Reference *r = ref("quay.io/x");
        _cleanup_(registry_credentials_freep) RegistryCredentials *c = NULL;
        char path[] = "/tmp/test-auth.XXXXXX";
        int fd;

        expect_lookup("docker.io/library/busybox", 1, "legacy");
        expect_lookup("quay.io/other/x", 1, "quay");
        expect_lookup("quay.io/team/x", 1, "team");
        expect_lookup("quay.io/team/app", 1, "app");
        expect_lookup("quay.io/team/app2", 1, "team");
        expect_lookup("quay.io/teamx/app", 1, "quay");
        expect_lookup("quay.io.evil.com/x", 0, NULL);
        expect_lookup("registry.example.com/x", 0, NULL);
        expect_lookup("empty.example.com/x", 0, NULL);
        {
                _cleanup_(reference_freep) Reference *t = ref("registry.example.com:5000/x");
                TAP_IS_INT(auth_json_lookup(auth_json, strlen(auth_json), t, &c), 1, "identity token entry");
                TAP_IS_STR(c->identity_token, "refresh-me", "identity token from auth.json");
                TAP_IS_STR(c->username, "token", "username beside identity token");
                c = registry_credentials_free(c);
        }

        TAP_IS_INT(auth_json_lookup("{", 1, r, &c), -EBADMSG, "malformed json");
        TAP_IS_INT(auth_json_lookup("[]", 2, r, &c), -EBADMSG, "not an object");
        TAP_IS_INT(auth_json_lookup("{}", 2, r, &c), 0, "no auths");
        TAP_IS_INT(auth_json_lookup("{\"auths\": {\"quay.io\": 1}}", 24, r, &c), -EBADMSG, "entry not an object");
        TAP_IS_INT(auth_json_lookup("{\"auths\": {\"quay.io\": {\"auth\": \"!\"}}}", 35, r, &c), -EBADMSG,
                   "bad base64 in auth.json");

        fd = mkstemp(path);
        if (fd < 0 || write(fd, auth_json, strlen(auth_json)) != (ssize_t) strlen(auth_json))
                abort();
        close(fd);
        {
                const char *paths[] = { "/nonexistent/auth.json", NULL, path };
                TAP_IS_INT(auth_files_lookup(paths, ELEMENTSOF(paths), r, &c), 1, "lookup over files");
                TAP_IS_STR(c->username, "quay", "user from the file that has it");
                TAP_IS_STR(c->password, "pw", "password from the file");
                c = registry_credentials_free(c);
        }
        TAP_IS_INT(auth_file_lookup("/nonexistent/auth.json", r, &c), 0, "missing file is no credential");
        unlink(path);
}

static void test_challenges(void) {
        AuthChallenge *a = NULL;
        const AuthChallenge *pick;
        AuthScheme scheme;
        size_t n = 0;
        char *s = NULL;

        TAP_IS_INT(auth_challenges_parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                                         "scope=\"repository:library/busybox:pull\"", &a, &n), 0, "docker hub bearer");
        TAP_IS_INT(n, 1, "one challenge");
        TAP_IS_STR(a[0].scheme, "Bearer", "scheme");
        TAP_IS_STR(auth_challenge_get(&a[0], "realm"), "https://auth.docker.io/token", "realm");
        TAP_IS_STR(auth_challenge_get(&a[0], "SERVICE"), "registry.docker.io", "service (case-insensitive name)");
        TAP_IS_STR(auth_challenge_get(&a[0], "scope"), "repository:library/busybox:pull", "scope");
        TAP_IS_INT(auth_token_url(&a[0], "library/busybox", &s), 0, "token url");
        TAP_IS_STR(s, "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull",
                   "token url value");
        s = mfree(s);
        TAP_IS_INT(auth_token_form(&a[0], "library/busybox", "r t", &s), 0, "token form");
        TAP_IS_STR(s, "grant_type=refresh_token&client_id=crio&service=registry.docker.io"
                      "&scope=repository%3Alibrary%2Fbusybox%3Apull&refresh_token=r%20t", "token form value");
        s = mfree(s);
        auth_challenge_array_free(a, n);

        TAP_IS_INT(auth_challenges_parse("Basic realm=\"Registry Realm\"", &a, &n), 0, "basic");
        pick = auth_challenges_pick(a, n, &scheme);
        TAP_OK(pick && scheme == AUTH_SCHEME_BASIC, "basic picked");
        TAP_IS_STR(auth_challenge_get(pick, "realm"), "Registry Realm", "basic realm");
        auth_challenge_array_free(a, n);

        TAP_IS_INT(auth_challenges_parse("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
                                         "Basic realm=\"simple\", Negotiate abc+/==, bearer realm=\"http://x/t?a=b\"",
                                         &a, &n), 0, "RFC 7235 example with several challenges");
        TAP_IS_INT(n, 4, "four challenges");
        TAP_IS_STR(auth_challenge_get(&a[0], "type"), "1", "token value");
        TAP_IS_STR(auth_challenge_get(&a[0], "title"), "Login to \"apps\"", "escaped quotes");
        TAP_IS_STR(a[2].token68, "abc+/==", "token68");
        pick = auth_challenges_pick(a, n, &scheme);
        TAP_OK(pick == &a[3] && scheme == AUTH_SCHEME_BEARER, "bearer preferred over basic");
        TAP_IS_INT(auth_token_url(pick, "ns/app", &s), 0, "token url without service/scope");
        TAP_IS_STR(s, "http://x/t?a=b&scope=repository%3Ans%2Fapp%3Apull", "appends to an existing query");
        s = mfree(s);
        auth_challenge_array_free(a, n);

        TAP_IS_INT(auth_challenges_parse("Bearer", &a, &n), 0, "bare scheme");
        TAP_IS_INT(auth_token_url(&a[0], "x", &s), -EBADMSG, "token url needs a realm");
        auth_challenge_array_free(a, n);
        TAP_IS_INT(auth_challenges_parse("Bearer realm=\"ftp://x\"", &a, &n), 0, "ftp realm");
        TAP_IS_INT(auth_token_url(&a[0], "x", &s), -EBADMSG, "realm must be http(s)");
        auth_challenge_array_free(a, n);
        TAP_IS_INT(auth_challenges_parse("", &a, &n), 0, "empty header");
        TAP_IS_INT(n, 0, "no challenges");
        TAP_OK(!auth_challenges_pick(a, n, NULL), "nothing to pick");
        auth_challenge_array_free(a, n);

        for (const char *const *bad = (const char *const[]) { "Bearer realm=\"unterminated", "Bearer realm=\"a\" \"b\"",
                                                               "Bearer =x", "Bearer realm=\"a\" junk", "(x)",
                                                               "Bearer realm=\"a\\", "Basic x y", NULL };
             *bad; bad++)
                TAP_IS_INT(auth_challenges_parse(*bad, &a, &n), -EBADMSG, "refuse %s", *bad);
}

static void test_token_response(void) {
        char *t = NULL;
        uint64_t e = 0;

        TAP_IS_INT(auth_token_response_parse("{\"token\":\"abc\",\"expires_in\":300}", 32, &t, &e), 0, "token");
        TAP_IS_STR(t, "abc", "token value");
        TAP_IS_INT(e, 300, "expires_in");
        t = mfree(t);
        TAP_IS_INT(auth_token_response_parse("{\"access_token\":\"xyz\"}", 22, &t, &e), 0, "access_token");
        TAP_IS_STR(t, "xyz", "access_token value");
        TAP_IS_INT(e, 60, "default expiry");
        t = mfree(t);
        TAP_IS_INT(auth_token_response_parse("{\"token\":\"\"}", 12, &t, &e), -EBADMSG, "empty token");
        TAP_IS_INT(auth_token_response_parse("nope", 4, &t, &e), -EBADMSG, "not json");
        TAP_IS_INT(auth_token_response_parse("{\"token\":5}", 11, &t, &e), -EBADMSG, "token not a string");
}

int main(void) {
        for (AuthScheme s = 0; s < _AUTH_SCHEME_MAX; s++)
                TAP_IS_INT(auth_scheme_from_string(auth_scheme_to_string(s)), s, "scheme table %d", s);
        TAP_IS_INT(auth_scheme_from_string("bEaReR"), AUTH_SCHEME_BEARER, "scheme case-insensitive");
        TAP_IS_INT(auth_scheme_from_string("Digest"), _AUTH_SCHEME_INVALID, "unknown scheme");
        test_auth_config();
        test_auth_json();
        test_challenges();
        test_token_response();
        return tap_done();
}
