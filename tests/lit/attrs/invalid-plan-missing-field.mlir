// A memory plan's fields are optional in a host's manifest, so a plan without one parses; but
// lower-pipeline needs all of them, and a plan that lacks one is one error naming it.
// RUN: not rune-opt %s --passes=lower-pipeline 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "img" attributes {rune.memory_plan = #rune.memory_plan<strategy "naive", naive_bytes 8, tensors [#rune.tensor_slot<id 0, offset 0, bytes 16, first 0, last 1>, #rune.tensor_slot<id 1, offset 16, bytes 4, first 1, last 2>]>} {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<4xf32>
    %1 = rune.proc_block "best" kernel "argmax" args {}(%0) : (tensor<4xf32>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1xui32>)
  }
}

// CHECK: error: pass `lower-pipeline` failed: ValueError: rune.memory_plan needs the fields arena_bytes, lower_bound_bytes
// CHECK-NOT: Traceback
