/*
 * /init of the sample kernel's initramfs: what the kernel's CONFIG_DM_INIT
 * would do for a Bottlerocket command line, for a kernel whose virtio and
 * device-mapper drivers are modules.
 *
 * Steps, each announced on the console as "initramfs: ...":
 *   1. mount devtmpfs, proc and sysfs;
 *   2. load the modules listed in /lib/modules/<uname -r>/load-order (one
 *      path relative to that folder per line, dependencies first) with
 *      finit_module;
 *   3. create every device of dm-mod.create="name,uuid,minor,flags,table
 *      [,table...][;name,...]" from /proc/cmdline with the device-mapper
 *      ioctls (DM_DEV_CREATE, DM_TABLE_LOAD, DM_DEV_SUSPEND to resume),
 *      after resolving PARTUUID=<guid>[/PARTNROFF=<n>] in the tables to
 *      major:minor from the GPT of the disks in /sys/class/block;
 *   4. mount root= (default /dev/dm-0) read-only on /root-mnt, as
 *      rootfstype= or else ext4, then erofs;
 *   5. move /dev, /proc and /sys into it, make it the root (mount --move,
 *      chroot) and exec init= (default /sbin/init) with this program's
 *      arguments and environment.
 * A failure prints "initramfs: FATAL: ..." and reboots (QEMU with
 * -no-reboot then exits); it never continues to the root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define NEW_ROOT "/root-mnt"
#define WAIT_SECONDS 30
#define MAX_TABLES 16
#define MAX_DEVICES 8

static void say(const char* format, ...) {
    va_list args;
    va_start(args, format);
    fputs("initramfs: ", stdout);
    vprintf(format, args);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(args);
}

static void fatal(const char* format, ...) {
    va_list args;
    va_start(args, format);
    fputs("initramfs: FATAL: ", stdout);
    vprintf(format, args);
    fputs(" (rebooting)\n", stdout);
    fflush(stdout);
    va_end(args);
    sync();
    sleep(1);
    reboot(RB_AUTOBOOT);
    for (;;)
        pause();
}

static void sleep_tenth(void) {
    struct timespec tenth = {0, 100 * 1000 * 1000};
    nanosleep(&tenth, NULL);
}

/* The whole of a small file (sysfs, procfs), NUL-terminated; NULL if missing. */
static char* read_text(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t size = 0, capacity = 4096;
    char* text = malloc(capacity);
    for (ssize_t n; text && (n = read(fd, text + size, capacity - size - 1)) > 0;) {
        size += (size_t)n;
        if (capacity - size < 2)
            text = realloc(text, capacity *= 2);
    }
    close(fd);
    if (text)
        text[size] = '\0';
    return text;
}

static void mount_or_die(const char* source, const char* target, const char* type) {
    mkdir(target, 0755);
    if (mount(source, target, type, MS_NOSUID | MS_NOEXEC, NULL) != 0 && errno != EBUSY)
        fatal("mounting %s on %s: %s", type, target, strerror(errno));
}

/* The kernel opens /dev/console for init when the initramfs has it; when
 * not, the devtmpfs one. */
static void open_console(void) {
    if (fcntl(1, F_GETFD) != -1)
        return;
    int fd = open("/dev/console", O_RDWR);
    if (fd < 0)
        return;
    for (int i = 0; i < 3; i++)
        dup2(fd, i);
    if (fd > 2)
        close(fd);
}

/* Step 2. */
static void load_modules(void) {
    struct utsname uts;
    uname(&uts);
    char folder[300], list[400];
    snprintf(folder, sizeof folder, "/lib/modules/%s", uts.release);
    snprintf(list, sizeof list, "%s/load-order", folder);
    char* order = read_text(list);
    if (!order)
        fatal("no %s: this initramfs was not made for kernel %s", list, uts.release);
    int loaded = 0;
    for (char* line = strtok(order, "\n"); line; line = strtok(NULL, "\n")) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", folder, line);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            fatal("cannot open module %s: %s", path, strerror(errno));
        if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
            say("loading %s failed: %s", line, strerror(errno));
        else
            loaded++;
        close(fd);
    }
    free(order);
    say("loaded %d modules for %s", loaded, uts.release);
}

