/* Sample capability library. */
#ifndef SYS_CAPABILITY_H
#define SYS_CAPABILITY_H

#define CAP_CHOWN 0
#define CAP_NET_ADMIN 12
#define CAP_SYS_ADMIN 21
#define CAP_LAST_CAP 40

typedef unsigned long long cap_mask_t;

/* Returns the canonical name of a capability ("cap_sys_admin"), or NULL. */
const char *cap_to_name(int cap);

/* Returns the capability number for a name, or -1. */
int cap_from_name(const char *name);

/* Prints every capability set in mask, one per line; returns the count. */
int cap_print_mask(cap_mask_t mask);

#endif /* SYS_CAPABILITY_H */
