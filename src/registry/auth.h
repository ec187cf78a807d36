/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Registry credentials and the HTTP authentication exchange: auth.json files (containers-auth.json(5)),
 * the credentials a CRI PullImageRequest carries, WWW-Authenticate challenges, and the bearer token
 * request and response of the distribution token protocol. The HTTP itself is the client's job. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "reference.h"

#define AUTH_FILE_GLOBAL "/run/containers/0/auth.json"

typedef struct RegistryCredentials {
        char *username;
        char *password;
        char *identity_token;   /* an OAuth2 refresh token, traded for a bearer token */
        char *registry_token;   /* a bearer token sent as it is */
} RegistryCredentials;

RegistryCredentials *registry_credentials_free(RegistryCredentials *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(RegistryCredentials *, registry_credentials_free);
int registry_credentials_copy(const RegistryCredentials *c, RegistryCredentials **ret);

/* CRI's AuthConfig (runtime.v1), borrowed strings; NULL or "" means unset. */
typedef struct AuthConfig {
        const char *username;
        const char *password;
        const char *auth;               /* base64 of "username:password" */
        const char *server_address;
        const char *identity_token;
        const char *registry_token;
} AuthConfig;

/* Translates as CRI-O does: "auth" overrides username and password; credentials count only with a
 * username, an identity token or a registry token. Returns 1 and fills *ret, 0 when a has no
 * credentials, -EINVAL for a malformed "auth". */
int registry_credentials_from_auth_config(const AuthConfig *a, RegistryCredentials **ret);

/* Looks r up in one auth.json: the most specific key wins ("domain/ns/repo", then "domain/ns", then
 * "domain"); legacy keys with a scheme ("https://index.docker.io/v1/") count as their host. Returns 1
 * and fills *ret, 0 when the file or the entry is missing, -EBADMSG for a malformed file. */
int auth_file_lookup(const char *path, const Reference *r, RegistryCredentials **ret);

/* Same over several files (NULL-terminated, NULL entries skipped); the first file with an entry wins. */
int auth_files_lookup(const char *const *paths, size_t n_paths, const Reference *r, RegistryCredentials **ret);

/* Same over a buffer, for tests and fuzzing. */
int auth_json_lookup(const char *text, size_t size, const Reference *r, RegistryCredentials **ret);

typedef enum AuthScheme {
        AUTH_SCHEME_BASIC,
        AUTH_SCHEME_BEARER,
        _AUTH_SCHEME_MAX,
        _AUTH_SCHEME_INVALID = -EINVAL,
} AuthScheme;

const char *auth_scheme_to_string(AuthScheme s) _const_;
AuthScheme auth_scheme_from_string(const char *s) _pure_;

typedef struct AuthChallenge {
        char *scheme;           /* as sent, compare case-insensitively */
        char *token68;          /* "Negotiate abc==" style, else NULL */
        char **params;          /* name, value, name, value...; names lower-cased */
        size_t n_params;
} AuthChallenge;

void auth_challenge_array_free(AuthChallenge *a, size_t n);
const char *auth_challenge_get(const AuthChallenge *c, const char *name);

/* Parses one WWW-Authenticate header value (RFC 7235: challenges, auth-params, quoted-strings with
 * escapes, token68). -EBADMSG for malformed input. */
int auth_challenges_parse(const char *header, AuthChallenge **ret, size_t *ret_n);

/* The challenge to answer: Bearer before Basic, others ignored. NULL if none. */
const AuthChallenge *auth_challenges_pick(const AuthChallenge *a, size_t n, AuthScheme *ret_scheme);

/* The GET URL of a token request: realm?service=...&scope=... (scope defaults to pulling path). */
int auth_token_url(const AuthChallenge *c, const char *repository_path, char **ret);
/* The scope of a token request for repository_path, or the challenge's scope when it has one. */
int auth_token_scope(const AuthChallenge *c, const char *repository_path, char **ret);
/* The form body of an OAuth2 refresh-token POST to the realm, for identity tokens. */
int auth_token_form(const AuthChallenge *c, const char *repository_path, const char *refresh_token, char **ret);

/* {"token": ..., "access_token": ..., "expires_in": N}. Returns -EBADMSG without a token;
 * expires_in defaults to 60 seconds, as the token spec says. */
int auth_token_response_parse(const char *body, size_t size, char **ret_token, uint64_t *ret_expires_in);

/* Percent-encodes everything but unreserved characters. */
char *url_escape(const char *s);
