/* ARM semihosting calls (see semihosting.h). */
#include "semihosting.h"

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_FLEN = 0x0C,
    SYS_GET_CMDLINE = 0x15,
    SYS_EXIT_EXTENDED = 0x20,
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

static int32_t call(int32_t op, const void *arg) {
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static uint32_t length(const char *text) {
    uint32_t n = 0;
    while (text[n]) {
        n++;
    }
    return n;
}

int32_t sh_open(const char *path, int32_t mode) {
    const uint32_t args[3] = {(uint32_t)path, (uint32_t)mode, length(path)};
    return call(SYS_OPEN, args);
}

int32_t sh_close(int32_t handle) {
    const uint32_t args[1] = {(uint32_t)handle};
    return call(SYS_CLOSE, args);
}

int32_t sh_flen(int32_t handle) {
    const uint32_t args[1] = {(uint32_t)handle};
    return call(SYS_FLEN, args);
}

int32_t sh_read(int32_t handle, void *buf, int32_t len) {
    const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, (uint32_t)len};
    return call(SYS_READ, args);
}

int32_t sh_write(int32_t handle, const void *buf, int32_t len) {
    const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, (uint32_t)len};
    return call(SYS_WRITE, args);
}

void sh_puts(const char *text) { call(SYS_WRITE0, text); }

int32_t sh_cmdline(char *buf, int32_t size) {
    uint32_t args[2] = {(uint32_t)buf, (uint32_t)size};
    return call(SYS_GET_CMDLINE, args);
}

void sh_exit(int32_t code) {
    const uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    call(SYS_EXIT_EXTENDED, args);
    for (;;) {
    }
}
