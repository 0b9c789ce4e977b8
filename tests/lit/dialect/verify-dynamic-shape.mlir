// Every tensor is planned at compile time, so shapes are static.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "c" kind "RAW" args {} : tensor<?x4xf32>
  }
}

// CHECK: error: invalid IR in {{.*}}verify-dynamic-shape.mlir: output of stage 'c' must have a static shape, got tensor<?x4xf32>
// CHECK-NOT: Traceback
