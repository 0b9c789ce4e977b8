// A proc block reads at least one tensor.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.proc_block "p" kernel "modulo" args {}() : () -> (tensor<4xf32>)
  }
}

// CHECK: error: invalid IR in {{.*}}verify-proc-block-without-inputs.mlir: proc block 'p' has no inputs
// CHECK-NOT: Traceback
