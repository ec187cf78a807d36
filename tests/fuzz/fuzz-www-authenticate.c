/* SPDX-License-Identifier: Apache-2.0 */

/* WWW-Authenticate headers come from any registry a pull reaches. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *url = NULL, *form = NULL;
        const AuthChallenge *pick;
        AuthChallenge *list = NULL;
        size_t n = 0;

        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        if (auth_challenges_parse(s, &list, &n) < 0)
                return 0;
        pick = auth_challenges_pick(list, n, NULL);
        if (pick) {
                (void) auth_token_url(pick, "library/busybox", &url);
                (void) auth_token_form(pick, "library/busybox", "t", &form);
        }
        for (size_t i = 0; i < n; i++)
                (void) auth_challenge_get(&list[i], "realm");
        auth_challenge_array_free(list, n);
        return 0;
}