/* The value of key=... in the kernel command line (quotes removed), or NULL. */
static char* cmdline_value(const char* cmdline, const char* key) {
    size_t length = strlen(key);
    for (const char* p = cmdline; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\n' || p[2] == '\0'))
            return NULL; /* what follows is init's */
        int quoted = 0;
        const char* start = p;
        while (*p && (quoted || (*p != ' ' && *p != '\n'))) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        /* GRUB quotes the whole word: "dm-mod.create=a b", the kernel's
         * own syntax quotes the value: dm-mod.create="a b". */
        char* word = strndup(start, (size_t)(p - start));
        char* out = word;
        for (char* in = word; *in; in++)
            if (*in != '"')
                *out++ = *in;
        *out = '\0';
        if (strncmp(word, key, length) == 0 && word[length] == '=') {
            memmove(word, word + length + 1, strlen(word + length + 1) + 1);
            return word;
        }
        free(word);
    }
    return NULL;
}

/* A GPT GUID as text: the first three fields are little-endian. */
static void format_guid(const unsigned char* g, char* out) {
    sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2],
            g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14],
            g[15]);
}

static uint64_t le64(const unsigned char* p) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = value << 8 | p[i];
    return value;
}

static uint32_t le32(const unsigned char* p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The number (1-based) of the partition with unique GUID guid in the GPT of
 * /dev/<disk>, or 0. */
static unsigned gpt_partition_number(const char* disk, const char* guid) {
    char path[300], attribute[300];
    snprintf(path, sizeof path, "/dev/%s", disk);
    snprintf(attribute, sizeof attribute, "/sys/class/block/%s/queue/logical_block_size", disk);
    char* text = read_text(attribute);
    unsigned sector = text ? (unsigned)atoi(text) : 512;
    free(text);
    if (sector < 512 || sector > 4096)
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    unsigned char header[4096], entry[512];
    unsigned found = 0;
    if (pread(fd, header, sector, sector) == (ssize_t)sector &&
        memcmp(header, "EFI PART", 8) == 0) {
        uint64_t entries = le64(header + 72);
        uint32_t count = le32(header + 80), size = le32(header + 84);
        for (uint32_t i = 0; i < count && i < 256 && size >= 128 && size <= sizeof entry; i++) {
            if (pread(fd, entry, size, (off_t)(entries * sector + (uint64_t)i * size)) !=
                (ssize_t)size)
                break;
            char text_guid[40];
            format_guid(entry + 16, text_guid);
            if (strcasecmp(text_guid, guid) == 0) {
                found = i + 1;
                break;
            }
        }
    }
    close(fd);
    return found;
}

/* "major:minor" of partition number of disk, into out; 0 when not there. */
static int partition_device(const char* disk, unsigned number, char* out, size_t size) {
    char folder[300];
    snprintf(folder, sizeof folder, "/sys/class/block/%s", disk);
    DIR* dir = opendir(folder);
    int found = 0;
    for (struct dirent* e; dir && !found && (e = readdir(dir));) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s/partition", folder, e->d_name);
        char* text = read_text(path);
        if (text && (unsigned)atoi(text) == number) {
            snprintf(path, sizeof path, "%s/%s/dev", folder, e->d_name);
            char* dev = read_text(path);
            if (dev) {
                dev[strcspn(dev, "\n")] = '\0';
                snprintf(out, size, "%s", dev);
                found = 1;
            }
            free(dev);
        }
        free(text);
    }
    if (dir)
        closedir(dir);
    return found;
}

/* One try at PARTUUID=<guid>[/PARTNROFF=<n>] over the disks present now. */
static int resolve_partuuid_once(const char* spec, char* out, size_t size) {
    char guid[40] = "";
    int offset = 0;
    sscanf(spec, "PARTUUID=%36[0-9a-fA-F-]/PARTNROFF=%d", guid, &offset);
    DIR* dir = opendir("/sys/class/block");
    int found = 0;
    for (struct dirent* e; dir && !found && (e = readdir(dir));) {
        char path[300];
        snprintf(path, sizeof path, "/sys/class/block/%s/partition", e->d_name);
        if (e->d_name[0] == '.' || access(path, F_OK) == 0 || strncmp(e->d_name, "dm-", 3) == 0)
            continue; /* partitions and mapped devices hold no GPT of their own */
        unsigned number = gpt_partition_number(e->d_name, guid);
        if (number)
            found = partition_device(e->d_name, number + (unsigned)offset, out, size);
    }
    if (dir)
        closedir(dir);
    return found;
}

