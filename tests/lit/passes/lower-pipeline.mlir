// lower-pipeline: the rune dialect becomes one arena of tensor buffers, a private kernel function
// per proc block (an scf.for over the elements) and `rune_run`, which calls the host imports and
// the kernels in schedule order and returns the first non-zero status. The pipeline's facts move
// to the module's `rune.manifest` attribute. Ops that are not the pipeline stay as they are.
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s

builtin.module {
  func.func @helper(%a : i32) -> i32 {
    func.return %a : i32
  }
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "raw" kind "RAW" args {length = 16 : i64} : tensor<2x2xsi32>
    %1 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64}(%0) : (tensor<2x2xsi32>) -> (tensor<2x2xsi32>)
    %2 = rune.capability "bytes" kind "RAW" args {} : tensor<3xui8>
    %3 = rune.proc_block "wrap_bytes" kernel "modulo" args {modulus = 5.0 : f64}(%2) : (tensor<3xui8>) -> (tensor<3xui8>)
    rune.output "serial" kind "serial" args {}(%1, %3) : (tensor<2x2xsi32>, tensor<3xui8>)
  }
}

// The manifest: every edge a tensor (ids in definition order, host element-type names), indices
// per kind, stages in schedule order.
// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "runicos/base",
// CHECK-SAME:   tensors [#rune.manifest_tensor<id 0, element_type "i32", dimensions [2, 2]>, #rune.manifest_tensor<id 1, element_type "i32", dimensions [2, 2]>, #rune.manifest_tensor<id 2, element_type "u8", dimensions [3]>, #rune.manifest_tensor<id 3, element_type "u8", dimensions [3]>]
// CHECK-SAME:   capabilities [#rune.manifest_capability<index 0, name "raw", kind "RAW", args {length = 16 : i64}, outputs [0]>, #rune.manifest_capability<index 1, name "bytes", kind "RAW", args {}, outputs [2]>]
// CHECK-SAME:   models []
// CHECK-SAME:   outputs [#rune.manifest_output<index 0, name "serial", kind "serial", args {}, inputs [1, 3]>]
// CHECK-SAME:   stages [#rune.manifest_stage<name "raw", inputs [], outputs [0], kind "capability">, #rune.manifest_stage<name "wrap", inputs [0], outputs [1], kind "proc-block", proc_block "modulo">, #rune.manifest_stage<name "bytes", inputs [], outputs [2], kind "capability">, #rune.manifest_stage<name "wrap_bytes", inputs [2], outputs [3], kind "proc-block", proc_block "modulo">, #rune.manifest_stage<name "serial", inputs [1, 3], outputs [], kind "out">]
// CHECK-SAME:   memory #rune.memory_plan<{{.*}}arena_bytes [[ARENA:[0-9]+]],

// Left alone.
// CHECK:      func.func @helper(%a: i32) -> i32 {
// CHECK-NEXT:   func.return %a : i32
// CHECK-NEXT: }

// No rune dialect op survives.
// CHECK-NOT:  rune.pipeline
// CHECK-NOT:  rune.capability
// CHECK-NOT:  rune.proc_block
// CHECK-NOT:  rune.output

// One static, 16-byte aligned buffer holds every tensor.
// CHECK:      "memref.global"() <{sym_name = "rune.arena", type = memref<[[ARENA]]xi8>, initial_value, sym_visibility = "private", alignment = 16 : i64}> : () -> ()

// The host imports it calls (docs/abi.md): all take and return i32. No model, no model import
// (lower-pipeline-model.mlir shows them).
// CHECK-DAG:  func.func private @[[READ:rune_capability_read]](i32, i32, i32) -> i32
// CHECK-DAG:  func.func private @[[WRITE:rune_output_write]](i32, i32, i32, i32) -> i32
// CHECK-NOT:  rune_model_

// One private kernel per proc block over flat buffers; integer signedness picks the op.
// CHECK:      func.func private @kernel.0.wrap(%0: memref<4xi32>, %1: memref<4xi32>) {
// CHECK-NEXT:   %[[LB:.*]] = arith.constant 0 : index
// CHECK-NEXT:   %[[UB:.*]] = arith.constant 4 : index
// CHECK-NEXT:   %[[STEP:.*]] = arith.constant 1 : index
// CHECK-NEXT:   scf.for %[[I:.*]] = %[[LB]] to %[[UB]] step %[[STEP]] {
// CHECK-NEXT:     %[[X:.*]] = memref.load %0[%[[I]]] : memref<4xi32>
// CHECK-NEXT:     %[[M:.*]] = arith.constant 3 : i32
// CHECK-NEXT:     %[[R:.*]] = arith.remsi %[[X]], %[[M]] : i32
// CHECK-NEXT:     memref.store %[[R]], %1[%[[I]]] : memref<4xi32>
// CHECK-NEXT:   }
// CHECK-NEXT:   func.return
// CHECK-NEXT: }
// CHECK:      func.func private @kernel.1.wrap_bytes(%0: memref<3xi8>, %1: memref<3xi8>) {
// CHECK:        scf.for
// CHECK:          arith.constant 5 : i8
// CHECK-NEXT:     arith.remui
// CHECK:        func.return

