/* SPDX-License-Identifier: Apache-2.0 */

/* The TOML parser's API as the config layer uses it: typed access, insertion order, positions of keys
 * and errors. Conformance is covered by the toml-test suite (test_toml_suite.py). */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "toml.h"

static TomlValue *parse(const char *text) {
        TomlValue *v = NULL;
        TomlError e;

        if (toml_parse(text, strlen(text), "test.toml", &v, &e) < 0) {
                char buf[512];

                printf("# unexpected parse error: %s\n", toml_error_format(&e, buf, sizeof(buf)));
                return NULL;
        }
        return v;
}

static void test_type_strings(void) {
        for (TomlType t = 0; t < _TOML_TYPE_MAX; t++) {
                const char *s = toml_type_to_string(t);

                TAP_OK(s, "type %d has a name", t);
                TAP_IS_INT(toml_type_from_string(s), t, "type name %s round-trips", s);
        }
        TAP_OK(!toml_type_to_string(_TOML_TYPE_MAX), "no name past the end");
        TAP_OK(!toml_type_to_string(_TOML_TYPE_INVALID), "no name for invalid");
        TAP_IS_INT(toml_type_from_string("nope"), _TOML_TYPE_INVALID, "unknown name is invalid");
        TAP_IS_INT(toml_type_from_string(NULL), _TOML_TYPE_INVALID, "NULL name is invalid");
        TAP_IS_STR(toml_type_to_string(TOML_DATETIME_LOCAL), "datetime-local", "toml-test type names");
}

static void test_scalars(void) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;
        TomlDatetime dt;
        const char *s;
        size_t length;
        int64_t i;
        double d;
        bool b;

        v = parse("s = \"a\\tb\\u00e9\"\n"
                  "lit = 'C:\\path'\n"
                  "ml = \"\"\"\n  one \\\n    two\"\"\"\n"
                  "nul = \"x\\u0000y\"\n"
                  "i = -9_223_372_036_854_775_808\n"
                  "hex = 0xdead_BEEF\n"
                  "f = 6.626e-34\n"
                  "inf = -inf\n"
                  "yes = true\n"
                  "odt = 1979-05-27T00:32:00.999999-07:30\n"
                  "ldt = 1979-05-27 07:32:00\n"
                  "ld = 1979-05-27\n"
                  "lt = 07:32:00.5\n");
        TAP_OK(v, "scalars parse");
        if (!v)
                return;

        TAP_IS_INT(toml_value_type(v), TOML_TABLE, "root is a table");
        TAP_IS_INT(toml_value_get_string(toml_table_get(v, "s"), &s, &length), 0, "string getter");
        TAP_IS_STR(s, "a\tb\xc3\xa9", "escapes decoded");
        TAP_IS_INT(length, 5, "string length in bytes");
        TAP_IS_INT(toml_value_get_string(toml_table_get(v, "lit"), &s, NULL), 0, "literal string");
        TAP_IS_STR(s, "C:\\path", "literal keeps backslashes");
        TAP_IS_INT(toml_value_get_string(toml_table_get(v, "ml"), &s, NULL), 0, "multi-line string");
        TAP_IS_STR(s, "  one two", "first newline trimmed, line-ending backslash folds");
        TAP_IS_INT(toml_value_get_string(toml_table_get(v, "nul"), &s, &length), 0, "string with NUL");
        TAP_IS_INT(length, 3, "embedded NUL kept in the length");
        TAP_OK(memcmp(s, "x\0y", 4) == 0, "embedded NUL kept in the text");

        TAP_IS_INT(toml_value_get_integer(toml_table_get(v, "i"), &i), 0, "integer getter");
        TAP_OK(i == INT64_MIN, "INT64_MIN parses");
        TAP_IS_INT(toml_value_get_integer(toml_table_get(v, "hex"), &i), 0, "hex integer");
        TAP_IS_INT(i, 0xdeadbeef, "hex value");
        TAP_IS_INT(toml_value_get_float(toml_table_get(v, "f"), &d), 0, "float getter");
        TAP_OK(d == 6.626e-34, "float value");
        TAP_IS_INT(toml_value_get_float(toml_table_get(v, "inf"), &d), 0, "inf");
        TAP_OK(isinf(d) && d < 0, "-inf value");
        TAP_IS_INT(toml_value_get_boolean(toml_table_get(v, "yes"), &b), 0, "boolean getter");
        TAP_OK(b, "true value");

        TAP_IS_INT(toml_value_type(toml_table_get(v, "odt")), TOML_DATETIME, "offset date-time");
        TAP_IS_INT(toml_value_get_datetime(toml_table_get(v, "odt"), &dt), 0, "datetime getter");
        TAP_OK(dt.year == 1979 && dt.month == 5 && dt.day == 27 && dt.hour == 0 && dt.minute == 32 &&
               dt.second == 0, "datetime fields");
        TAP_IS_INT(dt.nanosecond, 999999000, "fraction in nanoseconds");
        TAP_IS_INT(dt.fraction_digits, 6, "fraction digits");
        TAP_IS_INT(dt.offset_minutes, -(7 * 60 + 30), "offset in minutes");
        TAP_IS_INT(toml_value_type(toml_table_get(v, "ldt")), TOML_DATETIME_LOCAL, "local date-time");
        TAP_IS_INT(toml_value_type(toml_table_get(v, "ld")), TOML_DATE_LOCAL, "local date");
        TAP_IS_INT(toml_value_type(toml_table_get(v, "lt")), TOML_TIME_LOCAL, "local time");
        TAP_IS_INT(toml_value_get_datetime(toml_table_get(v, "lt"), &dt), 0, "local time getter");
        TAP_IS_INT(dt.nanosecond, 500000000, "local time fraction");

        TAP_IS_INT(toml_value_get_integer(toml_table_get(v, "s"), &i), -EINVAL, "type mismatch is -EINVAL");
        TAP_IS_INT(toml_value_get_string(NULL, &s, NULL), -EINVAL, "NULL value is -EINVAL");
        TAP_OK(!toml_table_get(v, "missing"), "missing key is NULL");
}

