/* A qemu TCG plugin counting executed guest instructions per translation block, so the host can
   attribute them to functions (like qemu's contrib libinsn.so, which Debian does not ship).

   qemu-system-arm ... -plugin ./insn_count.so,out=FILE
   FILE gets one line per block start address: "<hex address> <instructions executed>".

   Written against the plugin API of qemu 7.2 (version 1); only the calls used are declared
   here, as qemu-plugin.h is not packaged either. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op,
                                              void *, uint64_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

typedef struct Block {
    uint64_t vaddr;
    uint64_t insns;
    uint64_t executions; /* bumped inline by the translated code */
    struct Block *next;
} Block;

static Block *blocks;
static char out_path[4096];

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    Block *block = calloc(1, sizeof *block);
    if (!block) {
        return;
    }
    block->vaddr = qemu_plugin_tb_vaddr(tb);
    block->insns = qemu_plugin_tb_n_insns(tb);
    block->next = blocks;
    blocks = block;
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &block->executions,
                                             1);
}

static void write_counts(qemu_plugin_id_t id, void *data) {
    (void)id;
    (void)data;
    FILE *out = fopen(out_path, "w");
    if (!out) {
        return;
    }
    for (Block *b = blocks; b; b = b->next) {
        if (b->executions) {
            fprintf(out, "%llx %llu\n", (unsigned long long)b->vaddr,
                    (unsigned long long)(b->executions * b->insns));
        }
    }
    fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id,
                                                               const qemu_info_t *info, int argc,
                                                               char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        }
    }
    if (!out_path[0]) {
        fprintf(stderr, "insn_count: give out=FILE\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_counts, NULL);
    return 0;
}
