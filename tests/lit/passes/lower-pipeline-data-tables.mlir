// A label's wordlist is data, not code (ir/data_args.py): lower-pipeline gives the kernel
// declarations of its four tables (bytes, starts, lengths, count), not their contents, and
// records the argument on the module (`rune.data`) for the backend, which defines the tables
// apart (backend_wasm/data_object.py). The kernel reads the count from its table: nothing of
// the wordlist is in its code, so every wordlist shares one compiled kernel and pipeline.
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s
// RUN: rune-opt %s --passes=lower-pipeline,convert-scf-to-cf,convert-to-llvm | filecheck %s --check-prefix=LLVM

builtin.module {
  rune.pipeline @words image "runicos/base" {
    %0 = rune.capability "raw" kind "RAW" args {length = 4 : i64} : tensor<2xui32>
    %1 = rune.proc_block "name" kernel "label" args {wordlist = "up\ndown"}(%0) : (tensor<2xui32>) -> (tensor<2x!rune.utf8>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<2x!rune.utf8>)
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<
// CHECK-SAME: rune.data = {kernel.0.name = {stage = "name", kernel = "label", value = "up\0Adown"}}}
// CHECK:      "memref.global"() <{sym_name = "kernel.0.name.data.labels", type = memref<0xi8>, initial_value, sym_visibility = "public", constant, alignment = 16 : i64}>
// CHECK-NEXT: "memref.global"() <{sym_name = "kernel.0.name.data.label_starts", type = memref<0xi32>, initial_value, sym_visibility = "public", constant, alignment = 16 : i64}>
// CHECK-NEXT: "memref.global"() <{sym_name = "kernel.0.name.data.label_lengths", type = memref<0xi32>, initial_value, sym_visibility = "public", constant, alignment = 16 : i64}>
// CHECK-NEXT: "memref.global"() <{sym_name = "kernel.0.name.data.label_count", type = memref<1xi32>, initial_value, sym_visibility = "public", constant, alignment = 16 : i64}>
// CHECK-NOT:  "up
// CHECK:      func.func private @kernel.0.name(%0: memref<2xi32>, %1: memref<2xi64>) {
// CHECK:        %[[COUNT_TABLE:[0-9]+]] = memref.get_global @kernel.0.name.data.label_count : memref<1xi32>
// CHECK:        %[[COUNT:[0-9]+]] = memref.load %[[COUNT_TABLE]][%{{[0-9]+}}] : memref<1xi32>
// CHECK:        scf.for
// CHECK:          %[[WIDE:[0-9]+]] = arith.extui %[[COUNT]] : i32 to i64
// CHECK:          arith.cmpi ult, %{{[0-9]+}}, %[[WIDE]] : i64
// CHECK:          arith.select %{{[0-9]+}}, %{{[0-9]+}}, %[[COUNT]] : i32

// External constant declarations in the llvm dialect; translate.py gives them no initializer.
// LLVM:      llvm.mlir.global external constant @kernel.0.name.data.labels() {addr_space = 0 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
// LLVM:      llvm.mlir.global external constant @kernel.0.name.data.label_count() {addr_space = 0 : i32, alignment = 16 : i64} : !llvm.array<1 x i32>
