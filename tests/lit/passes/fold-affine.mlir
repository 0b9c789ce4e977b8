// fold-affine merges a chain of affine/standardize stages into one affine stage with the
// constants folded in f64; a stage whose result has another user is left alone.
// RUN: rune-opt %s --passes=fold-affine | filecheck %s

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "unit" kernel "affine" args {scale = 0.5 : f64, offset = 0.0 : f64}(%0) : (tensor<4xf32>) -> (tensor<4xf32>)
    %2 = rune.proc_block "std" kernel "standardize" args {mean = 1.0 : f64, std = 4.0 : f64}(%1) : (tensor<4xf32>) -> (tensor<4xf32>)
    %3 = rune.proc_block "kept" kernel "affine" args {scale = 3.0 : f64, offset = 0.0 : f64}(%0) : (tensor<4xf32>) -> (tensor<4xf32>)
    %4 = rune.proc_block "after" kernel "affine" args {scale = 2.0 : f64, offset = 1.0 : f64}(%3) : (tensor<4xf32>) -> (tensor<4xf32>)
    rune.output "serial" kind "serial" args {}(%2, %3, %4) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  }
}

// (x * 0.5 - 1) / 4 = x * 0.125 - 0.25, named after the last stage of the chain.
// CHECK-NOT:  rune.proc_block "unit"
// CHECK:      rune.proc_block "std" kernel "affine" args {scale = 1.250000e-01 : f64, offset = -2.500000e-01 : f64}
// "kept" also feeds the output directly, so "after" cannot absorb it.
// CHECK:      rune.proc_block "kept" kernel "affine" args {scale = 3.000000e+00 : f64, offset = 0.000000e+00 : f64}
// CHECK:      rune.proc_block "after" kernel "affine" args {scale = 2.000000e+00 : f64, offset = 1.000000e+00 : f64}
