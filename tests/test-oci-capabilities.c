/* SPDX-License-Identifier: Apache-2.0 */

#include "capabilities.h"
#include "tap.h"

#define L(...) ((char *const[]) { __VA_ARGS__, NULL })
#define B(name) CAPABILITY_BIT(capability_from_name(name))
/* Results that do not depend on the bounding set the tests run with. */
#define ALL_BOUNDING .has_bounding = true, .bounding = CAPABILITY_ALL_MASK

static uint64_t defaults_mask(void) {
        uint64_t m = 0;

        TAP_IS_INT(capability_mask_from_names((char *const *) capabilities_default, &m), 0, "defaults parse");
        return m;
}

static void test_names(void) {
        TAP_IS_INT(capability_from_name("chown"), 0, "chown");
        TAP_IS_INT(capability_from_name("CAP_CHOWN"), 0, "CAP_CHOWN");
        TAP_IS_INT(capability_from_name("cap_sys_admin"), 21, "cap_sys_admin");
        TAP_IS_INT(capability_from_name("Net_Raw"), 13, "mixed case");
        TAP_IS_INT(capability_from_name("CHECKPOINT_RESTORE"), 40, "the last one");
        TAP_IS_INT(capability_from_name("CAP_"), -EINVAL, "prefix alone");
        TAP_IS_INT(capability_from_name("FLY"), -EINVAL, "unknown");
        TAP_IS_STR(capability_to_name(21), "CAP_SYS_ADMIN", "to name");
        TAP_OK(!capability_to_name(CAPABILITY_MAX), "out of range");
        for (int i = 0; i < CAPABILITY_MAX; i++)
                if (capability_from_name(capability_to_name(i)) != i)
                        TAP_OK(false, "round trip of %d", i);
        TAP_IS_INT(__builtin_popcountll(defaults_mask()), 9, "nine default capabilities");
}

static void test_resolve(void) {
        OciCapabilities c;
        uint64_t d = defaults_mask();

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .last_cap = 40 }, &c), 0, "defaults");
        TAP_OK(c.bounding == d && c.effective == d && c.permitted == d, "defaults in b/e/p");
        TAP_OK(c.inheritable == 0 && c.ambient == 0, "no inheritable, no ambient");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .add = L("NET_ADMIN"), .drop = L("cap_chown"),
                                                               .last_cap = 40 }, &c), 0, "add and drop");
        TAP_OK(c.bounding == ((d | B("NET_ADMIN")) & ~B("CHOWN")), "NET_ADMIN added, CHOWN dropped");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .drop = L("ALL"), .add = L("KILL"), .last_cap = 40 },
                                        &c), 0, "drop ALL, add KILL");
        TAP_OK(c.bounding == B("KILL"), "only KILL");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .drop = L("all"), .last_cap = 40 }, &c), 0, "drop all");
        TAP_OK(c.bounding == 0 && c.effective == 0, "nothing left");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .add = L("ALL"), .drop = L("SYS_ADMIN"), .last_cap = 40 },
                                        &c), 0, "add ALL, drop SYS_ADMIN");
        TAP_OK(c.bounding == (CAPABILITY_ALL_MASK & ~B("SYS_ADMIN")), "everything but SYS_ADMIN");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .add = L("ALL"), .last_cap = 37 }, &c), 0, "older kernel");
        TAP_OK(c.bounding == (CAPABILITY_BIT(38) - 1), "capped at the kernel's last capability");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .defaults = L("CHOWN"), .add_inheritable = true,
                                                               .last_cap = 40 }, &c), 0, "custom defaults");
        TAP_OK(c.bounding == B("CHOWN") && c.inheritable == B("CHOWN"), "custom defaults, inheritable");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .privileged = true, .drop = L("ALL"), .last_cap = 40 },
                                        &c), 0, "privileged");
        TAP_OK(c.bounding == CAPABILITY_ALL_MASK && c.ambient == CAPABILITY_ALL_MASK &&
               c.inheritable == CAPABILITY_ALL_MASK, "privileged has every capability in every set");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .add = L("CAP_FLY") }, &c), -EINVAL, "unknown add");
        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { ALL_BOUNDING, .drop = L("WALK") }, &c), -EINVAL, "unknown drop");
        TAP_OK(capability_last_cap() >= 36 && capability_last_cap() < CAPABILITY_MAX, "kernel's last cap plausible");
}

static void test_bounding(void) {
        uint64_t without = CAPABILITY_ALL_MASK & ~B("SYS_RESOURCE") & ~B("SYS_MODULE");
        uint64_t own = capability_bounding_set();
        OciCapabilities c;

        /* A test host, a user namespace: crio lacks some capabilities, and the runtime could not
         * grant them. */
        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { .privileged = true, .last_cap = 40,
                                                               .has_bounding = true, .bounding = without },
                                        &c), 0, "privileged under a smaller bounding set");
        TAP_OK(c.bounding == without && c.effective == without && c.permitted == without &&
               c.inheritable == without && c.ambient == without, "every set cut to the bounding set");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { .add = L("ALL"), .last_cap = 40,
                                                               .has_bounding = true, .bounding = without },
                                        &c), 0, "add ALL under a smaller bounding set");
        TAP_OK(c.bounding == without && c.ambient == 0, "ALL is what crio has");

        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { .add = L("SYS_MODULE"), .last_cap = 40,
                                                               .has_bounding = true, .bounding = without },
                                        &c), 0, "adding a capability crio lacks");
        TAP_OK(!(c.bounding & B("SYS_MODULE")) && c.bounding == defaults_mask(), "left out, the defaults kept");

        TAP_OK(own != 0 && (own & ~CAPABILITY_ALL_MASK) == 0, "own bounding set plausible");
        TAP_OK((own >> capability_last_cap()) <= 1, "nothing above the kernel's last capability");
        TAP_IS_INT(capabilities_resolve(&(CapabilityRequest) { .privileged = true }, &c), 0, "privileged, own set");
        TAP_OK(c.bounding == own && c.effective == own, "privileged gets crio's own bounding set");
}

int main(void) {
        test_names();
        test_resolve();
        test_bounding();
        return tap_done();
}
