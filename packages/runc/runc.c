/* Sample container runtime: prints the confinement it would apply. */
#include <stdio.h>
#include <string.h>

#include <seccomp.h>
#include <stubc.h>
#include <sys/capability.h>

#define RUNC_VERSION "1.1.14"

static int show_spec(void)
{
    static const char *allowed[] = { "read", "write", "exit_group", "futex" };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL);
    unsigned int i;
    int rc = 0;

    if (!ctx)
        return 1;
    for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        rc |= seccomp_rule_add_name(ctx, SCMP_ACT_ALLOW, allowed[i]);
    rc |= seccomp_export_text(ctx);
    seccomp_release(ctx);
    cap_print_mask((1ULL << CAP_CHOWN) | (1ULL << CAP_NET_ADMIN));
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("runc version %s (libc %s)\n", RUNC_VERSION, stubc_version());
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "spec") == 0)
        return show_spec();
    fprintf(stderr, "usage: runc [--version | spec]\n");
    return 2;
}
