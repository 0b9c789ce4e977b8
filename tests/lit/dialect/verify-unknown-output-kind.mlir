// The only output kind is serial.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "c" kind "RAW" args {} : tensor<4xf32>
    rune.output "o" kind "speaker" args {}(%0) : (tensor<4xf32>)
  }
}

// CHECK: error: invalid IR in {{.*}}verify-unknown-output-kind.mlir: unknown output kind 'speaker'; expected one of serial
// CHECK-NOT: Traceback