/* PARTUUID=... or /dev/... as major:minor, waiting for the disk to appear. */
static void resolve_device(const char* spec, char* out, size_t size) {
    for (int tenth = 0; tenth < WAIT_SECONDS * 10; tenth++, sleep_tenth()) {
        struct stat info;
        if (strncmp(spec, "PARTUUID=", 9) == 0 && resolve_partuuid_once(spec, out, size))
            break;
        if (spec[0] == '/' && stat(spec, &info) == 0 && S_ISBLK(info.st_mode)) {
            snprintf(out, size, "%u:%u", major(info.st_rdev), minor(info.st_rdev));
            break;
        }
        if (tenth == WAIT_SECONDS * 10 - 1)
            fatal("no block device %s after %d s", spec, WAIT_SECONDS);
    }
    say("%s is %s", spec, out);
}

/* A table's target arguments with every device spec resolved. */
static char* resolve_arguments(const char* arguments) {
    size_t capacity = strlen(arguments) + 256;
    char* out = calloc(1, capacity);
    char* copy = strdup(arguments);
    for (char* word = strtok(copy, " "); word; word = strtok(NULL, " ")) {
        char device[64];
        const char* value = word;
        if (strncmp(word, "PARTUUID=", 9) == 0 || strncmp(word, "/dev/", 5) == 0) {
            resolve_device(word, device, sizeof device);
            value = device;
        }
        if (strlen(out) + strlen(value) + 2 > capacity)
            out = realloc(out, capacity *= 2);
        if (*out)
            strcat(out, " ");
        strcat(out, value);
    }
    free(copy);
    return out;
}

struct dm_device {
    char *name, *uuid, *minor, *flags;
    char* tables[MAX_TABLES];
    int table_count;
};

static void dm_header(struct dm_ioctl* io, size_t size, const char* name) {
    memset(io, 0, size);
    io->version[0] = DM_VERSION_MAJOR;
    io->data_size = (uint32_t)size;
    io->data_start = sizeof *io;
    snprintf(io->name, sizeof io->name, "%s", name);
}

static void dm_call(int control, unsigned long request, struct dm_ioctl* io, const char* what,
                    const char* name) {
    if (ioctl(control, request, io) != 0)
        fatal("device-mapper %s of %s failed: %s (the kernel log above says why)", what, name,
              strerror(errno));
}

/* DM_TABLE_LOAD: one dm_target_spec per table, each followed by its
 * NUL-terminated arguments (device specs resolved) padded to 8 bytes. */
static void dm_load_table(int control, const struct dm_device* device) {
    struct dm_target_spec targets[MAX_TABLES];
    char* arguments[MAX_TABLES];
    size_t size = sizeof(struct dm_ioctl);
    for (int i = 0; i < device->table_count; i++) {
        unsigned long long start = 0, length = 0;
        int used = 0;
        memset(&targets[i], 0, sizeof targets[i]);
        if (sscanf(device->tables[i], "%llu %llu %15s %n", &start, &length, targets[i].target_type,
                   &used) < 3 ||
            used == 0)
            fatal("dm-mod.create: table \"%s\" is not \"start length type args\"",
                  device->tables[i]);
        targets[i].sector_start = start;
        targets[i].length = length;
        arguments[i] = resolve_arguments(device->tables[i] + used);
        targets[i].next =
            (uint32_t)(sizeof targets[i] + ((strlen(arguments[i]) + 1 + 7) & ~(size_t)7));
        size += targets[i].next;
    }
    struct dm_ioctl* io = calloc(1, size);
    dm_header(io, size, device->name);
    if (strcmp(device->flags, "ro") == 0)
        io->flags |= DM_READONLY_FLAG;
    io->target_count = (uint32_t)device->table_count;
    char* at = (char*)io + io->data_start;
    for (int i = 0; i < device->table_count; i++) {
        memcpy(at, &targets[i], sizeof targets[i]);
        strcpy(at + sizeof targets[i], arguments[i]);
        at += targets[i].next;
        free(arguments[i]);
    }
    dm_call(control, DM_TABLE_LOAD, io, "table load", device->name);
    free(io);
}

static void dm_create(int control, const struct dm_device* device) {
    struct dm_ioctl io;
    dm_header(&io, sizeof io, device->name);
    snprintf(io.uuid, sizeof io.uuid, "%s", device->uuid);
    if (*device->minor) {
        unsigned minor = (unsigned)atoi(device->minor);
        io.flags |= DM_PERSISTENT_DEV_FLAG;
        io.dev = (minor & 0xff) | ((uint64_t)(minor & ~0xffu) << 12);
    }
    dm_call(control, DM_DEV_CREATE, &io, "create", device->name);
    dm_load_table(control, device);
    dm_header(&io, sizeof io, device->name);
    dm_call(control, DM_DEV_SUSPEND, &io, "resume", device->name);
    say("device-mapper device %s created (%d table%s, %s)", device->name, device->table_count,
        device->table_count == 1 ? "" : "s", device->flags);
}

