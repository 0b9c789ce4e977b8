// A model declared with tensors its file does not have is an error that names both shapes.
// RUN: sed -e "s|@PEER@|%peer|" %s | not rune-opt --passes=check-types 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @sine image "runicos/base" {
    %0 = rune.capability "rand" kind "RAW" args {} : tensor<2xf32>
    %1 = rune.model "sine" format "tensorflow-lite" source "@PEER@/hotg-rune/examples/sine/sinemodel.tflite"(%0) : (tensor<2xf32>) -> (tensor<1x1xf32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1xf32>)
  }
}

// CHECK: error: input 0 of model {{"?}}sine{{"?}} is declared f32[2] in the Runefile but is f32[1, 1] in the model file
// CHECK-NOT: Traceback
