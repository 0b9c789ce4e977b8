// infer-quantization copies scale and zero point from the model file into the quantize stage
// that feeds it and the dequantize stage that reads it; explicit arguments are kept.
// RUN: sed -e 's|PEER|%peer|g' %s | rune-opt --passes=infer-quantization | filecheck %s

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x1960xf32>
    %1 = rune.proc_block "q" kernel "quantize" args {}(%0) : (tensor<1x1960xf32>) -> (tensor<1x1960xsi8>)
    %2 = rune.model "m" format "tensorflow-lite" source "PEER/hotg-rune/integration-tests/run-pass/microspeech-up/model.tflite"(%1) : (tensor<1x1960xsi8>) -> (tensor<1x6xsi8>)
    %3 = rune.proc_block "dq" kernel "dequantize" args {}(%2) : (tensor<1x6xsi8>) -> (tensor<1x6xf32>)
    %4 = rune.proc_block "mine" kernel "dequantize" args {scale = 0.5 : f64, zero_point = 3 : i64}(%2) : (tensor<1x6xsi8>) -> (tensor<1x6xf32>)
    rune.output "serial" kind "serial" args {}(%3, %4) : (tensor<1x6xf32>, tensor<1x6xf32>)
  }
}

// CHECK: rune.proc_block "q" kernel "quantize" args {scale = {{[0-9.e+-]+}} : f64, zero_point = -128 : i64}
// CHECK: rune.proc_block "dq" kernel "dequantize" args {scale = {{[0-9.e+-]+}} : f64, zero_point = {{-?[0-9]+}} : i64}
// CHECK: rune.proc_block "mine" kernel "dequantize" args {scale = 5.000000e-01 : f64, zero_point = 3 : i64}
