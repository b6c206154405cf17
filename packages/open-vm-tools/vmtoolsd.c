/* Sample guest agent for VMware hypervisors. */
#include <stdio.h>
#include <string.h>

#include <glib-2.0/glib.h>

#define TOOLS_VERSION "12.4.5"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("VMware Tools daemon, version %s\n", TOOLS_VERSION);
        return 0;
    }
    return g_log_checked("vmtoolsd", "guest info published") ? 1 : 0;
}
