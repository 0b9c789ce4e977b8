// plan-memory gives each tensor an offset from its lifetime: dead tensors' bytes are reused, an
// in-place kernel shares its input's slot, and strategy=naive shares nothing.
// RUN: rune-opt %s --passes=plan-memory | filecheck %s
// RUN: rune-opt %s --passes='plan-memory{strategy=naive}' | filecheck %s --check-prefix=NAIVE

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
// CHECK: rune.memory_plan = {strategy = "greedy-by-size", arena_bytes = 416 : i64, naive_bytes = 832 : i64, lower_bound_bytes = 416 : i64, tensors = [{id = 0 : i64, offset = 0 : i64, bytes = 400 : i64, first = 0 : i64, last = 1 : i64}, {id = 1 : i64, offset = 0 : i64, bytes = 400 : i64, first = 1 : i64, last = 2 : i64}, {id = 2 : i64, offset = 400 : i64, bytes = 4 : i64, first = 2 : i64, last = 3 : i64}, {id = 3 : i64, offset = 400 : i64, bytes = 4 : i64, first = 3 : i64, last = 4 : i64}]}
// The stages themselves are untouched.
// CHECK: rune.proc_block "a" kernel "modulo"

// Naive: every tensor its own bytes; the lower bound (no in-place sharing) is 400 + 400.
// NAIVE: rune.memory_plan = {strategy = "naive", arena_bytes = 832 : i64, naive_bytes = 832 : i64, lower_bound_bytes = 800 : i64, tensors = [{id = 0 : i64, offset = 0 : i64, {{.*}}}, {id = 1 : i64, offset = 400 : i64, {{.*}}}, {id = 2 : i64, offset = 800 : i64, {{.*}}}, {id = 3 : i64, offset = 816 : i64, {{.*}}}]}
