// The typed attributes passes attach print as `#rune.<name><field value, ...>` and parse back to
// the same text: a fused step (fuse-elementwise), a memory plan and its tensor slots
// (plan-memory), the manifest and each kind of entry (lower-pipeline). An optional field that is
// absent (a stage's proc_block) is not printed; every other field is.
// RUN: rune-opt %s | filecheck %s
// RUN: rune-opt %s | rune-opt | filecheck %s

builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "runicos/base", tensors [#rune.manifest_tensor<id 0, element_type "f32", dimensions [1, 4]>, #rune.manifest_tensor<id 1, element_type "u32", dimensions [1]>], capabilities [#rune.manifest_capability<index 0, name "raw", kind "RAW", args {length = 16 : i64}, outputs [0]>], models [#rune.manifest_model<index 0, name "m", format "tensorflow-lite", source "m.tflite", inputs [0], outputs [0]>], outputs [#rune.manifest_output<index 0, name "serial", kind "serial", args {}, inputs [1]>], stages [#rune.manifest_stage<name "raw", inputs [], outputs [0], kind "capability">, #rune.manifest_stage<name "best", inputs [0], outputs [1], kind "proc-block", proc_block "argmax">], memory #rune.memory_plan<strategy "greedy-by-size", arena_bytes 32, naive_bytes 32, lower_bound_bytes 20, tensors [#rune.tensor_slot<id 0, offset 0, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 16, bytes 4, first 1, last 2>]>>} {
  rune.pipeline @p image "img" attributes {rune.memory_plan = #rune.memory_plan<strategy "naive", arena_bytes 48, naive_bytes 48, lower_bound_bytes 36, tensors [#rune.tensor_slot<id 0, offset 0, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 16, bytes 4, first 1, last 2>]>} {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xsi16>
    %1 = rune.proc_block "best" kernel "argmax" args {} fused [[#rune.fused_step<stage "cast", kernel "cast", args {}, reads "i16", makes "f32">, #rune.fused_step<stage "scale", kernel "affine", args {scale = 2.0 : f64, offset = 1.0 : f64}, reads "f32", makes "f32">]](%0) : (tensor<4xsi16>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1xui32>)
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "runicos/base",
// CHECK-SAME: tensors [#rune.manifest_tensor<id 0, element_type "f32", dimensions [1, 4]>, #rune.manifest_tensor<id 1, element_type "u32", dimensions [1]>],
// CHECK-SAME: capabilities [#rune.manifest_capability<index 0, name "raw", kind "RAW", args {length = 16 : i64}, outputs [0]>],
// CHECK-SAME: models [#rune.manifest_model<index 0, name "m", format "tensorflow-lite", source "m.tflite", inputs [0], outputs [0]>],
// CHECK-SAME: outputs [#rune.manifest_output<index 0, name "serial", kind "serial", args {}, inputs [1]>],
// CHECK-SAME: stages [#rune.manifest_stage<name "raw", inputs [], outputs [0], kind "capability">, #rune.manifest_stage<name "best", inputs [0], outputs [1], kind "proc-block", proc_block "argmax">],
// CHECK-SAME: memory #rune.memory_plan<strategy "greedy-by-size", arena_bytes 32, naive_bytes 32, lower_bound_bytes 20, tensors [#rune.tensor_slot<id 0, offset 0, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 16, bytes 4, first 1, last 2>]>>} {
// CHECK-NEXT:   rune.pipeline @p image "img" attributes {rune.memory_plan = #rune.memory_plan<strategy "naive", arena_bytes 48, naive_bytes 48, lower_bound_bytes 36, tensors [#rune.tensor_slot<id 0, offset 0, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 16, bytes 4, first 1, last 2>]>} {
// CHECK:        rune.proc_block "best" kernel "argmax" args {} fused {{\[\[}}#rune.fused_step<stage "cast", kernel "cast", args {}, reads "i16", makes "f32">, #rune.fused_step<stage "scale", kernel "affine", args {scale = 2.000000e+00 : f64, offset = 1.000000e+00 : f64}, reads "f32", makes "f32">]](%0) : (tensor<4xsi16>) -> (tensor<1xui32>)
