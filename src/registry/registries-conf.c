/* SPDX-License-Identifier: Apache-2.0 */

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "registries-conf.h"
#include "registry-util.h"
#include "toml.h"

static const char *const short_name_mode_table[_SHORT_NAME_MODE_MAX] = {
        [SHORT_NAME_MODE_UNSET] = "",
        [SHORT_NAME_MODE_DISABLED] = "disabled",
        [SHORT_NAME_MODE_PERMISSIVE] = "permissive",
        [SHORT_NAME_MODE_ENFORCING] = "enforcing",
};

static const char *const pull_from_mirror_table[_PULL_FROM_MIRROR_MAX] = {
        [PULL_FROM_MIRROR_ALL] = "all",
        [PULL_FROM_MIRROR_DIGEST_ONLY] = "digest-only",
        [PULL_FROM_MIRROR_TAG_ONLY] = "tag-only",
};

const char *short_name_mode_to_string(ShortNameMode m) {
        if (m < 0 || m >= _SHORT_NAME_MODE_MAX)
                return NULL;
        return short_name_mode_table[m];
}

ShortNameMode short_name_mode_from_string(const char *s) {
        if (!s)
                return _SHORT_NAME_MODE_INVALID;
        for (ShortNameMode m = 0; m < _SHORT_NAME_MODE_MAX; m++)
                if (streq(short_name_mode_table[m], s))
                        return m;
        return _SHORT_NAME_MODE_INVALID;
}

const char *pull_from_mirror_to_string(PullFromMirror p) {
        if (p < 0 || p >= _PULL_FROM_MIRROR_MAX)
                return NULL;
        return pull_from_mirror_table[p];
}

PullFromMirror pull_from_mirror_from_string(const char *s) {
        if (!s)
                return _PULL_FROM_MIRROR_INVALID;
        for (PullFromMirror p = 0; p < _PULL_FROM_MIRROR_MAX; p++)
                if (streq(pull_from_mirror_table[p], s))
                        return p;
        return _PULL_FROM_MIRROR_INVALID;
}

static void registry_entry_done(RegistryEntry *e) {
        free(e->prefix);
        free(e->location);
        for (size_t i = 0; i < e->n_mirrors; i++)
                free(e->mirrors[i].location);
        free(e->mirrors);
        *e = (RegistryEntry) {};
}

