/* Sample container orchestration agent. */
#include <stdio.h>
#include <string.h>

#include <stubc.h>

#define AGENT_VERSION "1.86.3"

int main(int argc, char **argv)
{
    const char *config = argc > 1 ? argv[1] : "/etc/ecs/ecs.config";

    if (strcmp(config, "--version") == 0) {
        printf("ecs-agent %s\n", AGENT_VERSION);
        return 0;
    }
    return stubc_say("ecs-agent", config) ? 1 : 0;
}
