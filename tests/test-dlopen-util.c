/* SPDX-License-Identifier: Apache-2.0 */
/* Libraries loaded on first use: loading, users, unloading (the mapping really goes), and refusals
 * that leave nothing loaded. libarchive and libcurl are the daemon's own two. */
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "archive-library.h"
#include "curl-library.h"
#include "dlopen-util.h"
#include "macro.h"
#include "tap.h"

static bool mapped(const char *soname) {
        char line[4096];
        bool found = false;
        FILE *f = fopen("/proc/self/maps", "re");

        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = strstr(line, soname);
        fclose(f);
        return found;
}

static void test_archive(void) {
        struct archive *a;

        TAP_OK(!dl_library_is_loaded(&archive_library) && !sym_archive_read_new, "not loaded before use");
        TAP_OK(!mapped("libarchive.so"), "libarchive is not mapped at start");
        TAP_IS_INT(dl_library_acquire(&archive_library), 0, "loaded");
        TAP_IS_INT(dl_library_acquire(&archive_library), 0, "a second user");
        TAP_OK(mapped("libarchive.so") && dl_library_loads(&archive_library) == 1, "mapped, loaded once");
        a = sym_archive_read_new();
        TAP_OK(a && sym_archive_read_support_format_tar(a) == ARCHIVE_OK, "its functions work");
        sym_archive_read_free(a);
        dl_library_release(&archive_library);
        TAP_IS_INT(dl_library_unload_unused(&archive_library), 0, "kept while a user is left");
        dl_library_release(&archive_library);
        dl_library_release(&archive_library);   /* one too many is harmless */
        TAP_IS_INT(dl_library_unload_unused(&archive_library), 1, "unloaded when unused");
        TAP_OK(!sym_archive_read_new && !dl_library_is_loaded(&archive_library), "symbols cleared");
        TAP_OK(!mapped("libarchive.so"), "libarchive's mapping is gone");
        TAP_IS_INT(dl_library_unload_unused(&archive_library), 0, "nothing to unload twice");
        TAP_IS_INT(dl_library_acquire(&archive_library), 0, "loaded again");
        TAP_OK(dl_library_loads(&archive_library) == 2 && sym_archive_read_new, "second load");
        dl_library_release(&archive_library);
        TAP_IS_INT(dl_library_unload_unused(&archive_library), 1, "unloaded again");
}

static void test_curl(void) {
        CURL *easy;

        TAP_OK(!mapped("libcurl.so"), "libcurl is not mapped at start");
        TAP_IS_INT(dl_library_acquire(&curl_library), 0, "loaded, with curl_global_init");
        easy = sym_curl_easy_init();
        TAP_OK(easy, "an easy handle");
        TAP_OK(sym_curl_easy_setopt(easy, CURLOPT_URL, "http://127.0.0.1/") == CURLE_OK, "setopt");
        sym_curl_easy_cleanup(easy);
        dl_library_release(&curl_library);
        TAP_IS_INT(dl_library_unload_unused(&curl_library), 1, "unloaded, with curl_global_cleanup");
        TAP_OK(!mapped("libcurl.so"), "libcurl's mapping is gone");
}

static int init_calls;
static DLSYM_PROTOTYPE(strlen) = NULL;
static void *missing_function;
static const DlSymbol missing_symbols[] = {
        DLSYM_ARG(strlen),
        { &missing_function, "no_such_function_in_libarchive" },
};
static const DlSymbol no_symbols[] = { DLSYM_ARG(strlen) };

static int refuse_init(void) {
        init_calls++;
        return -EIO;
}

static void test_refusals(void) {
        DlLibrary missing_library = DL_LIBRARY_INIT("libno-such-library.so.0", no_symbols, NULL, NULL);
        DlLibrary missing_symbol = DL_LIBRARY_INIT(ARCHIVE_LIBRARY_SONAME, missing_symbols, NULL, NULL);
        DlLibrary failing_init = DL_LIBRARY_INIT(ARCHIVE_LIBRARY_SONAME, no_symbols, refuse_init, NULL);

        TAP_IS_INT(dl_library_acquire(&missing_library), -EOPNOTSUPP, "a missing library is refused");
        TAP_OK(!dl_library_is_loaded(&missing_library), "and not loaded");
        TAP_IS_INT(dl_library_acquire(&missing_symbol), -EOPNOTSUPP, "a missing symbol is refused");
        TAP_OK(!sym_strlen && !missing_function && !dl_library_is_loaded(&missing_symbol),
               "no symbol stays resolved");
        TAP_OK(!mapped("libarchive.so"), "nor mapped");
        TAP_IS_INT(dl_library_acquire(&failing_init), -EIO, "a failing init is refused with its error");
        TAP_OK(init_calls == 1 && !sym_strlen && !dl_library_is_loaded(&failing_init), "init ran once");
        TAP_OK(!mapped("libarchive.so"), "not mapped after a failed init");
}

/* The dlopen metadata notes of the program itself, as a package generator reads them. */
static int collect_notes(struct dl_phdr_info *info, size_t size, void *userdata) {
        char *found = userdata;

        if (info->dlpi_name && info->dlpi_name[0])      /* the program comes first, unnamed */
                return 1;
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                const uint8_t *p, *end;

                if (ph->p_type != PT_NOTE)
                        continue;
                p = (const uint8_t *) (info->dlpi_addr + ph->p_vaddr);
                end = p + ph->p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) {
                        const ElfW(Nhdr) *n = (const ElfW(Nhdr) *) p;
                        const char *name = (const char *) (n + 1);
                        const char *desc = name + ELF_NOTE_DLOPEN_ALIGN4(n->n_namesz);

                        if (n->n_type == ELF_NOTE_DLOPEN_TYPE && n->n_namesz == sizeof(ELF_NOTE_DLOPEN_OWNER) &&
                            memcmp(name, ELF_NOTE_DLOPEN_OWNER, n->n_namesz) == 0)
                                strncat(found, desc, 4096 - strlen(found) - 1);
                        p = (const uint8_t *) desc + ELF_NOTE_DLOPEN_ALIGN4(n->n_descsz);
                }
        }
        return 1;
}

static void test_notes(void) {
        char found[4096] = "";

        (void) dl_iterate_phdr(collect_notes, found);
        TAP_OK(strstr(found, "\"soname\":[\"libcurl.so.4\"]"), "libcurl named in a dlopen note: %s", found);
        TAP_OK(strstr(found, "\"soname\":[\"libarchive.so.13\"]"), "libarchive named in a dlopen note");
        TAP_OK(strstr(found, "\"priority\":\"required\""), "both required");
}

int main(void) {
        test_notes();
        test_archive();
        test_curl();
        test_refusals();
        return tap_done();
}