static void strv_free_n(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

int registries_conf_new(RegistriesConf **ret) {
        RegistriesConf *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

RegistriesConf *registries_conf_free(RegistriesConf *c) {
        if (!c)
                return NULL;
        strv_free_n(c->search, c->n_search);
        for (size_t i = 0; i < c->n_aliases; i++) {
                free(c->aliases[i].name);
                free(c->aliases[i].value);
        }
        free(c->aliases);
        for (size_t i = 0; i < c->n_registries; i++)
                registry_entry_done(&c->registries[i]);
        free(c->registries);
        return mfree(c);
}

/* What one file said; merged into the running configuration only once all of it parsed. */
typedef struct ConfFile {
        RegistriesConf conf;
        bool has_search;
} ConfFile;

static void conf_file_done(ConfFile *f) {
        RegistriesConf *c = &f->conf;

        strv_free_n(c->search, c->n_search);
        for (size_t i = 0; i < c->n_aliases; i++) {
                free(c->aliases[i].name);
                free(c->aliases[i].value);
        }
        free(c->aliases);
        for (size_t i = 0; i < c->n_registries; i++)
                registry_entry_done(&c->registries[i]);
        free(c->registries);
}

_printf_(4, 5)
static int conf_error(char **ret_error, const char *path, const TomlValue *v, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        char *full = NULL;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&msg, format, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        if (asprintf(&full, "%s:%u: %s", path, v ? toml_value_line(v) : 0, msg) < 0)
                return -ENOMEM;
        log_error("%s", full);
        if (ret_error)
                *ret_error = full;
        else
                free(full);
        return -EBADMSG;
}

static int get_string(const char *path, const TomlValue *v, const char *key, const char **ret, char **ret_error) {
        if (toml_value_get_string(v, ret, NULL) < 0)
                return conf_error(ret_error, path, v, "'%s' must be a string, not %s", key,
                                  toml_type_to_string(toml_value_type(v)));
        return 0;
}

static int get_boolean(const char *path, const TomlValue *v, const char *key, bool *ret, char **ret_error) {
        if (toml_value_get_boolean(v, ret) < 0)
                return conf_error(ret_error, path, v, "'%s' must be a boolean, not %s", key,
                                  toml_type_to_string(toml_value_type(v)));
        return 0;
}

/* A location or prefix: host[:port][/path], no scheme, trailing slashes dropped. */
static int parse_location(const char *path, const TomlValue *v, const char *key, const char *s, bool allow_wildcard,
                          char **ret, char **ret_error) {
        _cleanup_free_ char *copy = NULL;
        const char *host_end;
        size_t n;

        if (startswith(s, "http://") || startswith(s, "https://"))
                return conf_error(ret_error, path, v, "invalid %s '%s': URI schemes are not supported", key, s);

        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        n = strlen(copy);
        while (n > 0 && copy[n - 1] == '/')
                copy[--n] = '\0';
        if (n == 0)
                return conf_error(ret_error, path, v, "invalid %s '%s': empty", key, s);

        if (startswith(copy, "*.")) {
                if (!allow_wildcard || strchr(copy, '/') || !reference_domain_is_valid(copy + 2))
                        return conf_error(ret_error, path, v,
                                          "invalid %s '%s': a wildcard must be '*.' and a domain, and only in a prefix",
                                          key, s);
        } else {
                _cleanup_free_ char *domain = NULL;

                host_end = strchr(copy, '/');
                domain = strndup(copy, host_end ? (size_t) (host_end - copy) : n);
                if (!domain)
                        return -ENOMEM;
                if (!reference_domain_is_valid(domain) || (host_end && !reference_path_is_valid(host_end + 1)))
                        return conf_error(ret_error, path, v, "invalid %s '%s'", key, s);
        }
        *ret = TAKE_PTR(copy);
        return 0;
}

static int parse_search(ConfFile *f, const char *path, const TomlValue *v, char **ret_error) {
        size_t n;

        if (toml_value_type(v) != TOML_ARRAY)
                return conf_error(ret_error, path, v, "'unqualified-search-registries' must be an array of strings");
        n = toml_array_size(v);
        f->conf.search = calloc(n + 1, sizeof(char *));
        if (!f->conf.search)
                return -ENOMEM;
        f->has_search = true;
        for (size_t i = 0; i < n; i++) {
                const TomlValue *item = toml_array_get(v, i);
                const char *s;
                int r;

                r = get_string(path, item, "unqualified-search-registries", &s, ret_error);
                if (r < 0)
                        return r;
                if (!reference_domain_is_valid(s))
                        return conf_error(ret_error, path, item,
                                          "invalid unqualified-search registry '%s': must be a host[:port]", s);
                f->conf.search[f->conf.n_search] = strdup(s);
                if (!f->conf.search[f->conf.n_search])
                        return -ENOMEM;
                f->conf.n_search++;
        }
        return 0;
}

static int alias_set(RegistriesConf *c, const char *name, const char *value) {
        _cleanup_free_ char *v = NULL;
        RegistryAlias *a;

        if (value) {
                v = strdup(value);
                if (!v)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_aliases; i++)
                if (streq(c->aliases[i].name, name))
                        return free_and_replace(c->aliases[i].value, v);

        a = reallocarray(c->aliases, c->n_aliases + 1, sizeof(RegistryAlias));
        if (!a)
                return -ENOMEM;
        c->aliases = a;
        a[c->n_aliases].name = strdup(name);
        if (!a[c->n_aliases].name)
                return -ENOMEM;
        a[c->n_aliases].value = TAKE_PTR(v);
        c->n_aliases++;
        return 0;
}

static int parse_aliases(ConfFile *f, const char *path, const TomlValue *t, char **ret_error) {
        if (toml_value_type(t) != TOML_TABLE)
                return conf_error(ret_error, path, t, "'aliases' must be a table");

        for (size_t i = 0; i < toml_table_size(t); i++) {
                _cleanup_(reference_freep) Reference *key = NULL, *value = NULL;
                _cleanup_free_ char *value_name = NULL;
                const char *name = toml_table_key_at(t, i), *s, *why = NULL;
                const TomlValue *v = toml_table_value_at(t, i);
                int r;

                r = get_string(path, v, name, &s, ret_error);
                if (r < 0)
                        return r;

                r = reference_parse(name, &key, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return conf_error(ret_error, path, v, "invalid short name '%s': %s", name, why);
                if (!reference_is_short_name(key))
                        return conf_error(ret_error, path, v, "invalid short name '%s': must not contain registry", name);
                if (key->tag || key->digest)
                        return conf_error(ret_error, path, v, "invalid short name '%s': must not contain a tag or digest",
                                          name);

                /* An empty value removes an alias an earlier file set. */
                if (*s) {
                        r = reference_parse(s, &value, &why);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return conf_error(ret_error, path, v, "invalid alias '%s': %s", s, why);
                        if (reference_is_short_name(value))
                                return conf_error(ret_error, path, v,
                                                  "invalid alias '%s': must contain registry and repository", s);
                        if (value->tag || value->digest)
                                return conf_error(ret_error, path, v, "invalid alias '%s': must not contain a tag or digest",
                                                  s);
                        value_name = reference_name(value);
                        if (!value_name)
                                return -ENOMEM;
                }
                r = alias_set(&f->conf, name, value_name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_mirror(const char *path, const TomlValue *t, RegistryMirror *m, char **ret_error) {
        if (toml_value_type(t) != TOML_TABLE)
                return conf_error(ret_error, path, t, "'mirror' must be an array of tables");

        for (size_t i = 0; i < toml_table_size(t); i++) {
                const char *key = toml_table_key_at(t, i), *s;
                const TomlValue *v = toml_table_value_at(t, i);
                int r;

                if (streq(key, "location")) {
                        r = get_string(path, v, key, &s, ret_error);
                        if (r >= 0)
                                r = parse_location(path, v, "mirror location", s, false, &m->location, ret_error);
                } else if (streq(key, "insecure"))
                        r = get_boolean(path, v, key, &m->insecure, ret_error);
                else if (streq(key, "pull-from-mirror")) {
                        r = get_string(path, v, key, &s, ret_error);
                        if (r >= 0) {
                                m->pull_from_mirror = *s ? pull_from_mirror_from_string(s) : PULL_FROM_MIRROR_ALL;
                                if (m->pull_from_mirror < 0)
                                        r = conf_error(ret_error, path, v,
                                                       "invalid pull-from-mirror '%s': expected all, digest-only or tag-only",
                                                       s);
                        }
                } else {
                        log_warning("%s:%u: unknown key '%s' in [[registry.mirror]], ignoring.", path,
                                    toml_value_line(v), key);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        if (!m->location)
                return conf_error(ret_error, path, t, "[[registry.mirror]] without a location");
        return 0;
}

static int parse_registry(const char *path, const TomlValue *t, RegistryEntry *e, char **ret_error) {
        const TomlValue *mirrors = NULL;
        int r;

        if (toml_value_type(t) != TOML_TABLE)
                return conf_error(ret_error, path, t, "'registry' must be an array of tables");

        for (size_t i = 0; i < toml_table_size(t); i++) {
                const char *key = toml_table_key_at(t, i), *s;
                const TomlValue *v = toml_table_value_at(t, i);

                if (streq(key, "prefix")) {
                        r = get_string(path, v, key, &s, ret_error);
                        if (r >= 0 && *s)
                                r = parse_location(path, v, "prefix", s, true, &e->prefix, ret_error);
                } else if (streq(key, "location")) {
                        r = get_string(path, v, key, &s, ret_error);
                        if (r >= 0 && *s)
                                r = parse_location(path, v, "location", s, false, &e->location, ret_error);
                } else if (streq(key, "insecure"))
                        r = get_boolean(path, v, key, &e->insecure, ret_error);
                else if (streq(key, "blocked"))
                        r = get_boolean(path, v, key, &e->blocked, ret_error);
                else if (streq(key, "mirror-by-digest-only"))
                        r = get_boolean(path, v, key, &e->mirror_by_digest_only, ret_error);
                else if (streq(key, "mirror")) {
                        if (toml_value_type(v) != TOML_ARRAY)
                                return conf_error(ret_error, path, v, "'mirror' must be an array of tables");
                        mirrors = v;
                        r = 0;
                } else {
                        log_warning("%s:%u: unknown key '%s' in [[registry]], ignoring.", path, toml_value_line(v), key);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }

        if (!e->prefix && !e->location)
                return conf_error(ret_error, path, t, "[[registry]] needs a location or a prefix");
        if (!e->prefix) {
                e->prefix = strdup(e->location);
                if (!e->prefix)
                        return -ENOMEM;
        }
        if (!e->location && !startswith(e->prefix, "*.")) {
                e->location = strdup(e->prefix);
                if (!e->location)
                        return -ENOMEM;
        }

        if (mirrors) {
                size_t n = toml_array_size(mirrors);

                e->mirrors = calloc(n, sizeof(RegistryMirror));
                if (n > 0 && !e->mirrors)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        r = parse_mirror(path, toml_array_get(mirrors, i), &e->mirrors[i], ret_error);
                        e->n_mirrors++;
                        if (r < 0)
                                return r;
                        if (e->mirror_by_digest_only && e->mirrors[i].pull_from_mirror != PULL_FROM_MIRROR_ALL)
                                return conf_error(ret_error, path, toml_array_get(mirrors, i),
                                                  "pull-from-mirror cannot be combined with mirror-by-digest-only");
                }
        }
        return 0;
}

static int parse_file(ConfFile *f, const char *path, const TomlValue *root, char **ret_error) {
        int r;

        for (size_t i = 0; i < toml_table_size(root); i++) {
                const char *key = toml_table_key_at(root, i);
                const TomlValue *v = toml_table_value_at(root, i);

                if (streq(key, "unqualified-search-registries"))
                        r = parse_search(f, path, v, ret_error);
                else if (streq(key, "short-name-mode")) {
                        const char *s;

                        r = get_string(path, v, key, &s, ret_error);
                        if (r >= 0) {
                                ShortNameMode m = short_name_mode_from_string(s);
                                if (m <= SHORT_NAME_MODE_UNSET)
                                        r = conf_error(ret_error, path, v,
                                                       "invalid short-name-mode '%s': expected enforcing, permissive or disabled",
                                                       s);
                                else
                                        f->conf.short_name_mode = m;
                        }
                } else if (streq(key, "aliases"))
                        r = parse_aliases(f, path, v, ret_error);
                else if (streq(key, "registry")) {
                        size_t n;

                        if (toml_value_type(v) != TOML_ARRAY)
                                return conf_error(ret_error, path, v, "'registry' must be an array of tables");
                        n = toml_array_size(v);
                        f->conf.registries = calloc(n, sizeof(RegistryEntry));
                        if (n > 0 && !f->conf.registries)
                                return -ENOMEM;
                        r = 0;
                        for (size_t j = 0; j < n && r >= 0; j++) {
                                const TomlValue *item = toml_array_get(v, j);

                                r = parse_registry(path, item, &f->conf.registries[j], ret_error);
                                f->conf.n_registries++;
                                if (r < 0)
                                        break;
                                for (size_t k = 0; k < j; k++)
                                        if (streq(f->conf.registries[k].prefix, f->conf.registries[j].prefix)) {
                                                r = conf_error(ret_error, path, item,
                                                               "registry with prefix '%s' defined more than once",
                                                               f->conf.registries[j].prefix);
                                                break;
                                        }
                        }
                } else if (streq(key, "registries"))
                        r = conf_error(ret_error, path, v,
                                       "the version 1 format ([registries.search] and friends) is not supported");
                else {
                        /* credential-helpers and the like: nothing a CRI pull uses. */
                        log_debug("%s:%u: ignoring key '%s'.", path, toml_value_line(v), key);
                        r = 0;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static void merge(RegistriesConf *c, ConfFile *f) {
        if (f->has_search) {
                strv_free_n(c->search, c->n_search);
                c->search = TAKE_PTR(f->conf.search);
                c->n_search = f->conf.n_search;
                f->conf.n_search = 0;
        }
        if (f->conf.short_name_mode != SHORT_NAME_MODE_UNSET)
                c->short_name_mode = f->conf.short_name_mode;
}

static int merge_lists(RegistriesConf *c, ConfFile *f) {
        size_t n_new = 0;
        RegistryEntry *e;
        int r;

        for (size_t i = 0; i < f->conf.n_aliases; i++) {
                r = alias_set(c, f->conf.aliases[i].name, f->conf.aliases[i].value);
                if (r < 0)
                        return r;
        }

        e = reallocarray(c->registries, c->n_registries + f->conf.n_registries, sizeof(RegistryEntry));
        if (!e && c->n_registries + f->conf.n_registries > 0)
                return -ENOMEM;
        c->registries = e;
        for (size_t i = 0; i < f->conf.n_registries; i++) {
                RegistryEntry *in = &f->conf.registries[i];
                bool replaced = false;

                for (size_t j = 0; j < c->n_registries; j++)
                        if (streq(c->registries[j].prefix, in->prefix)) {
                                registry_entry_done(&c->registries[j]);
                                c->registries[j] = *in;
                                replaced = true;
                                break;
                        }
                if (!replaced)
                        c->registries[c->n_registries + n_new++] = *in;
                *in = (RegistryEntry) {};
        }
        c->n_registries += n_new;
        return 0;
}

int registries_conf_load_file(RegistriesConf *c, const char *path, char **ret_error) {
        _cleanup_(toml_value_freep) TomlValue *root = NULL;
        ConfFile f = {};
        TomlError error = {};
        int r;

        r = toml_parse_file(path, &root, &error);
        if (r < 0) {
                char buf[TOML_ERROR_MESSAGE_MAX + 512];

                toml_error_format(&error, buf, sizeof(buf));
                log_error("%s", buf);
                if (ret_error) {
                        *ret_error = strdup(buf);
                        if (!*ret_error)
                                return -ENOMEM;
                }
                return r;
        }

        r = parse_file(&f, path, root, ret_error);
        if (r >= 0) {
                /* Merge aliases and registries first: it is the only step that can fail (ENOMEM). */
                r = merge_lists(c, &f);
                if (r >= 0)
                        merge(c, &f);
        }
        conf_file_done(&f);
        return r;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int registries_conf_load(const char *path, const char *dropin_dir, RegistriesConf **ret, char **ret_error) {
        _cleanup_(registries_conf_freep) RegistriesConf *c = NULL;
        char **names = NULL;
        size_t n_names = 0;
        int r;

        r = registries_conf_new(&c);
        if (r < 0)
                return r;

        if (path && access(path, F_OK) >= 0) {
                r = registries_conf_load_file(c, path, ret_error);
                if (r < 0)
                        return r;
        }

        if (dropin_dir) {
                DIR *d = opendir(dropin_dir);
                struct dirent *de;

                if (!d && errno != ENOENT)
                        return log_error_errno(errno, "Failed to open %s: %m", dropin_dir);
                while (d && (de = readdir(d))) {
                        size_t len = strlen(de->d_name);
                        char **a;

                        if (de->d_name[0] == '.' || len < 6 || !streq(de->d_name + len - 5, ".conf"))
                                continue;
                        if (!IN_SET(de->d_type, DT_REG, DT_LNK, DT_UNKNOWN))
                                continue;
                        a = reallocarray(names, n_names + 1, sizeof(char *));
                        if (a)
                                names = a;
                        if (!a || asprintf(&names[n_names], "%s/%s", dropin_dir, de->d_name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        n_names++;
                }
                if (d)
                        closedir(d);
                if (r >= 0 && n_names > 0) {
                        qsort(names, n_names, sizeof(char *), compare_strings);
                        for (size_t i = 0; i < n_names && r >= 0; i++)
                                r = registries_conf_load_file(c, names[i], ret_error);
                }
                strv_free_n(names, n_names);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(c);
        return 0;
}

/* How much of name the prefix covers, or 0 when it does not match. A prefix matches whole path
 * components only; "*.example.com" matches any subdomain of example.com. */
static size_t prefix_match(const char *name, const char *prefix) {
        size_t n;

        if (startswith(prefix, "*.")) {
                const char *slash = strchr(name, '/');
                size_t domain_len = slash ? (size_t) (slash - name) : strlen(name);
                size_t suffix_len = strlen(prefix + 1);

                if (domain_len <= suffix_len || strncmp(name + domain_len - suffix_len, prefix + 1, suffix_len) != 0)
                        return 0;
                return domain_len;
        }

        n = strlen(prefix);
        if (strncmp(name, prefix, n) != 0 || !IN_SET(name[n], '\0', '/'))
                return 0;
        return n;
}

static const RegistryEntry *find_entry(const RegistriesConf *c, const char *name, size_t *ret_matched) {
        const RegistryEntry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < c->n_registries; i++) {
                size_t l = prefix_match(name, c->registries[i].prefix);
                if (l > best_len) {
                        best = &c->registries[i];
                        best_len = l;
                }
        }
        if (ret_matched)
                *ret_matched = best_len;
        return best;
}

const RegistryEntry *registries_conf_find(const RegistriesConf *c, const Reference *r) {
        _cleanup_free_ char *name = reference_name(r);

        if (!name || !r->domain)
                return NULL;
        return find_entry(c, name, NULL);
}

void reference_array_free(Reference **a, size_t n) {
        for (size_t i = 0; i < n; i++)
                reference_free(a[i]);
        free(a);
}

void pull_source_array_free(PullSource *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                reference_free(a[i].reference);
        free(a);
}

_printf_(2, 3)
static void set_error(char **ret_error, const char *format, ...) {
        va_list ap;

        if (!ret_error)
                return;
        va_start(ap, format);
        if (vasprintf(ret_error, format, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
}

/* A pull by digest names one exact image, so a tag next to it is dropped, as CRI-O does. */
static int finish_candidate(Reference *r) {
        if (r->digest && r->tag)
                r->tag = mfree(r->tag);
        return reference_default_tag(r);
}

int registries_conf_resolve(const RegistriesConf *c, const char *image, Reference ***ret_candidates,
                            size_t *ret_n, char **ret_error) {
        _cleanup_(reference_freep) Reference *input = NULL;
        Reference **list = NULL;
        size_t n = 0;
        const char *why = NULL;
        int r;

        r = reference_parse(image, &input, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                set_error(ret_error, "invalid image name \"%s\": %s", image, why);
                return r;
        }

        if (!reference_is_short_name(input)) {
                list = calloc(1, sizeof(Reference *));
                if (!list)
                        return -ENOMEM;
                list[n++] = TAKE_PTR(input);
                r = finish_candidate(list[0]);
                goto done;
        }

        for (size_t i = 0; i < c->n_aliases; i++) {
                _cleanup_(reference_freep) Reference *alias = NULL;

                if (!streq(c->aliases[i].name, input->path) || !c->aliases[i].value)
                        continue;
                r = reference_parse_qualified(c->aliases[i].value, &alias, NULL);
                if (r < 0)
                        return r;
                if (input->tag && !(alias->tag = strdup(input->tag)))
                        return -ENOMEM;
                if (input->digest && !(alias->digest = strdup(input->digest)))
                        return -ENOMEM;
                list = calloc(1, sizeof(Reference *));
                if (!list)
                        return -ENOMEM;
                list[n++] = TAKE_PTR(alias);
                r = finish_candidate(list[0]);
                goto done;
        }

        if (c->n_search == 0) {
                set_error(ret_error,
                          "short-name \"%s\" did not resolve to an alias and no unqualified-search registries are defined",
                          image);
                return -ENOENT;
        }

        list = calloc(c->n_search, sizeof(Reference *));
        if (!list)
                return -ENOMEM;
        r = 0;
        for (size_t i = 0; i < c->n_search && r >= 0; i++) {
                r = reference_with_domain(input, c->search[i], &list[n]);
                if (r < 0) {
                        set_error(ret_error, "cannot qualify \"%s\" with registry \"%s\"", image, c->search[i]);
                        break;
                }
                r = finish_candidate(list[n++]);
        }

done:
        if (r < 0) {
                reference_array_free(list, n);
                return r;
        }
        *ret_candidates = list;
        *ret_n = n;
        return 0;
}

static int rewrite(const Reference *r, const char *name, size_t matched, const char *location, Reference **ret) {
        _cleanup_(reference_freep) Reference *out = NULL;
        _cleanup_free_ char *new_name = NULL;
        int k;

        if (!location)
                return reference_copy(r, ret);
        if (asprintf(&new_name, "%s%s", location, name + matched) < 0)
                return -ENOMEM;
        k = reference_parse_qualified(new_name, &out, NULL);
        if (k < 0)
                return k;
        if (r->tag && !(out->tag = strdup(r->tag)))
                return -ENOMEM;
        if (r->digest && !(out->digest = strdup(r->digest)))
                return -ENOMEM;
        *ret = TAKE_PTR(out);
        return 0;
}

int registries_conf_pull_sources(const RegistriesConf *c, const Reference *r, PullSource **ret, size_t *ret_n,
                                 char **ret_error) {
        _cleanup_free_ char *name = NULL;
        const RegistryEntry *e;
        PullSource *list;
        size_t matched = 0, n = 0;
        int k = 0;

        if (!r->domain)
                return -EINVAL;
        name = reference_name(r);
        if (!name)
                return -ENOMEM;

        e = find_entry(c, name, &matched);
        if (e && e->blocked) {
                set_error(ret_error, "registry %s is blocked in registries.conf", e->prefix);
                return -EACCES;
        }

        list = calloc((e ? e->n_mirrors : 0) + 1, sizeof(PullSource));
        if (!list)
                return -ENOMEM;

        for (size_t i = 0; e && i < e->n_mirrors; i++) {
                const RegistryMirror *m = &e->mirrors[i];
                bool by_digest = r->digest;

                if (!by_digest && (e->mirror_by_digest_only || m->pull_from_mirror == PULL_FROM_MIRROR_DIGEST_ONLY))
                        continue;
                if (by_digest && m->pull_from_mirror == PULL_FROM_MIRROR_TAG_ONLY)
                        continue;
                k = rewrite(r, name, matched, m->location, &list[n].reference);
                if (k < 0)
                        goto fail;
                list[n].insecure = m->insecure;
                list[n].mirror = true;
                n++;
        }

        k = rewrite(r, name, matched, e ? e->location : NULL, &list[n].reference);
        if (k < 0)
                goto fail;
        list[n].insecure = e && e->insecure;
        n++;

        *ret = list;
        *ret_n = n;
        return 0;

fail:
        set_error(ret_error, "cannot rewrite %s for a registry location", name);
        pull_source_array_free(list, n);
        return k;
}
