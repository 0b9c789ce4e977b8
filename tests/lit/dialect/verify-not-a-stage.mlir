// A pipeline holds stages only; the schedule is its block order.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "c" kind "RAW" args {} : tensor<4xf32>
    %1 = arith.constant 1 : i32
  }
}

// CHECK: error: invalid IR in {{.*}}verify-not-a-stage.mlir: rune.pipeline may hold only stages, found arith.constant
// CHECK-NOT: Traceback
