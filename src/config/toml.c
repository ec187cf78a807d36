/* SPDX-License-Identifier: Apache-2.0 */

/* A single-pass recursive-descent parser for TOML 1.0.0. It works directly on the input bytes (validated
 * as UTF-8 up front) and builds the value tree as it goes; the redefinition rules of the spec are kept
 * with a few flags on each table and array, see toml-internal.h. */

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toml-internal.h"
#include "toml-scalar.h"

/* Bounds the depth of the tree, so that neither the parser nor anything walking the result can run out
 * of stack on hostile input. Real configs nest a handful of levels. */
#define TOML_DEPTH_MAX 256U

/* Config files are small; refuse anything absurd before reading it into memory. */
#define TOML_FILE_SIZE_MAX (64U * 1024U * 1024U)

typedef struct KeyPart {
        const char *text;       /* points into the input, or at owned */
        size_t length;
        char *owned;            /* set when escapes had to be decoded */
        uint32_t hash;
        const char *where;
        unsigned line, column;
} KeyPart;

typedef struct KeyPath {
        KeyPart *parts;
        size_t n, allocated;
} KeyPath;

typedef struct Parser {
        const char *begin, *p, *end;
        const char *line_start;
        unsigned line;
        unsigned section;       /* bumped at every [header]: dotted keys may only extend their own */
        unsigned section_depth; /* tree depth of the table the current section fills */
        unsigned depth;         /* tree depth of the container being parsed */
        const char *filename;
        TomlError *error;
        KeyPath key;            /* reused for every key, to save allocations */
        TomlBuffer buffer;      /* reused for every string with escapes */
} Parser;

static void key_path_clear(KeyPath *k) {
        for (size_t i = 0; i < k->n; i++)
                k->parts[i].owned = mfree(k->parts[i].owned);
        k->n = 0;
}

static void key_path_done(KeyPath *k) {
        key_path_clear(k);
        k->parts = mfree(k->parts);
        k->allocated = 0;
}

static unsigned count_columns(const char *from, const char *to) {
        unsigned column = 1;

        /* Columns count characters: skip UTF-8 continuation bytes. */
        for (const char *c = from; c < to; c++)
                if (((uint8_t) *c & 0xC0) != 0x80)
                        column++;
        return column;
}

