/* Reset and fault handling for the Cortex-M4 of mps2-an386: copy .data, zero .bss, turn on the
   FPU (the rune object uses the hard-float ABI), run main, and leave qemu with its status. */
#include <stdint.h>

#include "semihosting.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
int main(void);

void Reset_Handler(void) {
    /* Plain loops, not memcpy/memset: the harness calls no library code, so every library
       instruction the counting plugin sees belongs to the rune. */
    volatile uint32_t *dst = &__data_start;
    const uint32_t *src = &__data_load;
    while (dst < &__data_end) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start; dst < &__bss_end;) {
        *dst++ = 0;
    }
    /* CPACR: full access to CP10 and CP11, the single-precision FPU. */
    *(volatile uint32_t *)0xE000ED88 |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb");
    sh_exit(main());
}

static void fault(const char *what) {
    sh_puts(what);
    sh_exit(100);
}

void HardFault_Handler(void) { fault("harness: HardFault\n"); }
void MemManage_Handler(void) { fault("harness: MemManage fault\n"); }
void BusFault_Handler(void) { fault("harness: BusFault\n"); }
void UsageFault_Handler(void) { fault("harness: UsageFault\n"); }
void Default_Handler(void) { fault("harness: unexpected exception\n"); }

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack_top,       Reset_Handler,     Default_Handler,  HardFault_Handler,
    MemManage_Handler,  BusFault_Handler,  UsageFault_Handler, 0,
    0,                  0,                 0,                Default_Handler,
    Default_Handler,    0,                 Default_Handler,  Default_Handler,
};
