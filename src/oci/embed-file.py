#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Turns a data file into a C source with a NUL-terminated array and its size, for the build.
import sys

src, out, symbol = sys.argv[1:4]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* Generated from %s at build time. */\n#include <stddef.h>\n\n' % src.split('/')[-1])
    f.write('const char %s[] = {\n' % symbol)
    for i in range(0, len(data), 16):
        f.write('        ' + ' '.join('0x%02x,' % b for b in data[i:i + 16]) + '\n')
    f.write('        0x00,\n};\nconst size_t %s_size = %d;\n' % (symbol, len(data)))
