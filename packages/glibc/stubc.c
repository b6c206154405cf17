#include <stdio.h>

#include "stubc.h"

const char *stubc_version(void)
{
    return STUBC_VERSION;
}

int stubc_say(const char *tag, const char *msg)
{
    if (printf("%s: %s\n", tag ? tag : "?", msg ? msg : "") < 0)
        return -1;
    return fflush(stdout) == 0 ? 0 : -1;
}
