/*
 * The sample image's init: the program the kernel (through the initramfs)
 * starts as PID 1 from the read-only, dm-verity protected root. It proves
 * that the root was reached: it prints one line
 *
 *   twoliter-ready VERSION_ID=<VERSION_ID> VARIANT_ID=<VARIANT_ID>
 *
 * with the values of the image's os-release, then powers the machine off.
 * When os-release cannot be read or lacks a field it prints
 * "twoliter-init: ..." instead (never the ready line) and powers off too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

/* The image's os-release, first where the packages install it (the spec
 * passes %{_cross_prefix}/lib/os-release), then through the filesystem
 * package's /usr link. */
#ifndef OS_RELEASE
#error "build with -DOS_RELEASE=\"<sysroot>/usr/lib/os-release\""
#endif
static const char* const kOsRelease[] = {OS_RELEASE, "/usr/lib/os-release"};

static void power_off(void) {
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

/* The kernel hands init the console; when it did not, open it. */
static void open_console(void) {
    if (fcntl(1, F_GETFD) != -1)
        return;
    int fd = open("/dev/console", O_RDWR);
    if (fd >= 0 && fd != 1)
        dup2(fd, 1);
}

static void mount_proc(void) {
    struct stat info;
    if (stat("/proc/self", &info) == 0)
        return; /* moved here by the initramfs */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
        printf("twoliter-init: cannot mount /proc: %s\n", strerror(errno));
}

/* The value of KEY= in os-release, quotes removed; NULL when absent. */
static char* field(FILE* file, const char* key) {
    char line[512];
    size_t length = strlen(key);
    rewind(file);
    while (fgets(line, sizeof line, file)) {
        if (strncmp(line, key, length) != 0 || line[length] != '=')
            continue;
        char* value = line + length + 1;
        value[strcspn(value, "\n")] = '\0';
        size_t size = strlen(value);
        if (size >= 2 && value[0] == '"' && value[size - 1] == '"') {
            value[size - 1] = '\0';
            value++;
        }
        return strdup(value);
    }
    return NULL;
}

int main(void) {
    open_console();
    mount_proc();
    FILE* file = NULL;
    const char* path = NULL;
    for (size_t i = 0; !file && i < sizeof kOsRelease / sizeof kOsRelease[0]; i++)
        file = fopen(path = kOsRelease[i], "r");
    if (!file) {
        printf("twoliter-init: no os-release in the root (%s)\n", strerror(errno));
        power_off();
    }
    char* version = field(file, "VERSION_ID");
    char* variant = field(file, "VARIANT_ID");
    fclose(file);
    if (!version || !variant)
        printf("twoliter-init: %s has no %s\n", path, version ? "VARIANT_ID" : "VERSION_ID");
    else
        printf("twoliter-ready VERSION_ID=%s VARIANT_ID=%s\n", version, variant);
    power_off();
    return 0;
}
