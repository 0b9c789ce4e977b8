// A kernel missing from the proc-block library is an error naming it.
// RUN: not rune-opt %s --passes=check-types 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "in" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "mystery" kernel "no_such_block" args {}(%0) : (tensor<4xf32>) -> (tensor<4xf32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<4xf32>)
  }
}

// CHECK: error: unknown proc block `no_such_block`
// CHECK-NOT: Traceback
