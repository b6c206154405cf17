/* Sample node agent. */
#include <stdio.h>
#include <string.h>

#include <stubc.h>

#ifndef KUBE_VERSION
#error "KUBE_VERSION must be defined"
#endif

int main(int argc, char **argv)
{
    const char *config = "/etc/kubernetes/kubelet/config";
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("Kubernetes v%s\n", KUBE_VERSION);
            return 0;
        }
        if (strncmp(argv[i], "--config=", 9) == 0)
            config = argv[i] + 9;
    }
    return stubc_say("kubelet", config) ? 1 : 0;
}
