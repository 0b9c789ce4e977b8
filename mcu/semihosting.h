/* ARM semihosting (the "Angel" interface) for Cortex-M: a BKPT 0xAB that the debugger or
   qemu (-semihosting-config enable=on) services. Only the calls the harness needs. */
#ifndef MCU_SEMIHOSTING_H
#define MCU_SEMIHOSTING_H

#include <stdint.h>

#define SH_OPEN_RB 1 /* fopen modes: "rb" */
#define SH_OPEN_WB 5 /* "wb" */

int32_t sh_open(const char *path, int32_t mode);
int32_t sh_close(int32_t handle);
int32_t sh_flen(int32_t handle);
/* Both return the number of bytes NOT transferred (0 on success), as the interface does. */
int32_t sh_read(int32_t handle, void *buf, int32_t len);
int32_t sh_write(int32_t handle, const void *buf, int32_t len);
void sh_puts(const char *text); /* SYS_WRITE0: to qemu's stdout */
/* The command line given with -semihosting-config ...,arg=...; 0 on success. */
int32_t sh_cmdline(char *buf, int32_t size);
void sh_exit(int32_t code) __attribute__((noreturn));

#endif
