/* SPDX-License-Identifier: Apache-2.0 */
#include "container-state-json.h"
#include "tap.h"

int main(void) {
        return tap_done();
}