static void test_order_and_positions(void) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;
        TomlValue *crio, *runtime, *runtimes, *runc, *list;
        size_t index;

        v = parse("# crio.conf\n"
                  "[crio]\n"
                  "root = \"/var/lib/containers/storage\"\n"
                  "  log_dir = \"/var/log/crio/pods\"\n"
                  "\n"
                  "[crio.runtime]\n"
                  "default_runtime = \"runc\"\n"
                  "conmon_env = [\n"
                  "  \"PATH=/usr/bin\",\n"
                  "  \"A=b\",  # comment\n"
                  "]\n"
                  "zeta.alpha = 1\n"
                  "[crio.runtime.runtimes.runc]\n"
                  "runtime_path = \"\"\n"
                  "[crio.api]\n");
        TAP_OK(v, "crio.conf style document parses");
        if (!v)
                return;

        TAP_IS_INT(toml_table_size(v), 1, "one top-level table");
        crio = toml_table_get(v, "crio");
        TAP_IS_INT(toml_table_size(crio), 4, "crio has four keys");
        TAP_IS_STR(toml_table_key_at(crio, 0), "root", "insertion order 0");
        TAP_IS_STR(toml_table_key_at(crio, 1), "log_dir", "insertion order 1");
        TAP_IS_STR(toml_table_key_at(crio, 2), "runtime", "insertion order 2");
        TAP_IS_STR(toml_table_key_at(crio, 3), "api", "insertion order 3");
        TAP_OK(!toml_table_key_at(crio, 4), "no key past the end");
        TAP_OK(toml_table_value_at(crio, 2) == toml_table_get(crio, "runtime"), "value_at matches get");
        TAP_IS_INT(toml_table_find(crio, "api", &index), 0, "find");
        TAP_IS_INT(index, 3, "find gives the index");
        TAP_IS_INT(toml_table_find(crio, "nope", &index), -ENOENT, "find of a missing key");

        TAP_IS_INT(toml_value_line(crio), 2, "table line is its header");
        TAP_IS_INT(toml_value_column(crio), 2, "table column is its key in the header");
        TAP_IS_INT(toml_value_line(toml_table_get(crio, "root")), 3, "key line");
        TAP_IS_INT(toml_value_column(toml_table_get(crio, "root")), 1, "key column");
        TAP_IS_INT(toml_value_line(toml_table_get(crio, "log_dir")), 4, "indented key line");
        TAP_IS_INT(toml_value_column(toml_table_get(crio, "log_dir")), 3, "indented key column");

        runtime = toml_table_get(crio, "runtime");
        TAP_IS_INT(toml_value_line(runtime), 6, "subtable line");
        TAP_IS_INT(toml_value_column(runtime), 7, "subtable column is the last key part");
        list = toml_table_get(runtime, "conmon_env");
        TAP_IS_INT(toml_value_line(list), 8, "multi-line array is where its key is");
        TAP_IS_INT(toml_array_size(list), 2, "array size");
        TAP_IS_INT(toml_value_line(toml_array_get(list, 1)), 10, "array item line");
        TAP_IS_INT(toml_value_column(toml_array_get(list, 1)), 3, "array item column");
        TAP_OK(!toml_array_get(list, 2), "array index past the end");
        TAP_IS_INT(toml_value_line(toml_table_get(toml_table_get(runtime, "zeta"), "alpha")), 12,
                   "dotted key line");
        TAP_IS_INT(toml_value_column(toml_table_get(toml_table_get(runtime, "zeta"), "alpha")), 6,
                   "dotted key column is its last part");

        runtimes = toml_table_get(runtime, "runtimes");
        TAP_IS_INT(toml_value_line(runtimes), 13, "implicit table line is its first mention");
        runc = toml_table_get(runtimes, "runc");
        TAP_IS_INT(toml_value_line(toml_table_get(runc, "runtime_path")), 14, "key in deep table");
        TAP_IS_STR(toml_table_key_at(runtime, 3), "runtimes", "implicit table keeps its place");
}

