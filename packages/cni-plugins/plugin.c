/* Sample container network plugins; PLUGIN selects which one is built. */
#include <stdio.h>
#include <stdlib.h>

#include <stubc.h>

#ifndef PLUGIN
#define PLUGIN "loopback"
#endif

int main(void)
{
    const char *command = getenv("CNI_COMMAND");

    if (!command) {
        fprintf(stderr, "%s: CNI_COMMAND is not set\n", PLUGIN);
        return 1;
    }
    if (stubc_say(PLUGIN, command) != 0)
        return 1;
    printf("{\"cniVersion\": \"1.0.0\"}\n");
    return 0;
}
