// import-models replaces a compiled TFLite model stage by one tfl stage per operator, with the
// weights as dense constants and the model's tensors as pipeline tensors; a model without a
// `run` argument follows the pass option (handler leaves it alone).
// RUN: sed 's|PEER|%peer|' %s | rune-opt --passes='import-models{models=compiled}' | filecheck %s
// RUN: sed 's|PEER|%peer|' %s | rune-opt --passes='import-models{models=handler}' | filecheck %s --check-prefix=HANDLER

builtin.module {
  rune.pipeline @sine image "runicos/base" {
    %0 = rune.capability "rand" kind "RAND" args {} : tensor<1x1xf32>
    %1 = rune.model "sine" format "tensorflow-lite" source "PEER/hotg-rune/examples/sine/sinemodel.tflite"(%0) : (tensor<1x1xf32>) -> (tensor<1x1xf32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1xf32>)
  }
}

// CHECK:      %1 = "tfl.fully_connected"(%0) <{stage = "sine#0", constants = [unit, dense<{{.*}}> : tensor<16x1xf32>, dense<{{.*}}> : tensor<16xf32>], quant = [none, none, none, none], activation = "RELU", keep_num_dims = 0 : i64}> : (tensor<1x1xf32>) -> tensor<1x16xf32>
// CHECK-NEXT: %2 = "tfl.fully_connected"(%1) <{stage = "sine#1", {{.*}}activation = "RELU"{{.*}}: (tensor<1x16xf32>) -> tensor<1x16xf32>
// CHECK-NEXT: %3 = "tfl.fully_connected"(%2) <{stage = "sine#2", {{.*}}activation = "NONE"{{.*}}: (tensor<1x16xf32>) -> tensor<1x1xf32>
// CHECK-NEXT: rune.output "serial" kind "serial" args {}(%3) : (tensor<1x1xf32>)

// HANDLER: rune.model "sine" format "tensorflow-lite"
// HANDLER-NOT: tfl.
