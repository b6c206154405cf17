/* Sample container engine daemon. */
#include <stdio.h>
#include <string.h>

#include <stubc.h>

#define DOCKER_VERSION "25.0.6"

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("Docker version %s\n", DOCKER_VERSION);
        return 0;
    }
    return stubc_say("dockerd", "using containerd at /run/containerd/containerd.sock") ? 1 : 0;
}