static void test_many_keys(void) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        FILE *f;
        bool ok = true;

        /* Enough keys to use the hash index, in an order that is not sorted. */
        f = open_memstream(&text, &size);
        for (int i = 0; i < 5000; i++)
                fprintf(f, "key_%d = %d\n", (i * 7919) % 5000, i);
        fclose(f);

        v = parse(text);
        TAP_OK(v, "5000 keys parse");
        TAP_IS_INT(toml_table_size(v), 5000, "5000 entries");
        for (int i = 0; i < 5000 && ok; i++) {
                char key[32];
                int64_t n;

                snprintf(key, sizeof(key), "key_%d", (i * 7919) % 5000);
                ok = toml_value_get_integer(toml_table_get(v, key), &n) == 0 && n == i &&
                        strcmp(toml_table_key_at(v, i), key) == 0 &&
                        toml_value_line(toml_table_value_at(v, i)) == (unsigned) i + 1;
        }
        TAP_OK(ok, "every key found, in order, with its line");
}

static void test_error(const char *text, unsigned line, unsigned column, const char *message) {
        TomlValue *v = NULL;
        TomlError e = {};
        char buf[512];
        int r;

        r = toml_parse(text, strlen(text), "crio.conf", &v, &e);
        TAP_IS_INT(r, -EBADMSG, "rejected: %s", message);
        TAP_OK(!v, "no result on error");
        TAP_IS_INT(e.line, line, "error line for: %s", message);
        TAP_IS_INT(e.column, column, "error column for: %s", message);
        TAP_OK(strstr(e.message, message), "message '%s' contains '%s'", e.message, message);
        TAP_IS_STR(e.filename, "crio.conf", "error names the file");
        toml_error_format(&e, buf, sizeof(buf));
        TAP_OK(strncmp(buf, "crio.conf:", 10) == 0, "formatted: %s", buf);
}

