/* SPDX-License-Identifier: Apache-2.0 */
#include "curl-library.h"

DLSYM_PROTOTYPE(curl_easy_cleanup) = NULL;
DLSYM_PROTOTYPE(curl_easy_getinfo) = NULL;
DLSYM_PROTOTYPE(curl_easy_init) = NULL;
DLSYM_PROTOTYPE(curl_easy_pause) = NULL;
DLSYM_PROTOTYPE(curl_easy_reset) = NULL;
DLSYM_PROTOTYPE(curl_easy_setopt) = NULL;
DLSYM_PROTOTYPE(curl_easy_strerror) = NULL;
DLSYM_PROTOTYPE(curl_multi_add_handle) = NULL;
DLSYM_PROTOTYPE(curl_multi_assign) = NULL;
DLSYM_PROTOTYPE(curl_multi_cleanup) = NULL;
DLSYM_PROTOTYPE(curl_multi_info_read) = NULL;
DLSYM_PROTOTYPE(curl_multi_init) = NULL;
DLSYM_PROTOTYPE(curl_multi_remove_handle) = NULL;
DLSYM_PROTOTYPE(curl_multi_setopt) = NULL;
DLSYM_PROTOTYPE(curl_multi_socket_action) = NULL;
DLSYM_PROTOTYPE(curl_slist_append) = NULL;
DLSYM_PROTOTYPE(curl_slist_free_all) = NULL;
DLSYM_PROTOTYPE(curl_global_init) = NULL;
DLSYM_PROTOTYPE(curl_global_cleanup) = NULL;

static int curl_library_init(void) {
        return sym_curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK ? 0 : -EIO;
}

static void curl_library_cleanup(void) {
        sym_curl_global_cleanup();
}

static const DlSymbol curl_symbols[] = {
        DLSYM_ARG(curl_easy_cleanup),
        DLSYM_ARG(curl_easy_getinfo),
        DLSYM_ARG(curl_easy_init),
        DLSYM_ARG(curl_easy_pause),
        DLSYM_ARG(curl_easy_reset),
        DLSYM_ARG(curl_easy_setopt),
        DLSYM_ARG(curl_easy_strerror),
        DLSYM_ARG(curl_multi_add_handle),
        DLSYM_ARG(curl_multi_assign),
        DLSYM_ARG(curl_multi_cleanup),
        DLSYM_ARG(curl_multi_info_read),
        DLSYM_ARG(curl_multi_init),
        DLSYM_ARG(curl_multi_remove_handle),
        DLSYM_ARG(curl_multi_setopt),
        DLSYM_ARG(curl_multi_socket_action),
        DLSYM_ARG(curl_slist_append),
        DLSYM_ARG(curl_slist_free_all),
        DLSYM_ARG(curl_global_init),
        DLSYM_ARG(curl_global_cleanup),
};

ELF_NOTE_DLOPEN(curl_dlopen_note,
                "[{\"feature\":\"pull\",\"description\":\"image pulls from registries\","
                "\"priority\":\"required\",\"soname\":[\"libcurl.so.4\"]}]");

DlLibrary curl_library = DL_LIBRARY_INIT(CURL_LIBRARY_SONAME, curl_symbols, curl_library_init,
                                         curl_library_cleanup);
