/* Sample container daemon and client, built from one source file.
 * PROGRAM selects the binary; SAMPLE_FIPS marks the FIPS edition. */
#include <stdio.h>
#include <string.h>

#include <seccomp.h>
#include <stubc.h>

#ifndef PROGRAM
#define PROGRAM "containerd"
#endif

#ifdef SAMPLE_FIPS
#define EDITION "fips"
#else
#define EDITION "standard"
#endif

#define CONTAINERD_VERSION "1.7.22"

int main(int argc, char **argv)
{
    scmp_filter_ctx ctx;
    int rc;

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("%s %s (%s edition)\n", PROGRAM, CONTAINERD_VERSION, EDITION);
        return 0;
    }
    /* The default profile handed to runc for every container. */
    ctx = seccomp_init(SCMP_ACT_KILL);
    if (!ctx)
        return 1;
    rc = seccomp_rule_add_name(ctx, SCMP_ACT_ALLOW, "read");
    rc |= seccomp_rule_add_name(ctx, SCMP_ACT_ALLOW, "write");
    stubc_say(PROGRAM, EDITION);
    rc |= seccomp_export_text(ctx);
    seccomp_release(ctx);
    return rc ? 1 : 0;
}
