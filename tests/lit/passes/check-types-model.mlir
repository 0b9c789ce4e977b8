// check-types reads a TFLite model's own tensors and accepts matching declarations, unchanged.
// The model path goes in through sed: lit substitutes %peer in RUN lines only.
// RUN: sed -e "s|@PEER@|%peer|" %s | rune-opt --passes=check-types | filecheck %s

builtin.module {
  rune.pipeline @sine image "runicos/base" {
    %0 = rune.capability "rand" kind "RAW" args {length = 4 : i64} : tensor<1x1xf32>
    %1 = rune.model "sine" format "tensorflow-lite" source "@PEER@/hotg-rune/examples/sine/sinemodel.tflite"(%0) : (tensor<1x1xf32>) -> (tensor<1x1xf32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1xf32>)
  }
}

// CHECK:      rune.pipeline @sine image "runicos/base" {
// CHECK-NEXT:   %0 = rune.capability "rand" kind "RAW" args {length = 4 : i64} : tensor<1x1xf32>
// CHECK-NEXT:   %1 = rune.model "sine" format "tensorflow-lite" source "{{.*}}/hotg-rune/examples/sine/sinemodel.tflite"(%0) : (tensor<1x1xf32>) -> (tensor<1x1xf32>)
// CHECK-NEXT:   rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1xf32>)
// CHECK-NEXT: }
