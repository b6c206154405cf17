/* Sample utility library: key files with checksummed values. */
#ifndef GLIB_H
#define GLIB_H

#define GLIB_MAJOR_VERSION 2
#define GLIB_MINOR_VERSION 80
#define GLIB_MICRO_VERSION 0

/* Returns a checksum of the string, computed with the compression library. */
unsigned long g_str_checksum(const char *str);

/* Logs "<domain>: <msg> (checksum <n>)"; returns 0 on success. */
int g_log_checked(const char *domain, const char *msg);

#endif /* GLIB_H */
