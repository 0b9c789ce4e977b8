// plan-memory gives each tensor an offset from its lifetime: dead tensors' bytes are reused, an
// in-place kernel shares its input's slot, and strategy=naive shares nothing.
// RUN: rune-opt %s --passes=plan-memory | filecheck %s
// RUN: rune-opt %s --passes='plan-memory{strategy=naive}' | filecheck %s --check-prefix=NAIVE
// The printed plan parses back, and lower-pipeline follows it: the arena is the plan's 416 bytes
// and the plan moves into the manifest.
// RUN: rune-opt %s --passes=plan-memory | rune-opt --passes=lower-pipeline | filecheck %s --check-prefix=REPLAY

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<100xf32>
    %1 = rune.proc_block "a" kernel "modulo" args {modulus = 3.0 : f64}(%0) : (tensor<100xf32>) -> (tensor<100xf32>)
    %2 = rune.proc_block "b" kernel "argmax" args {}(%1) : (tensor<100xf32>) -> (tensor<1xui32>)
    %3 = rune.proc_block "c" kernel "modulo" args {modulus = 2.0 : f64}(%2) : (tensor<1xui32>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%3) : (tensor<1xui32>)
  }
}

// Tensor 1 (modulo, in place) reuses tensor 0's slot; 2 and 3 (argmax's result, then modulo in
// place) share a slot beside it: 400 + 16 bytes, the lower bound.
// CHECK: rune.memory_plan = #rune.memory_plan<strategy "greedy-by-size", arena_bytes 416, naive_bytes 832, lower_bound_bytes 416, tensors [#rune.tensor_slot<id 0, offset 0, bytes 400, first 0, last 1>, #rune.tensor_slot<id 1, offset 0, bytes 400, first 1, last 2>, #rune.tensor_slot<id 2, offset 400, bytes 4, first 2, last 3>, #rune.tensor_slot<id 3, offset 400, bytes 4, first 3, last 4>]>
// The stages themselves are untouched.
// CHECK: rune.proc_block "a" kernel "modulo"

// Naive: every tensor its own bytes; the lower bound (no in-place sharing) is 400 + 400.
// NAIVE: rune.memory_plan = #rune.memory_plan<strategy "naive", arena_bytes 832, naive_bytes 832, lower_bound_bytes 800, tensors [#rune.tensor_slot<id 0, offset 0, {{[^>]*}}>, #rune.tensor_slot<id 1, offset 400, {{[^>]*}}>, #rune.tensor_slot<id 2, offset 800, {{[^>]*}}>, #rune.tensor_slot<id 3, offset 816, {{[^>]*}}>]>

// REPLAY: memory #rune.memory_plan<strategy "greedy-by-size", arena_bytes 416, naive_bytes 832, lower_bound_bytes 416, tensors [#rune.tensor_slot<id 0, offset 0, {{[^>]*}}>, #rune.tensor_slot<id 1, offset 0, {{[^>]*}}>, #rune.tensor_slot<id 2, offset 400, {{[^>]*}}>, #rune.tensor_slot<id 3, offset 400, {{[^>]*}}>]>>}
// REPLAY: "memref.global"() <{sym_name = "rune.arena", type = memref<416xi8>
