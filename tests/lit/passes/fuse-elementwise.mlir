// fuse-elementwise folds single-use elementwise producers into their consumer's loads; it must
// leave alone a producer with two users, and a consumer that does not read through loads only
// (most_confident_indices).
// RUN: rune-opt %s --passes=fuse-elementwise | filecheck %s
// The printed chains parse back and lower-pipeline applies them on load, in order.
// RUN: rune-opt %s --passes=fuse-elementwise | rune-opt --passes=lower-pipeline | filecheck %s --check-prefix=REPLAY

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<8xsi16>
    %1 = rune.proc_block "cast" kernel "cast" args {}(%0) : (tensor<8xsi16>) -> (tensor<8xf32>)
    %2 = rune.proc_block "scale" kernel "affine" args {scale = 2.0 : f64, offset = 1.0 : f64}(%1) : (tensor<8xf32>) -> (tensor<8xf32>)
    %3 = rune.proc_block "best" kernel "argmax" args {}(%2) : (tensor<8xf32>) -> (tensor<1xui32>)
    %4 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64}(%3) : (tensor<1xui32>) -> (tensor<1xui32>)
    %5 = rune.proc_block "twice" kernel "modulo" args {modulus = 5.0 : f64}(%0) : (tensor<8xsi16>) -> (tensor<8xsi16>)
    %6 = rune.proc_block "words" kernel "label" args {wordlist = "a\nb\nc"}(%4) : (tensor<1xui32>) -> (tensor<1x!rune.utf8>)
    %7 = rune.proc_block "wrapped" kernel "modulo" args {modulus = 7.0 : f64}(%0) : (tensor<8xsi16>) -> (tensor<8xsi16>)
    %8 = rune.proc_block "top" kernel "most_confident_indices" args {count = 1 : i64}(%7) : (tensor<8xsi16>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%6, %5, %5, %8) : (tensor<1x!rune.utf8>, tensor<8xsi16>, tensor<8xsi16>, tensor<1xui32>)
  }
}

// cast and affine disappear into argmax, in order, with the element types each step reads and
// gives; modulo disappears into label the same way.
// CHECK:      %[[X:.*]] = rune.capability "x"
// CHECK-NOT:  rune.proc_block "cast"
// CHECK-NOT:  rune.proc_block "scale"
// CHECK:      %[[B:.*]] = rune.proc_block "best" kernel "argmax" args {} fused {{\[\[}}#rune.fused_step<stage "cast", kernel "cast", args {}, reads "i16", makes "f32">, #rune.fused_step<stage "scale", kernel "affine", args {scale = 2.000000e+00 : f64, offset = 1.000000e+00 : f64}, reads "f32", makes "f32">]](%[[X]]) : (tensor<8xsi16>) -> (tensor<1xui32>)
// "twice" has two users (the output reads it twice): it stays.
// CHECK:      rune.proc_block "twice" kernel "modulo"
// CHECK:      rune.proc_block "words" kernel "label" args {wordlist = "a\0Ab\0Ac"} fused {{\[\[}}#rune.fused_step<stage "wrap", kernel "modulo", args {modulus = 3.000000e+00 : f64}, reads "u32", makes "u32">]](%[[B]])
// most_confident_indices does not take fused inputs: "wrapped" stays a stage.
// CHECK:      %[[W:.*]] = rune.proc_block "wrapped" kernel "modulo"
// CHECK:      rune.proc_block "top" kernel "most_confident_indices" args {count = 1 : i64}(%[[W]])

// REPLAY:      func.func private @kernel.0.best(%0: memref<8xi16>, %1: memref<1xi32>) {
// REPLAY:        %[[L:.*]] = memref.load %0[%{{.*}}] : memref<8xi16>
// REPLAY-NEXT:   %[[F:.*]] = arith.sitofp %[[L]] : i16 to f32
// REPLAY-NEXT:   %[[S:.*]] = arith.constant 2.000000e+00 : f32
// REPLAY-NEXT:   %[[O:.*]] = arith.constant 1.000000e+00 : f32
// REPLAY-NEXT:   %[[M:.*]] = arith.mulf %[[F]], %[[S]] : f32
// REPLAY-NEXT:   arith.addf %[[M]], %[[O]] : f32
