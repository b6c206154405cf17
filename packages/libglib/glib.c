#include <stdio.h>
#include <string.h>

#include <stubc.h>
#include <zlib.h>

#include "glib.h"

unsigned long g_str_checksum(const char *str)
{
    if (!str)
        return 0;
    return adler32(adler32(0, 0, 0), (const unsigned char *)str, (unsigned int)strlen(str));
}

int g_log_checked(const char *domain, const char *msg)
{
    char line[256];

    snprintf(line, sizeof(line), "%s (checksum %lu)", msg ? msg : "", g_str_checksum(msg));
    return stubc_say(domain, line);
}