_printf_(3, 4)
static int parser_error(Parser *p, const char *where, const char *format, ...) {
        const char *line_start = p->begin;
        unsigned line = 1;
        va_list ap;

        /* Errors end the parse, so finding the position from the start is cheap enough and stays
         * right wherever the caller points. */
        if (where > p->end)
                where = p->end;
        for (const char *c = p->begin; c < where; c++)
                if (*c == '\n') {
                        line++;
                        line_start = c + 1;
                }

        if (p->error) {
                *p->error = (TomlError) {
                        .filename = p->filename,
                        .line = line,
                        .column = count_columns(line_start, where),
                };
                va_start(ap, format);
                (void) vsnprintf(p->error->message, sizeof(p->error->message), format, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

static int parser_oom(Parser *p) {
        if (p->error)
                *p->error = (TomlError) {
                        .filename = p->filename,
                        .message = "out of memory",
                };
        return -ENOMEM;
}

static int peek(const Parser *p, size_t offset) {
        return (size_t) (p->end - p->p) > offset ? (uint8_t) p->p[offset] : -1;
}

static bool at_end(const Parser *p) {
        return p->p >= p->end;
}

static bool is_control(uint8_t c) {
        /* Tab is the one control character allowed in strings and comments. */
        return (c < 0x20 && c != '\t') || c == 0x7F;
}

static bool is_bare_key_char(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
}

static void newline_consumed(Parser *p) {
        p->line++;
        p->line_start = p->p;
}

static void skip_whitespace(Parser *p) {
        while (p->p < p->end && (*p->p == ' ' || *p->p == '\t'))
                p->p++;
}

/* Consumes LF or CRLF; returns false (consuming nothing) if there is none. */
static bool skip_newline(Parser *p) {
        if (peek(p, 0) == '\n')
                p->p++;
        else if (peek(p, 0) == '\r' && peek(p, 1) == '\n')
                p->p += 2;
        else
                return false;
        newline_consumed(p);
        return true;
}

/* At a '#': consumes the comment up to, not including, the line break. */
static int skip_comment(Parser *p) {
        for (p->p++; p->p < p->end; p->p++) {
                uint8_t c = *p->p;

                if (c == '\n' || (c == '\r' && peek(p, 1) == '\n'))
                        return 0;
                if (is_control(c))
                        return parser_error(p, p->p, "control character U+%04X in comment", c);
        }
        return 0;
}

/* Whitespace, comments and newlines, as allowed between array items. */
static int skip_blank(Parser *p) {
        for (;;) {
                int r;

                skip_whitespace(p);
                if (peek(p, 0) == '#') {
                        r = skip_comment(p);
                        if (r < 0)
                                return r;
                } else if (!skip_newline(p))
                        return 0;
        }
}

/* After a key/value pair or a header: optional comment, then a line break or the end. */
static int expect_end_of_line(Parser *p, const char *what) {
        int r;

        skip_whitespace(p);
        if (peek(p, 0) == '#') {
                r = skip_comment(p);
                if (r < 0)
                        return r;
        }
        if (at_end(p) || skip_newline(p))
                return 0;
        if (peek(p, 0) == '\r')
                return parser_error(p, p->p, "carriage return not followed by a line feed");
        return parser_error(p, p->p, "expected end of line after %s", what);
}

static int parse_escape(Parser *p, TomlBuffer *b) {
        const char *start = p->p;
        uint32_t cp = 0;
        int c, digits;

        /* At the backslash. */
        p->p++;
        c = peek(p, 0);
        switch (c) {
        case 'b': p->p++; return toml_buffer_put(b, "\b", 1);
        case 't': p->p++; return toml_buffer_put(b, "\t", 1);
        case 'n': p->p++; return toml_buffer_put(b, "\n", 1);
        case 'f': p->p++; return toml_buffer_put(b, "\f", 1);
        case 'r': p->p++; return toml_buffer_put(b, "\r", 1);
        case '"': p->p++; return toml_buffer_put(b, "\"", 1);
        case '\\': p->p++; return toml_buffer_put(b, "\\", 1);
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
                return parser_error(p, start, "invalid escape sequence in string");
        }

        p->p++;
        for (int i = 0; i < digits; i++) {
                int h = toml_hex_digit(peek(p, 0));

                if (h < 0)
                        return parser_error(p, start, "\\%c escape needs %d hexadecimal digits", c, digits);
                cp = cp << 4 | (uint32_t) h;
                p->p++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return parser_error(p, start, "escape \\%c%0*X is not a Unicode scalar value", c, digits, cp);

        return toml_buffer_put_utf8(b, cp);
}

/* Basic strings, single- or multi-line, at the opening quote(s). The result lives in p->buffer. */
static int parse_basic_string(Parser *p, bool multiline) {
        const char *start = p->p;
        TomlBuffer *b = &p->buffer;
        int r;

        b->length = 0;
        p->p += multiline ? 3 : 1;
        if (multiline)
                (void) skip_newline(p);         /* a newline right after the opening quotes is trimmed */

        for (;;) {
                const char *run = p->p;
                uint8_t c;

                /* Copy plain runs in one go. */
                while (p->p < p->end && *p->p != '"' && *p->p != '\\' && !is_control(*p->p))
                        p->p++;
                r = toml_buffer_put(b, run, p->p - run);
                if (r < 0)
                        return r;

                if (at_end(p))
                        return parser_error(p, start, "unterminated string");

                c = *p->p;
                if (c == '"') {
                        size_t quotes = 0;

                        if (!multiline) {
                                p->p++;
                                return 0;
                        }
                        while (peek(p, quotes) == '"')
                                quotes++;
                        if (quotes < 3) {
                                r = toml_buffer_put(b, p->p, quotes);
                                if (r < 0)
                                        return r;
                                p->p += quotes;
                                continue;
                        }
                        /* Up to two quotes may stand right before the closing three. */
                        if (quotes > 5)
                                return parser_error(p, p->p + 5, "too many quotes closing a multi-line string");
                        r = toml_buffer_put(b, p->p, quotes - 3);
                        if (r < 0)
                                return r;
                        p->p += quotes;
                        return 0;
                }

                if (c == '\\') {
                        int n = peek(p, 1);

                        if (multiline && (n == ' ' || n == '\t' || n == '\n' || n == '\r')) {
                                /* Line-ending backslash: drop it and all whitespace and newlines after it. */
                                const char *backslash = p->p;

                                p->p++;
                                skip_whitespace(p);
                                if (!skip_newline(p))
                                        return parser_error(p, backslash, "invalid escape sequence in string");
                                for (;;) {
                                        skip_whitespace(p);
                                        if (!skip_newline(p))
                                                break;
                                }
                                continue;
                        }
                        r = parse_escape(p, b);
                        if (r < 0)
                                return r;
                        continue;
                }

                /* A control character. */
                if (multiline && skip_newline(p)) {
                        r = toml_buffer_put(b, "\n", 1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (c == '\n' || c == '\r')
                        return parser_error(p, p->p, "line break in single-line string");
                return parser_error(p, p->p, "control character U+%04X in string", c);
        }
}

/* Literal strings, at the opening quote(s). Single-line ones point into the input; multi-line ones go to
 * p->buffer because their CRLFs are normalized. */
static int parse_literal_string(Parser *p, bool multiline, const char **ret, size_t *ret_length) {
        const char *start = p->p;
        TomlBuffer *b = &p->buffer;
        int r;

        if (!multiline) {
                const char *text = ++p->p;

                for (;; p->p++) {
                        if (at_end(p))
                                return parser_error(p, start, "unterminated string");
                        if (*p->p == '\'')
                                break;
                        if (*p->p == '\n' || *p->p == '\r')
                                return parser_error(p, p->p, "line break in single-line string");
                        if (is_control(*p->p))
                                return parser_error(p, p->p, "control character U+%04X in string", *p->p);
                }
                *ret = text;
                *ret_length = p->p - text;
                p->p++;
                return 0;
        }

        b->length = 0;
        p->p += 3;
        (void) skip_newline(p);
        for (;;) {
                const char *run = p->p;

                while (p->p < p->end && *p->p != '\'' && !is_control(*p->p))
                        p->p++;
                r = toml_buffer_put(b, run, p->p - run);
                if (r < 0)
                        return r;

                if (at_end(p))
                        return parser_error(p, start, "unterminated string");

                if (*p->p == '\'') {
                        size_t quotes = 0;

                        while (peek(p, quotes) == '\'')
                                quotes++;
                        if (quotes >= 3 && quotes > 5)
                                return parser_error(p, p->p + 5, "too many quotes closing a multi-line string");
                        r = toml_buffer_put(b, p->p, quotes >= 3 ? quotes - 3 : quotes);
                        if (r < 0)
                                return r;
                        p->p += quotes;
                        if (quotes >= 3)
                                break;
                        continue;
                }

                if (skip_newline(p)) {
                        r = toml_buffer_put(b, "\n", 1);
                        if (r < 0)
                                return r;
                        continue;
                }
                return parser_error(p, p->p, "control character U+%04X in string", *p->p);
        }

        *ret = b->data ?: "";
        *ret_length = b->length;
        return 0;
}

static int key_path_add(Parser *p, KeyPart **ret) {
        KeyPath *k = &p->key;

        if (k->n >= k->allocated) {
                size_t n = MAX(k->allocated * 2, 8u);
                KeyPart *parts;

                parts = reallocarray(k->parts, n, sizeof(KeyPart));
                if (!parts)
                        return -ENOMEM;
                k->parts = parts;
                k->allocated = n;
        }
        *ret = k->parts + k->n++;
        **ret = (KeyPart) {
                .where = p->p,
                .line = p->line,
                .column = count_columns(p->line_start, p->p),
        };
        return 0;
}

/* A possibly dotted key into p->key. */
static int parse_key(Parser *p) {
        int r;

        key_path_clear(&p->key);
        for (;;) {
                KeyPart *part;
                int c = peek(p, 0);

                r = key_path_add(p, &part);
                if (r < 0)
                        return r;

                if (c == '"') {
                        if (peek(p, 1) == '"' && peek(p, 2) == '"')
                                return parser_error(p, p->p, "multi-line strings cannot be keys");
                        r = parse_basic_string(p, false);
                        if (r < 0)
                                return r;
                        part->owned = toml_buffer_steal(&p->buffer, &part->length);
                        if (!part->owned)
                                return -ENOMEM;
                        part->text = part->owned;
                } else if (c == '\'') {
                        if (peek(p, 1) == '\'' && peek(p, 2) == '\'')
                                return parser_error(p, p->p, "multi-line strings cannot be keys");
                        r = parse_literal_string(p, false, &part->text, &part->length);
                        if (r < 0)
                                return r;
                } else if (is_bare_key_char(c)) {
                        part->text = p->p;
                        while (is_bare_key_char(peek(p, 0)))
                                p->p++;
                        part->length = p->p - part->text;
                } else if (at_end(p) || c == '\n' || c == '\r')
                        return parser_error(p, p->p, "expected a key");
                else
                        return parser_error(p, p->p, "invalid character in key");

                part->hash = toml_key_hash(part->text, part->length);

                skip_whitespace(p);
                if (peek(p, 0) != '.')
                        return 0;
                p->p++;
                skip_whitespace(p);
        }
}

static char *key_part_dup(const KeyPart *part) {
        char *s;

        s = malloc(part->length + 1);
        if (!s)
                return NULL;
        memcpy(s, part->text, part->length);
        s[part->length] = 0;
        return s;
}

static int table_insert_part(TomlValue *t, const KeyPart *part, TomlValue *v) {
        char *key;
        int r;

        key = key_part_dup(part);
        if (!key)
                return -ENOMEM;
        r = toml_table_insert(t, key, part->length, part->hash, v);
        if (r < 0)
                free(key);
        return r;
}

/* Creates an empty table under the key, owned by t. */
static int table_add_table(TomlValue *t, const KeyPart *part, TomlValue **ret) {
        TomlValue *child;
        int r;

        child = toml_value_new(TOML_TABLE, part->line, part->column);
        if (!child)
                return -ENOMEM;
        r = table_insert_part(t, part, child);
        if (r < 0) {
                toml_value_free(child);
                return r;
        }
        *ret = child;
        return 0;
}

static int key_error(Parser *p, const KeyPart *part, const char *before, const char *after) {
        /* Keys may hold anything; show them only when printable and short. */
        bool printable = part->length <= 64;

        for (size_t i = 0; printable && i < part->length; i++)
                if (is_control(part->text[i]))
                        printable = false;

        return parser_error(p, part->where, "%s'%.*s'%s", before, printable ? (int) part->length : 3,
                            printable ? part->text : "...", after);
}

static const char *type_noun(const TomlValue *v) {
        if (v->type == TOML_ARRAY)
                return v->table_array ? "an array of tables" : "an array";
        if (v->type == TOML_TABLE)
                return v->frozen ? "an inline table" : "a table";
        return "a value";
}

static int value_type_error(Parser *p, const KeyPart *part, const TomlValue *v) {
        char suffix[64];

        (void) snprintf(suffix, sizeof(suffix), " is already defined as %s", type_noun(v));
        return key_error(p, part, "key ", suffix);
}

/* Inline tables and static arrays can never change again, nor anything inside them. */
static void value_freeze(TomlValue *v) {
        if (v->frozen)
                return;
        v->frozen = true;
        if (v->type == TOML_TABLE)
                for (size_t i = 0; i < v->table.n; i++)
                        value_freeze(v->table.entries[i].value);
        else if (v->type == TOML_ARRAY)
                for (size_t i = 0; i < v->array.n; i++)
                        value_freeze(v->array.items[i]);
}

/* Stores a parsed key/value pair (key in p->key) into the table t: creates the tables of a dotted key
 * and enforces the rules on redefinition. Takes ownership of v on success. */
static int table_store(Parser *p, TomlValue *t, TomlValue *v) {
        const KeyPart *last = p->key.parts + p->key.n - 1;
        int r;

        for (size_t i = 0; i + 1 < p->key.n; i++) {
                const KeyPart *part = p->key.parts + i;
                TomlValue *child;

                child = toml_table_lookup(t, part->text, part->length, part->hash);
                if (!child) {
                        r = table_add_table(t, part, &child);
                        if (r < 0)
                                return r;
                        child->dotted = true;
                        child->dotted_section = p->section;
                } else if (child->type != TOML_TABLE)
                        return value_type_error(p, part, child);
                else if (child->frozen)
                        return key_error(p, part, "cannot add keys to inline table ", "");
                else if (child->defined || (child->dotted && child->dotted_section != p->section))
                        return key_error(p, part, "table ",
                                         " is already defined, dotted keys cannot extend it");
                t = child;
        }

        if (toml_table_lookup(t, last->text, last->length, last->hash))
                return key_error(p, last, "duplicate key ", "");

        return table_insert_part(t, last, v);
}

static int parse_value(Parser *p, TomlValue **ret);

static int parse_array(Parser *p, TomlValue **ret) {
        _cleanup_(toml_value_freep) TomlValue *a = NULL;
        const char *start = p->p;
        int r;

        a = toml_value_new(TOML_ARRAY, p->line, count_columns(p->line_start, p->p));
        if (!a)
                return -ENOMEM;

        p->p++;
        for (;;) {
                TomlValue *item;

                r = skip_blank(p);
                if (r < 0)
                        return r;
                if (peek(p, 0) == ']')
                        break;
                if (at_end(p))
                        return parser_error(p, start, "unterminated array");

                r = parse_value(p, &item);
                if (r < 0)
                        return r;
                r = toml_array_append(a, item);
                if (r < 0) {
                        toml_value_free(item);
                        return r;
                }

                r = skip_blank(p);
                if (r < 0)
                        return r;
                if (peek(p, 0) == ',') {
                        p->p++;
                        continue;
                }
                if (peek(p, 0) == ']')
                        break;
                if (at_end(p))
                        return parser_error(p, start, "unterminated array");
                return parser_error(p, p->p, "expected ',' or ']' in array");
        }
        p->p++;

        *ret = TAKE_PTR(a);
        return 0;
}

/* The value of a key/value pair, with the key in p->key; then stores it into t. */
static int parse_key_value(Parser *p, TomlValue *t) {
        const KeyPart *last;
        TomlValue *v;
        unsigned saved_depth = p->depth;
        int r;

        r = parse_key(p);
        if (r < 0)
                return r;
        if (peek(p, 0) != '=')
                return parser_error(p, p->p, at_end(p) || peek(p, 0) == '\n' || peek(p, 0) == '\r' ?
                                    "expected '=' after key" :
                                    "unexpected character after key, expected '='");
        p->p++;
        skip_whitespace(p);

        if (p->depth + p->key.n > TOML_DEPTH_MAX)
                return parser_error(p, p->key.parts[0].where, "tables nested too deeply");

        /* Values may hold inline tables with keys of their own, so the key is stolen for the duration. */
        KeyPath key = p->key;
        p->key = (KeyPath) {};
        p->depth += key.n;
        r = parse_value(p, &v);
        p->depth = saved_depth;
        key_path_done(&p->key);
        p->key = key;
        if (r < 0)
                return r;

        last = p->key.parts + p->key.n - 1;
        v->line = last->line;
        v->column = last->column;
        if (IN_SET(v->type, TOML_TABLE, TOML_ARRAY))
                value_freeze(v);

        r = table_store(p, t, v);
        if (r < 0)
                toml_value_free(v);
        return r;
}

static int parse_inline_table(Parser *p, TomlValue **ret) {
        _cleanup_(toml_value_freep) TomlValue *t = NULL;
        const char *start = p->p;
        int r;

        t = toml_value_new(TOML_TABLE, p->line, count_columns(p->line_start, p->p));
        if (!t)
                return -ENOMEM;

        p->p++;
        skip_whitespace(p);
        if (peek(p, 0) == '}') {
                p->p++;
                *ret = TAKE_PTR(t);
                return 0;
        }

        for (;;) {
                skip_whitespace(p);
                if (at_end(p))
                        return parser_error(p, start, "unterminated inline table");
                if (peek(p, 0) == '\n' || peek(p, 0) == '\r')
                        return parser_error(p, p->p, "line break in inline table");
                if (peek(p, 0) == '}')
                        return parser_error(p, p->p, "trailing comma in inline table");

                r = parse_key_value(p, t);
                if (r < 0)
                        return r;

                skip_whitespace(p);
                if (peek(p, 0) == ',') {
                        p->p++;
                        continue;
                }
                if (peek(p, 0) == '}')
                        break;
                if (at_end(p))
                        return parser_error(p, start, "unterminated inline table");
                if (peek(p, 0) == '\n' || peek(p, 0) == '\r')
                        return parser_error(p, p->p, "line break in inline table");
                return parser_error(p, p->p, "expected ',' or '}' in inline table");
        }
        p->p++;

        *ret = TAKE_PTR(t);
        return 0;
}

static int parse_scalar(Parser *p, TomlValue **ret) {
        const char *start = p->p;
        TomlScalar s = {};
        TomlValue *v;
        const char *error = NULL;
        int r;

        r = toml_scan_scalar(p->p, p->end, &s, &error);
        if (r < 0)
                return parser_error(p, s.error_at ?: start, "%s", error ?: "invalid value");

        v = toml_value_new(s.type, p->line, count_columns(p->line_start, start));
        if (!v)
                return -ENOMEM;
        switch (s.type) {
        case TOML_INTEGER:
                v->integer = s.integer;
                break;
        case TOML_FLOAT:
                v->fp = s.fp;
                break;
        case TOML_BOOLEAN:
                v->boolean = s.boolean;
                break;
        default:
                v->datetime = s.datetime;
        }
        p->p = s.end;
        *ret = v;
        return 0;
}

static int parse_value(Parser *p, TomlValue **ret) {
        unsigned line = p->line, column;
        TomlValue *v;
        const char *text;
        size_t length;
        int r;

        if (p->depth >= TOML_DEPTH_MAX)
                return parser_error(p, p->p, "values nested too deeply");

        switch (peek(p, 0)) {
        case '[':
                p->depth++;
                r = parse_array(p, ret);
                p->depth--;
                return r;
        case '{':
                p->depth++;
                r = parse_inline_table(p, ret);
                p->depth--;
                return r;
        case '"':
        case '\'':
                break;
        case -1:
        case '\n':
        case '\r':
        case '#':
                return parser_error(p, p->p, "expected a value");
        default:
                return parse_scalar(p, ret);
        }

        column = count_columns(p->line_start, p->p);
        if (peek(p, 0) == '"') {
                r = parse_basic_string(p, peek(p, 1) == '"' && peek(p, 2) == '"');
                if (r < 0)
                        return r;
                text = p->buffer.data ?: "";
                length = p->buffer.length;
        } else {
                r = parse_literal_string(p, peek(p, 1) == '\'' && peek(p, 2) == '\'', &text, &length);
                if (r < 0)
                        return r;
        }

        v = toml_value_new_string(text, length, line, column);
        if (!v)
                return -ENOMEM;
        *ret = v;
        return 0;
}

/* [table] or [[array of tables]]: finds or creates the table, which becomes the current section. */
static int parse_header(Parser *p, TomlValue *root, TomlValue **ret_section) {
        const char *start = p->p;
        bool array = peek(p, 1) == '[';
        const KeyPart *last;
        TomlValue *t = root, *child;
        unsigned depth = 0;
        int r;

        p->p += array ? 2 : 1;
        skip_whitespace(p);
        r = parse_key(p);
        if (r < 0)
                return r;
        if (peek(p, 0) != ']' || (array && peek(p, 1) != ']'))
                return parser_error(p, p->p, array ? "expected ']]' to close the header" :
                                    "expected ']' to close the header");
        p->p += array ? 2 : 1;

        p->section++;

        for (size_t i = 0; i + 1 < p->key.n; i++) {
                const KeyPart *part = p->key.parts + i;

                child = toml_table_lookup(t, part->text, part->length, part->hash);
                if (!child) {
                        r = table_add_table(t, part, &child);
                        if (r < 0)
                                return r;
                        depth++;
                } else if (child->type == TOML_TABLE && !child->frozen)
                        depth++;
                else if (child->type == TOML_ARRAY && child->table_array) {
                        /* Headers below an array of tables extend its latest element. */
                        child = child->array.items[child->array.n - 1];
                        depth += 2;
                } else if (child->type == TOML_TABLE)
                        return key_error(p, part, "cannot add to inline table ", "");
                else
                        return value_type_error(p, part, child);
                t = child;
        }

        last = p->key.parts + p->key.n - 1;
        depth += array ? 2 : 1;
        if (depth > TOML_DEPTH_MAX)
                return parser_error(p, start, "tables nested too deeply");

        child = toml_table_lookup(t, last->text, last->length, last->hash);
        if (!array) {
                if (!child) {
                        r = table_add_table(t, last, &child);
                        if (r < 0)
                                return r;
                } else if (child->type != TOML_TABLE)
                        return value_type_error(p, last, child);
                else if (child->frozen)
                        return key_error(p, last, "cannot redefine inline table ", "");
                else if (child->defined || child->dotted)
                        return key_error(p, last, "table ", " is defined twice");
                /* A table created on the way to another is defined only now: point at this header. */
                child->defined = true;
                child->line = last->line;
                child->column = last->column;
        } else {
                TomlValue *element;

                if (!child) {
                        child = toml_value_new(TOML_ARRAY, last->line, last->column);
                        if (!child)
                                return -ENOMEM;
                        child->table_array = true;
                        r = table_insert_part(t, last, child);
                        if (r < 0) {
                                toml_value_free(child);
                                return r;
                        }
                } else if (child->type != TOML_ARRAY || !child->table_array)
                        return value_type_error(p, last, child);

                element = toml_value_new(TOML_TABLE, last->line, last->column);
                if (!element)
                        return -ENOMEM;
                element->defined = true;
                r = toml_array_append(child, element);
                if (r < 0) {
                        toml_value_free(element);
                        return r;
                }
                child = element;
        }

        p->section_depth = depth;
        *ret_section = child;
        return 0;
}

static int parse_document(Parser *p, TomlValue *root) {
        TomlValue *section = root;
        int r;

        for (;;) {
                int c;

                skip_whitespace(p);
                c = peek(p, 0);
                if (c < 0)
                        return 0;
                if (c == '#') {
                        r = expect_end_of_line(p, "comment");
                } else if (c == '\n' || c == '\r') {
                        r = expect_end_of_line(p, "empty line");
                } else if (c == '[') {
                        r = parse_header(p, root, &section);
                        if (r >= 0)
                                r = expect_end_of_line(p, "table header");
                } else {
                        p->depth = p->section_depth;
                        r = parse_key_value(p, section);
                        if (r >= 0)
                                r = expect_end_of_line(p, "value");
                }
                if (r < 0)
                        return r;
        }
}

int toml_parse(const char *text, size_t size, const char *filename, TomlValue **ret, TomlError *ret_error) {
        _cleanup_(toml_value_freep) TomlValue *root = NULL;
        const char *bad;
        Parser p;
        int r;

        if ((!text && size > 0) || !ret)
                return -EINVAL;
        if (!text)
                text = "";

        p = (Parser) {
                .begin = text,
                .p = text,
                .end = text + size,
                .line_start = text,
                .line = 1,
                .filename = filename,
                .error = ret_error,
        };


        bad = toml_utf8_validate(text, p.end);
        if (bad)
                return parser_error(&p, bad, "invalid UTF-8");

        /* A byte order mark is allowed at the very start. */
        if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                p.p += 3;

        root = toml_value_new(TOML_TABLE, 1, 1);
        if (!root)
                return parser_oom(&p);

        r = parse_document(&p, root);
        key_path_done(&p.key);
        free(p.buffer.data);
        if (r == -ENOMEM)
                return parser_oom(&p);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(root);
        return 0;
}

static int file_error(TomlError *e, const char *path, int r, const char *what) {
        if (e) {
                *e = (TomlError) { .filename = path };
                (void) snprintf(e->message, sizeof(e->message), "%s: %s", what, strerror(-r));
        }
        return r;
}

int toml_parse_file(const char *path, TomlValue **ret, TomlError *ret_error) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        size_t size = 0, allocated = 0;
        struct stat st;

        if (!path || !ret)
                return -EINVAL;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return file_error(ret_error, path, -errno, "cannot open");
        if (fstat(fd, &st) < 0)
                return file_error(ret_error, path, -errno, "cannot stat");
        if (S_ISDIR(st.st_mode))
                return file_error(ret_error, path, -EISDIR, "cannot read");
        if (S_ISREG(st.st_mode) && st.st_size > (off_t) TOML_FILE_SIZE_MAX)
                return file_error(ret_error, path, -EFBIG, "cannot read");

        /* Read until EOF rather than trusting st_size: the file may be a pipe or change under us. */
        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        size_t hint = S_ISREG(st.st_mode) ? (size_t) st.st_size : 0;
                        size_t want = MAX(allocated * 2, hint + 4096);
                        char *d;

                        if (want > TOML_FILE_SIZE_MAX + 4096)
                                return file_error(ret_error, path, -EFBIG, "cannot read");
                        d = realloc(data, want);
                        if (!d)
                                return file_error(ret_error, path, -ENOMEM, "cannot read");
                        data = d;
                        allocated = want;
                }
                n = read(fd, data + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return file_error(ret_error, path, -errno, "cannot read");
                }
                if (n == 0)
                        break;
                size += n;
        }

        return toml_parse(data, size, path, ret, ret_error);
}

char *toml_error_format(const TomlError *e, char *buf, size_t size) {
        if (!buf || size == 0)
                return buf;
        if (!e) {
                buf[0] = 0;
                return buf;
        }
        if (e->line == 0)
                (void) snprintf(buf, size, "%s%s%s", e->filename ?: "", e->filename ? ": " : "", e->message);
        else
                (void) snprintf(buf, size, "%s%s%u:%u: %s", e->filename ?: "", e->filename ? ":" : "",
                                e->line, e->column, e->message);
        return buf;
}
