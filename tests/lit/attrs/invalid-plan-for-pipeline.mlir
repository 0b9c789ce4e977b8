// lower-pipeline follows a parsed plan only if it fits the pipeline: one slot per tensor, in
// order, each of the tensor's size and inside the arena. Otherwise the pass fails with one error.
// RUN: not rune-opt %s --passes=lower-pipeline 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "img" attributes {rune.memory_plan = #rune.memory_plan<strategy "naive", arena_bytes 16, naive_bytes 20, lower_bound_bytes 20, tensors [#rune.tensor_slot<id 0, offset 8, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 0, bytes 4, first 1, last 2>]>} {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "best" kernel "argmax" args {}(%0) : (tensor<4xf32>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1xui32>)
  }
}

// CHECK: error: pass `lower-pipeline` failed: ValueError: rune.memory_plan: tensor 0 (16 bytes at 8) does not fit its slot or the arena
// CHECK-NOT: Traceback
