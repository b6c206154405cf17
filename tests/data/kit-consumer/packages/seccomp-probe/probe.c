/* Built against the core kit's libseccomp: prints a filter's rules. */
#include <stdio.h>

#include <seccomp.h>
#include <stubc.h>

int main(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL);
    int rc;

    if (!ctx)
        return 1;
    rc = seccomp_rule_add_name(ctx, SCMP_ACT_ALLOW, "read");
    rc |= seccomp_export_text(ctx);
    seccomp_release(ctx);
    printf("seccomp-probe (libc %s)\n", stubc_version());
    return rc ? 1 : 0;
}