/* Splits text at separator in place; empty fields stay. */
static char* next_field(char** cursor, char separator) {
    char* field = *cursor;
    if (!field)
        return NULL;
    char* end = strchr(field, separator);
    if (end) {
        *end = '\0';
        *cursor = end + 1;
    } else {
        *cursor = NULL;
    }
    return field;
}

static struct dm_device parse_device(char* text) {
    struct dm_device device = {0};
    char* cursor = text;
    device.name = next_field(&cursor, ',');
    device.uuid = next_field(&cursor, ',');
    device.minor = next_field(&cursor, ',');
    device.flags = next_field(&cursor, ',');
    while (cursor && device.table_count < MAX_TABLES)
        device.tables[device.table_count++] = next_field(&cursor, ',');
    if (!device.flags || device.table_count == 0 || !*device.name)
        fatal("dm-mod.create: \"%s\" is not \"name,uuid,minor,flags,table\"", text);
    if (strcmp(device.flags, "ro") != 0 && strcmp(device.flags, "rw") != 0)
        fatal("dm-mod.create: flags of %s are \"%s\", not ro or rw", device.name, device.flags);
    return device;
}

/* Step 3. */
static void create_mapped_devices(const char* cmdline) {
    char* create = cmdline_value(cmdline, "dm-mod.create");
    if (!create) {
        say("no dm-mod.create= on the command line: %s", cmdline);
        return;
    }
    int control = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (control < 0)
        fatal("cannot open /dev/mapper/control: %s (is dm-mod loaded?)", strerror(errno));
    char* cursor = create;
    for (int count = 0; cursor && count < MAX_DEVICES; count++) {
        char* text = next_field(&cursor, ';');
        struct dm_device device = parse_device(text);
        dm_create(control, &device);
    }
    close(control);
    free(create);
}

/* Step 4. */
static void mount_root(const char* cmdline) {
    char* root = cmdline_value(cmdline, "root");
    char* type = cmdline_value(cmdline, "rootfstype");
    const char* device = root ? root : "/dev/dm-0";
    struct stat info;
    for (int tenth = 0; stat(device, &info) != 0; tenth++, sleep_tenth())
        if (tenth == WAIT_SECONDS * 10)
            fatal("the root device %s did not appear in %d s", device, WAIT_SECONDS);
    mkdir(NEW_ROOT, 0755);
    const char* types[] = {type ? type : "ext4", type ? NULL : "erofs", NULL};
    int error = 0;
    for (int i = 0; types[i]; i++) {
        if (mount(device, NEW_ROOT, types[i], MS_RDONLY, NULL) == 0) {
            say("mounted %s (%s, read-only) on %s", device, types[i], NEW_ROOT);
            free(root);
            free(type);
            return;
        }
        error = errno;
    }
    fatal("cannot mount %s read-only: %s", device, strerror(error));
}

/* Step 5: what switch_root does, without deleting the initramfs. */
static void switch_root(const char* cmdline, char** argv) {
    const char* moved[] = {"/dev", "/proc", "/sys"};
    for (int i = 0; i < 3; i++) {
        char target[64];
        snprintf(target, sizeof target, NEW_ROOT "%s", moved[i]);
        if (mount(moved[i], target, NULL, MS_MOVE, NULL) != 0) {
            say("cannot move %s into the root (%s); unmounting it", moved[i], strerror(errno));
            umount2(moved[i], MNT_DETACH);
        }
    }
    if (chdir(NEW_ROOT) != 0 || mount(".", "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 ||
        chdir("/") != 0)
        fatal("cannot switch to the root: %s", strerror(errno));
    char* init = cmdline_value(cmdline, "init");
    const char* path = init ? init : "/sbin/init";
    say("starting %s", path);
    argv[0] = (char*)path;
    execv(path, argv);
    fatal("cannot run %s: %s", path, strerror(errno));
}

int main(int argc, char** argv) {
    (void)argc;
    mount_or_die("devtmpfs", "/dev", "devtmpfs");
    open_console();
    mount_or_die("proc", "/proc", "proc");
    mount_or_die("sysfs", "/sys", "sysfs");
    say("started");
    load_modules();
    char* cmdline = read_text("/proc/cmdline");
    if (!cmdline)
        fatal("cannot read /proc/cmdline");
    create_mapped_devices(cmdline);
    mount_root(cmdline);
    switch_root(cmdline, argv);
    return 1;
}
