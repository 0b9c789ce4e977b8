/* A tiny firmware that runs a native rune (runec --target=thumbv7em-none-eabihf --emit=obj) on
   qemu's mps2-an386 and talks to the host through semihosting.

   Command line (qemu -semihosting-config enable=on,arg=harness,arg=KEY=VALUE,...):
     in=PATH     the bytes of capability 0, then 1, ...; run r reads its `len` bytes at r * len
     model=PATH  canned outputs of model 0, then 1, ...: every slot's bytes in slot order,
                 handed out again on every invocation (TFLite Micro is not built here)
     out=PATH    a file of records, one per model_set_input ('M') and output_write ('O') call:
                 five little-endian u32 (kind, run, index, slot, len), then len bytes
     runs=N      call rune_run N times (default 1); 0 only loads the inputs

   The hooks are the ones the rune's header declares (compiled with -include <rune>.h), so the
   build also checks that header against the firmware. The exit status is rune_run's first
   non-zero status, or 0. */
#include <stdint.h>

#include "semihosting.h"

#ifndef RUNE_MAX_FILES
#define RUNE_MAX_FILES 8
#endif
#ifndef RUNE_POOL_BYTES
#define RUNE_POOL_BYTES (1024 * 1024)
#endif

typedef struct {
    const uint8_t *data;
    int32_t len;
} Blob;

static uint8_t pool[RUNE_POOL_BYTES];
static int32_t pool_used;
static Blob inputs[RUNE_MAX_FILES], models[RUNE_MAX_FILES];
static int32_t input_count, model_count, model_cursor[RUNE_MAX_FILES];
static int32_t out_handle = -1, run_index;
static char cmdline[1024];

static void copy(uint8_t *dst, const uint8_t *src, int32_t len) {
    for (int32_t i = 0; i < len; i++) {
        dst[i] = src[i];
    }
}

static int starts_with(const char *text, const char *prefix) {
    while (*prefix) {
        if (*text++ != *prefix++) {
            return 0;
        }
    }
    return 1;
}

static void say(const char *text, int32_t number) {
    char digits[12];
    int32_t i = 11;
    uint32_t value = number < 0 ? (uint32_t)-number : (uint32_t)number;
    digits[i] = 0;
    do {
        digits[--i] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    if (number < 0) {
        digits[--i] = '-';
    }
    sh_puts(text);
    sh_puts(&digits[i]);
    sh_puts("\n");
}

static int32_t load(const char *path, Blob *blob) {
    int32_t handle = sh_open(path, SH_OPEN_RB);
    if (handle < 0) {
        sh_puts("harness: cannot open ");
        sh_puts(path);
        sh_puts("\n");
        return -1;
    }
    int32_t len = sh_flen(handle);
    if (len < 0 || len > RUNE_POOL_BYTES - pool_used) {
        say("harness: input too large for the pool, bytes: ", len);
        return -1;
    }
    blob->data = &pool[pool_used];
    blob->len = len;
    int32_t missing = sh_read(handle, &pool[pool_used], len);
    sh_close(handle);
    pool_used += (len + 7) & ~7;
    return missing == 0 ? 0 : -1;
}

static int32_t record(uint32_t kind, int32_t index, int32_t slot, const uint8_t *src, int32_t len) {
    if (out_handle < 0) {
        return 0;
    }
    const uint32_t head[5] = {kind, (uint32_t)run_index, (uint32_t)index, (uint32_t)slot,
                              (uint32_t)len};
    if (sh_write(out_handle, head, sizeof head) != 0 || sh_write(out_handle, src, len) != 0) {
        return 5;
    }
    return 0;
}

/* -- the hooks the rune calls (declared in its header) ---------------------------------------- */

int32_t rune_capability_read(int32_t capability, uint8_t *dest, int32_t len) {
    if (capability < 0 || capability >= input_count) {
        say("harness: no input file for capability ", capability);
        return 1;
    }
    const Blob *input = &inputs[capability];
    int32_t offset = run_index * len;
    if (len < 0 || offset + len > input->len) {
        say("harness: the input file is too short for run ", run_index);
        return 1;
    }
    copy(dest, input->data + offset, len);
    return 0;
}

int32_t rune_model_set_input(int32_t model, int32_t slot, const uint8_t *src, int32_t len) {
    return record('M', model, slot, src, len);
}

int32_t rune_model_invoke(int32_t model) {
    if (model < 0 || model >= model_count) {
        say("harness: no canned outputs for model ", model);
        return 2;
    }
    model_cursor[model] = 0;
    return 0;
}

int32_t rune_model_get_output(int32_t model, int32_t slot, uint8_t *dest, int32_t len) {
    (void)slot; /* slots are read in order after each invocation */
    if (model < 0 || model >= model_count || model_cursor[model] + len > models[model].len) {
        say("harness: the canned outputs are too short for model ", model);
        return 2;
    }
    copy(dest, models[model].data + model_cursor[model], len);
    model_cursor[model] += len;
    return 0;
}

int32_t rune_output_write(int32_t output, int32_t slot, const uint8_t *src, int32_t len) {
    return record('O', output, slot, src, len);
}

int main(void) {
    int32_t runs = 1;
    if (sh_cmdline(cmdline, sizeof cmdline) != 0) {
        sh_puts("harness: no semihosting command line\n");
        return 90;
    }
    char *arg = cmdline;
    while (*arg) {
        char *end = arg;
        while (*end && *end != ' ') {
            end++;
        }
        char last = *end;
        *end = 0;
        if (starts_with(arg, "in=") && input_count < RUNE_MAX_FILES) {
            if (load(arg + 3, &inputs[input_count++]) != 0) {
                return 91;
            }
        } else if (starts_with(arg, "model=") && model_count < RUNE_MAX_FILES) {
            if (load(arg + 6, &models[model_count++]) != 0) {
                return 91;
            }
        } else if (starts_with(arg, "out=")) {
            out_handle = sh_open(arg + 4, SH_OPEN_WB);
            if (out_handle < 0) {
                sh_puts("harness: cannot create the output file\n");
                return 92;
            }
        } else if (starts_with(arg, "runs=")) {
            runs = 0;
            for (const char *d = arg + 5; *d >= '0' && *d <= '9'; d++) {
                runs = runs * 10 + (*d - '0');
            }
        }
        arg = last ? end + 1 : end;
    }
    for (run_index = 0; run_index < runs; run_index++) {
        int32_t status = rune_run();
        if (status != 0) {
            say("harness: rune_run failed with status ", status);
            return status;
        }
    }
    if (out_handle >= 0) {
        sh_close(out_handle);
    }
    say("harness: rune_run ok, runs: ", runs);
    return 0;
}
