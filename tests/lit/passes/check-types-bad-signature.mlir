// modulo keeps its input's type and shape: an output of another shape is rejected.
// RUN: not rune-opt %s --passes=check-types 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "in" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "mod" kernel "modulo" args {modulus = 2.0 : f64}(%0) : (tensor<4xf32>) -> (tensor<2xf32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<2xf32>)
  }
}

// CHECK: error: modulo keeps its input's type, so its output must be f32[4], not f32[2]
// CHECK-NOT: Traceback
