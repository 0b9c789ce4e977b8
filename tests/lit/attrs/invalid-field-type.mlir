// irdl checks each field's type: a fused chain holds #rune.fused_step attributes only, and a
// step's element types are strings.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "best" kernel "argmax" args {} fused [[#rune.fused_step<stage "scale", kernel "affine", args {}, reads 32, makes "f32">]](%0) : (tensor<4xf32>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1xui32>)
  }
}

// CHECK: error: invalid IR in {{.*}}invalid-field-type.mlir: {{.*}}reads
// CHECK-NOT: Traceback
