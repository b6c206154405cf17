/* Sample C support library: the few functions the other sample packages use. */
#ifndef STUBC_H
#define STUBC_H

#define STUBC_VERSION "2.38"

/* Returns the library version string. */
const char *stubc_version(void);

/* Writes "<tag>: <msg>\n" to standard output; returns 0 on success. */
int stubc_say(const char *tag, const char *msg);

#endif /* STUBC_H */
