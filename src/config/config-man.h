/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdio.h>

/* crio.conf(5) in roff, made from the schema: tables, keys, types, defaults and flags. */
int config_write_man(FILE *f);
