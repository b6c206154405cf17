#include <string.h>

#include <stubc.h>

#include "capability.h"

static const struct {
    int cap;
    const char *name;
} cap_names[] = {
    { CAP_CHOWN, "cap_chown" },
    { CAP_NET_ADMIN, "cap_net_admin" },
    { CAP_SYS_ADMIN, "cap_sys_admin" },
};

#define N_NAMES (sizeof(cap_names) / sizeof(cap_names[0]))

const char *cap_to_name(int cap)
{
    unsigned int i;

    for (i = 0; i < N_NAMES; i++)
        if (cap_names[i].cap == cap)
            return cap_names[i].name;
    return 0;
}

int cap_from_name(const char *name)
{
    unsigned int i;

    for (i = 0; name && i < N_NAMES; i++)
        if (strcmp(cap_names[i].name, name) == 0)
            return cap_names[i].cap;
    return -1;
}

int cap_print_mask(cap_mask_t mask)
{
    int cap, count = 0;

    for (cap = 0; cap <= CAP_LAST_CAP; cap++) {
        if (mask & (1ULL << cap)) {
            const char *name = cap_to_name(cap);
            stubc_say("cap", name ? name : "unknown");
            count++;
        }
    }
    return count;
}
