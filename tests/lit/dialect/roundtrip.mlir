// The rune dialect prints in its custom form and parses back to the same text: every stage op,
// every element type (signedness kept: ui8/si32; text is !rune.utf8), rank 0 to 3, multi-result
// models, a model with compile-time args, generic-form input.
// RUN: rune-opt %s | filecheck %s
// RUN: rune-opt %s | rune-opt | filecheck %s

builtin.module {
  rune.pipeline @every_type image "runicos/base" {
    %0 = rune.capability "u8" kind "RAW" args {length = 4 : i64} : tensor<4xui8>
    %1 = rune.capability "i8" kind "RAND" args {} : tensor<2x2xsi8>
    %2 = rune.capability "u16" kind "SOUND" args {hz = 16000 : i64, sample_duration_ms = 1000 : i64} : tensor<1x16000xui16>
    %3 = rune.capability "i16" kind "ACCEL" args {n = 128 : i64} : tensor<1x128x3xsi16>
    %4 = rune.capability "u32" kind "IMAGE" args {width = 2 : i64, height = 2 : i64, pixel_format = "rgb"} : tensor<1x2x2x3xui32>
    %5 = rune.capability "i32" kind "FLOAT_IMAGE" args {} : tensor<si32>
    %6 = "rune.capability"() <{stage = "u64", kind = "RAW", args = {}}> : () -> tensor<1xui64>
    %7 = rune.capability "i64" kind "RAW" args {} : tensor<1xsi64>
    %8 = rune.capability "f32" kind "RAW" args {} : tensor<1xf32>
    %9 = rune.capability "f64" kind "RAW" args {} : tensor<1xf64>
    %10 = rune.capability "text" kind "RAW" args {} : tensor<3x!rune.utf8>
    %11 = rune.proc_block "wrap" kernel "modulo" args {modulus = 2.0 : f64}(%8) : (tensor<1xf32>) -> (tensor<1xf32>)
    %12, %13 = rune.model "net" format "onnx" source "net.onnx"(%11, %9) : (tensor<1xf32>, tensor<1xf64>) -> (tensor<2xf32>, tensor<1xsi64>)
    rune.output "serial" kind "serial" args {}(%12, %13, %10) : (tensor<2xf32>, tensor<1xsi64>, tensor<3x!rune.utf8>)
    %14 = rune.model "keras" format "tensorflow" source "m.keras" args {quantize = "int8", "representative-data" = "calib.npy"}(%7) : (tensor<1xsi64>) -> (tensor<1xsi8>)
  }
}

// CHECK:      builtin.module {
// CHECK-NEXT:   rune.pipeline @every_type image "runicos/base" {
// CHECK-NEXT:     %0 = rune.capability "u8" kind "RAW" args {length = 4 : i64} : tensor<4xui8>
// CHECK-NEXT:     %1 = rune.capability "i8" kind "RAND" args {} : tensor<2x2xsi8>
// CHECK-NEXT:     %2 = rune.capability "u16" kind "SOUND" args {hz = 16000 : i64, sample_duration_ms = 1000 : i64} : tensor<1x16000xui16>
// CHECK-NEXT:     %3 = rune.capability "i16" kind "ACCEL" args {n = 128 : i64} : tensor<1x128x3xsi16>
// CHECK-NEXT:     %4 = rune.capability "u32" kind "IMAGE" args {width = 2 : i64, height = 2 : i64, pixel_format = "rgb"} : tensor<1x2x2x3xui32>
// CHECK-NEXT:     %5 = rune.capability "i32" kind "FLOAT_IMAGE" args {} : tensor<si32>
// CHECK-NEXT:     %6 = rune.capability "u64" kind "RAW" args {} : tensor<1xui64>
// CHECK-NEXT:     %7 = rune.capability "i64" kind "RAW" args {} : tensor<1xsi64>
// CHECK-NEXT:     %8 = rune.capability "f32" kind "RAW" args {} : tensor<1xf32>
// CHECK-NEXT:     %9 = rune.capability "f64" kind "RAW" args {} : tensor<1xf64>
// CHECK-NEXT:     %10 = rune.capability "text" kind "RAW" args {} : tensor<3x!rune.utf8>
// CHECK-NEXT:     %11 = rune.proc_block "wrap" kernel "modulo" args {modulus = 2.000000e+00 : f64}(%8) : (tensor<1xf32>) -> (tensor<1xf32>)
// CHECK-NEXT:     %12, %13 = rune.model "net" format "onnx" source "net.onnx"(%11, %9) : (tensor<1xf32>, tensor<1xf64>) -> (tensor<2xf32>, tensor<1xsi64>)
// CHECK-NEXT:     rune.output "serial" kind "serial" args {}(%12, %13, %10) : (tensor<2xf32>, tensor<1xsi64>, tensor<3x!rune.utf8>)
// CHECK-NEXT:     %14 = rune.model "keras" format "tensorflow" source "m.keras" args {quantize = "int8", "representative-data" = "calib.npy"}(%7) : (tensor<1xsi64>) -> (tensor<1xsi8>)
// CHECK-NEXT:   }
// CHECK-NEXT: }
