// A model stage lowers to model_set_input per input slot, model_invoke, then model_get_output per
// output slot, all with the model's manifest index; the model file is not read here (only
// check-types and packaging do), its path just goes to the manifest.
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s

builtin.module {
  rune.pipeline @two_models image "runicos/base" {
    %0 = rune.capability "a" kind "RAND" args {} : tensor<1xf32>
    %1 = rune.capability "b" kind "ACCEL" args {} : tensor<2x3xf64>
    %2 = rune.model "first" format "tensorflow-lite" source "first.tflite"(%0) : (tensor<1xf32>) -> (tensor<1xf32>)
    %3, %4 = rune.model "second" format "onnx" source "second.onnx"(%2, %1) : (tensor<1xf32>, tensor<2x3xf64>) -> (tensor<4xui8>, tensor<1xsi64>)
    rune.output "serial" kind "serial" args {}(%4) : (tensor<1xsi64>)
  }
}

// CHECK:      models [#rune.manifest_model<index 0, name "first", format "tensorflow-lite", source "first.tflite", inputs [0], outputs [2]>, #rune.manifest_model<index 1, name "second", format "onnx", source "second.onnx", inputs [2, 1], outputs [3, 4]>]
// CHECK-SAME: outputs [#rune.manifest_output<index 0, name "serial", kind "serial", args {}, inputs [4]>]

// CHECK-LABEL: func.func @rune_run() -> i32 {
// Capabilities 0 and 1: 4 and 48 bytes.
// CHECK:      %[[C0:.*]] = arith.constant 0 : i32
// CHECK:      %[[N:.*]] = arith.constant 4 : i32
// CHECK-NEXT: func.call @rune_capability_read(%[[C0]], %{{.*}}, %[[N]])
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[C1:.*]] = arith.constant 1 : i32
// CHECK:      %[[N:.*]] = arith.constant 48 : i32
// CHECK-NEXT: func.call @rune_capability_read(%[[C1]], %{{.*}}, %[[N]])

// Model 0: one input, invoke, one output.
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 0 : i32
// CHECK:      %[[N:.*]] = arith.constant 4 : i32
// CHECK-NEXT: func.call @rune_model_set_input(%[[M]], %[[SLOT]], %{{.*}}, %[[N]]) : (i32, i32, i32, i32) -> i32
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 0 : i32
// CHECK-NEXT: func.call @rune_model_invoke(%[[M]]) : (i32) -> i32
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 0 : i32
// CHECK:      %[[N:.*]] = arith.constant 4 : i32
// CHECK-NEXT: func.call @rune_model_get_output(%[[M]], %[[SLOT]], %{{.*}}, %[[N]]) : (i32, i32, i32, i32) -> i32

// Model 1: inputs in operand order (slot 0 f32[1], slot 1 f64[2,3]), invoke, both outputs.
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 1 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 0 : i32
// CHECK:      %[[N:.*]] = arith.constant 4 : i32
// CHECK-NEXT: func.call @rune_model_set_input(%[[M]], %[[SLOT]], %{{.*}}, %[[N]])
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 1 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 1 : i32
// CHECK:      %[[N:.*]] = arith.constant 48 : i32
// CHECK-NEXT: func.call @rune_model_set_input(%[[M]], %[[SLOT]], %{{.*}}, %[[N]])
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 1 : i32
// CHECK-NEXT: func.call @rune_model_invoke(%[[M]])
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 1 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 0 : i32
// CHECK:      memref<4xi8>
// CHECK:      %[[N:.*]] = arith.constant 4 : i32
// CHECK-NEXT: func.call @rune_model_get_output(%[[M]], %[[SLOT]], %{{.*}}, %[[N]])
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[M:.*]] = arith.constant 1 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 1 : i32
// CHECK:      memref<1xi64>
// CHECK:      %[[N:.*]] = arith.constant 8 : i32
// CHECK-NEXT: func.call @rune_model_get_output(%[[M]], %[[SLOT]], %{{.*}}, %[[N]])

// Output 0 takes tensor 4 only.
// CHECK:      ^bb{{[0-9]+}}:
// CHECK-NEXT: %[[O:.*]] = arith.constant 0 : i32
// CHECK-NEXT: %[[SLOT:.*]] = arith.constant 0 : i32
// CHECK:      %[[N:.*]] = arith.constant 8 : i32
// CHECK-NEXT: func.call @rune_output_write(%[[O]], %[[SLOT]], %{{.*}}, %[[N]])
// CHECK-NOT:  func.call
// CHECK:      func.return
