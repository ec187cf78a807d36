/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcurl, loaded by the registry client when its first request starts and unloaded by the image
 * puller once no pull is left (see dlopen-util.h). curl_global_init() runs at each load. */

#include <curl/curl.h>

#include "dlopen-util.h"

#define CURL_LIBRARY_SONAME "libcurl.so.4"

extern DlLibrary curl_library;

extern DLSYM_PROTOTYPE(curl_easy_cleanup);
extern DLSYM_PROTOTYPE(curl_easy_getinfo);
extern DLSYM_PROTOTYPE(curl_easy_init);
extern DLSYM_PROTOTYPE(curl_easy_pause);
extern DLSYM_PROTOTYPE(curl_easy_reset);
extern DLSYM_PROTOTYPE(curl_easy_setopt);
extern DLSYM_PROTOTYPE(curl_easy_strerror);
extern DLSYM_PROTOTYPE(curl_multi_add_handle);
extern DLSYM_PROTOTYPE(curl_multi_assign);
extern DLSYM_PROTOTYPE(curl_multi_cleanup);
extern DLSYM_PROTOTYPE(curl_multi_info_read);
extern DLSYM_PROTOTYPE(curl_multi_init);
extern DLSYM_PROTOTYPE(curl_multi_remove_handle);
extern DLSYM_PROTOTYPE(curl_multi_setopt);
extern DLSYM_PROTOTYPE(curl_multi_socket_action);
extern DLSYM_PROTOTYPE(curl_slist_append);
extern DLSYM_PROTOTYPE(curl_slist_free_all);
