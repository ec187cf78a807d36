/* SPDX-License-Identifier: Apache-2.0 */
#include "archive-library.h"

DLSYM_PROTOTYPE(archive_entry_filetype) = NULL;
DLSYM_PROTOTYPE(archive_entry_gid) = NULL;
DLSYM_PROTOTYPE(archive_entry_hardlink) = NULL;
DLSYM_PROTOTYPE(archive_entry_mtime) = NULL;
DLSYM_PROTOTYPE(archive_entry_mtime_is_set) = NULL;
DLSYM_PROTOTYPE(archive_entry_mtime_nsec) = NULL;
DLSYM_PROTOTYPE(archive_entry_pathname) = NULL;
DLSYM_PROTOTYPE(archive_entry_perm) = NULL;
DLSYM_PROTOTYPE(archive_entry_rdevmajor) = NULL;
DLSYM_PROTOTYPE(archive_entry_rdevminor) = NULL;
DLSYM_PROTOTYPE(archive_entry_size) = NULL;
DLSYM_PROTOTYPE(archive_entry_size_is_set) = NULL;
DLSYM_PROTOTYPE(archive_entry_symlink) = NULL;
DLSYM_PROTOTYPE(archive_entry_uid) = NULL;
DLSYM_PROTOTYPE(archive_entry_xattr_next) = NULL;
DLSYM_PROTOTYPE(archive_entry_xattr_reset) = NULL;
DLSYM_PROTOTYPE(archive_error_string) = NULL;
DLSYM_PROTOTYPE(archive_read_data_block) = NULL;
DLSYM_PROTOTYPE(archive_read_free) = NULL;
DLSYM_PROTOTYPE(archive_read_new) = NULL;
DLSYM_PROTOTYPE(archive_read_next_header) = NULL;
DLSYM_PROTOTYPE(archive_read_open) = NULL;
DLSYM_PROTOTYPE(archive_read_support_filter_gzip) = NULL;
DLSYM_PROTOTYPE(archive_read_support_filter_zstd) = NULL;
DLSYM_PROTOTYPE(archive_read_support_format_raw) = NULL;
DLSYM_PROTOTYPE(archive_read_support_format_tar) = NULL;
DLSYM_PROTOTYPE(archive_set_error) = NULL;

static const DlSymbol archive_symbols[] = {
        DLSYM_ARG(archive_entry_filetype),
        DLSYM_ARG(archive_entry_gid),
        DLSYM_ARG(archive_entry_hardlink),
        DLSYM_ARG(archive_entry_mtime),
        DLSYM_ARG(archive_entry_mtime_is_set),
        DLSYM_ARG(archive_entry_mtime_nsec),
        DLSYM_ARG(archive_entry_pathname),
        DLSYM_ARG(archive_entry_perm),
        DLSYM_ARG(archive_entry_rdevmajor),
        DLSYM_ARG(archive_entry_rdevminor),
        DLSYM_ARG(archive_entry_size),
        DLSYM_ARG(archive_entry_size_is_set),
        DLSYM_ARG(archive_entry_symlink),
        DLSYM_ARG(archive_entry_uid),
        DLSYM_ARG(archive_entry_xattr_next),
        DLSYM_ARG(archive_entry_xattr_reset),
        DLSYM_ARG(archive_error_string),
        DLSYM_ARG(archive_read_data_block),
        DLSYM_ARG(archive_read_free),
        DLSYM_ARG(archive_read_new),
        DLSYM_ARG(archive_read_next_header),
        DLSYM_ARG(archive_read_open),
        DLSYM_ARG(archive_read_support_filter_gzip),
        DLSYM_ARG(archive_read_support_filter_zstd),
        DLSYM_ARG(archive_read_support_format_raw),
        DLSYM_ARG(archive_read_support_format_tar),
        DLSYM_ARG(archive_set_error),
};

ELF_NOTE_DLOPEN(archive_dlopen_note,
                "[{\"feature\":\"unpack\",\"description\":\"unpacking image layers\","
                "\"priority\":\"required\",\"soname\":[\"libarchive.so.13\"]}]");

DlLibrary archive_library = DL_LIBRARY_INIT(ARCHIVE_LIBRARY_SONAME, archive_symbols, NULL, NULL);