static void test_errors(void) {
        char buf[256];

        test_error("a = 1\n\n[t]\n    x = 1\n    x = 2\n", 5, 5, "duplicate key 'x'");
        test_error("[a]\nb = 1\n[a]\n", 3, 2, "table 'a' is defined twice");
        test_error("a = {b = 1}\n[a.c]\n", 2, 2, "inline table 'a'");
        test_error("x = [1, 2\n", 1, 5, "unterminated array");
        test_error("x = \"\xc3\xa9t\xc3\xa9\" junk\n", 1, 11, "expected end of line");
        test_error("x = 0777\n", 1, 5, "leading zeros");
        test_error("x = 9223372036854775808\n", 1, 5, "does not fit");
        test_error("x = 1979-02-29\n", 1, 5, "date out of range");
        test_error("x = \"\\q\"\n", 1, 6, "invalid escape");
        test_error("x = \"a\xff\"\n", 1, 7, "invalid UTF-8");
        test_error("a.b = 1\na.b.c = 2\n", 2, 3, "key 'b' is already defined as a value");
        test_error("[[a]]\n[a]\n", 2, 2, "already defined as an array of tables");
        test_error("x = 1\r\ny = \"\ttab ok\" \r\nz\n", 3, 2, "expected '='");

        TAP_IS_STR(toml_error_format(&(TomlError) { .line = 2, .column = 3, .message = "m" }, buf, sizeof(buf)),
                   "2:3: m", "format without a filename");
}

static void test_file(void) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;
        char path[] = "/tmp/test-toml-XXXXXX";
        TomlError e;
        int fd;

        fd = mkstemp(path);
        TAP_OK(fd >= 0, "temporary file");
        if (fd < 0)
                return;
        TAP_OK(write(fd, "[crio]\nx = 1\n", 13) == 13, "write file");
        close(fd);

        TAP_IS_INT(toml_parse_file(path, &v, &e), 0, "parse file");
        TAP_IS_INT(toml_table_size(toml_table_get(v, "crio")), 1, "file content");
        unlink(path);

        TAP_IS_INT(toml_parse_file(path, &v, &e), -ENOENT, "missing file is -ENOENT");
        TAP_IS_STR(e.filename, path, "file error names the file");
        TAP_OK(strstr(e.message, "cannot open"), "file error message: %s", e.message);
        TAP_IS_INT(toml_parse_file("/", &v, &e), -EISDIR, "directory is -EISDIR");
}

static void test_empty(void) {
        _cleanup_(toml_value_freep) TomlValue *v = NULL;

        TAP_IS_INT(toml_parse(NULL, 0, NULL, &v, NULL), 0, "empty input, no error struct");
        TAP_IS_INT(toml_table_size(v), 0, "empty document is an empty table");
        TAP_IS_INT(toml_parse("=", 1, NULL, &v, NULL) , -EBADMSG, "error without error struct");
}

static void test_deep_nesting(void) {
        TomlValue *v = NULL;
        char text[5000];
        size_t n = 0;

        n += snprintf(text, sizeof(text), "x = ");
        for (int i = 0; i < 1000; i++)
                text[n++] = '[';
        text[n] = 0;
        TAP_IS_INT(toml_parse(text, n, NULL, &v, NULL), -EBADMSG, "deep nesting is refused, not a crash");

        n = 0;
        text[n++] = '[';
        for (int i = 0; i < 1000; i++) {
                text[n++] = 'a';
                text[n++] = '.';
        }
        text[n++] = 'b';
        text[n++] = ']';
        TAP_IS_INT(toml_parse(text, n, NULL, &v, NULL), -EBADMSG, "deep header is refused");
}

int main(void) {
        test_type_strings();
        test_scalars();
        test_order_and_positions();
        test_many_keys();
        test_errors();
        test_file();
        test_empty();
        test_deep_nesting();
        return tap_done();
}
