// A model stage reads at least one tensor.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.model "m" format "onnx" source "m.onnx"() : () -> (tensor<4xf32>)
  }
}

// CHECK: error: invalid IR in {{.*}}verify-model-without-inputs.mlir: model 'm' has no inputs
// CHECK-NOT: Traceback