// rune_run: capability 0 (16 bytes) -> kernel 0 -> capability 1 (3 bytes) -> kernel 1 ->
// output 0 slots 0 and 1; every status checked, the first failure returned as is.
// CHECK:      func.func @rune_run() -> i32 {
// CHECK-NEXT:   %[[A:.*]] = memref.get_global @rune.arena : memref<[[ARENA]]xi8>
// CHECK-NEXT:   %[[CAP0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %[[OFF0:.*]] = arith.constant {{[0-9]+}} : index
// CHECK-NEXT:   %[[T0:.*]] = memref.view %[[A]][%[[OFF0]]][] : memref<[[ARENA]]xi8> to memref<4xi32>
// CHECK-NEXT:   %[[P0:.*]] = "memref.extract_aligned_pointer_as_index"(%[[T0]]) : (memref<4xi32>) -> index
// CHECK-NEXT:   %[[Q0:.*]] = arith.index_cast %[[P0]] : index to i32
// CHECK-NEXT:   %[[N0:.*]] = arith.constant 16 : i32
// CHECK-NEXT:   %[[S0:.*]] = func.call @[[READ]](%[[CAP0]], %[[Q0]], %[[N0]]) : (i32, i32, i32) -> i32
// CHECK-NEXT:   %[[Z0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %[[OK0:.*]] = arith.cmpi eq, %[[S0]], %[[Z0]] : i32
// CHECK-NEXT:   cf.cond_br %[[OK0]], ^[[B1:bb[0-9]+]], ^[[FAIL:bb[0-9]+]](%[[S0]] : i32)
// CHECK-NEXT: ^[[B1]]:
// CHECK:        %[[T1:.*]] = memref.view %[[A]][%{{.*}}][] : memref<[[ARENA]]xi8> to memref<4xi32>
// CHECK-NEXT:   func.call @kernel.0.wrap(%[[T0]], %[[T1]]) : (memref<4xi32>, memref<4xi32>) -> ()
// CHECK-NEXT:   %[[CAP1:.*]] = arith.constant 1 : i32
// CHECK:        %[[T2:.*]] = memref.view %[[A]][%{{.*}}][] : memref<[[ARENA]]xi8> to memref<3xi8>
// CHECK:        %[[N1:.*]] = arith.constant 3 : i32
// CHECK-NEXT:   %[[S1:.*]] = func.call @[[READ]](%[[CAP1]], %{{.*}}, %[[N1]]) : (i32, i32, i32) -> i32
// CHECK:        cf.cond_br %{{.*}}, ^[[B2:bb[0-9]+]], ^[[FAIL]](%[[S1]] : i32)
// CHECK-NEXT: ^[[B2]]:
// CHECK:        %[[T3:.*]] = memref.view %[[A]][%{{.*}}][] : memref<[[ARENA]]xi8> to memref<3xi8>
// CHECK-NEXT:   func.call @kernel.1.wrap_bytes(%[[T2]], %[[T3]]) : (memref<3xi8>, memref<3xi8>) -> ()
// CHECK-NEXT:   %[[OUT0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %[[SLOT0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %{{.*}} = "memref.extract_aligned_pointer_as_index"(%[[T1]])
// CHECK-NEXT:   %[[Q1:.*]] = arith.index_cast
// CHECK-NEXT:   %[[N2:.*]] = arith.constant 16 : i32
// CHECK-NEXT:   %[[S2:.*]] = func.call @[[WRITE]](%[[OUT0]], %[[SLOT0]], %[[Q1]], %[[N2]]) : (i32, i32, i32, i32) -> i32
// CHECK:        cf.cond_br %{{.*}}, ^[[B3:bb[0-9]+]], ^[[FAIL]](%[[S2]] : i32)
// CHECK-NEXT: ^[[B3]]:
// CHECK-NEXT:   %[[OUT0B:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   %[[SLOT1:.*]] = arith.constant 1 : i32
// CHECK-NEXT:   %{{.*}} = "memref.extract_aligned_pointer_as_index"(%[[T3]])
// CHECK-NEXT:   %[[Q2:.*]] = arith.index_cast
// CHECK-NEXT:   %[[N3:.*]] = arith.constant 3 : i32
// CHECK-NEXT:   %[[S3:.*]] = func.call @[[WRITE]](%[[OUT0B]], %[[SLOT1]], %[[Q2]], %[[N3]]) : (i32, i32, i32, i32) -> i32
// CHECK:        cf.cond_br %{{.*}}, ^[[B4:bb[0-9]+]], ^[[FAIL]](%[[S3]] : i32)
// CHECK-NEXT: ^[[B4]]:
// CHECK-NEXT:   %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   func.return %[[ZERO]] : i32
// CHECK-NEXT: ^[[FAIL]](%[[STATUS:.*]]: i32):
// CHECK-NEXT:   func.return %[[STATUS]] : i32
// CHECK-NEXT: }
