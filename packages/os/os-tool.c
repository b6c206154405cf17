/* First-party system tools of the sample OS, built from one source file.
 * TOOL selects the program. */
#include <stdio.h>
#include <string.h>

#include <stubc.h>

#ifndef TOOL
#error "TOOL must be defined"
#endif

static const char *describe(const char *tool)
{
    if (strcmp(tool, "apiclient") == 0)
        return "talks to the settings API";
    if (strcmp(tool, "storewolf") == 0)
        return "seeds the datastore from /etc/storewolf/defaults.toml";
    if (strcmp(tool, "host-ctr") == 0)
        return "runs host containers";
    if (strcmp(tool, "updog") == 0)
        return "checks for and applies updates";
    return "unknown tool";
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("%s 0.0 (libc %s)\n", TOOL, stubc_version());
        return 0;
    }
    return stubc_say(TOOL, describe(TOOL)) ? 1 : 0;
}
