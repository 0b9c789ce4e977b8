// Model formats are the four the original knew.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "c" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.model "m" format "keras" source "m.h5"(%0) : (tensor<4xf32>) -> (tensor<4xf32>)
  }
}

// CHECK: error: invalid IR in {{.*}}verify-unknown-model-format.mlir: unknown model format 'keras'; expected one of tensorflow-lite, tensorflow, tensorflow-js, onnx
// CHECK-NOT: Traceback
