// convert-to-llvm: functions become llvm.func (bodiless `rune_X` ones are imports of wasm module
// `rune`, name X; private kernels get internal linkage, rune_run stays external so it can be
// exported), memref views and element accesses become GEPs on !llvm.ptr, pointers to i32, index
// to i32 (wasm32), the arena an internal llvm global. The manifest attribute is kept.
// (The kernel here is straight-line code; loops through this pass are covered end to end by
// tests/e2e/test_e2e_emit.py::test_rune_opt_finishes_a_lowered_loop.)
// RUN: rune-opt %s --passes=convert-to-llvm | filecheck %s

builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "img", tensors [], capabilities [], models [], outputs [], stages [], memory #rune.memory_plan<strategy "naive", arena_bytes 32, naive_bytes 32, lower_bound_bytes 32, tensors []>>} {
  "memref.global"() <{sym_name = "rune.arena", type = memref<32xi8>, initial_value, sym_visibility = "private", alignment = 16 : i64}> : () -> ()
  func.func private @rune_capability_read(i32, i32, i32) -> i32
  func.func private @rune_output_write(i32, i32, i32, i32) -> i32
  func.func private @kernel.0.wrap(%in: memref<1xf32>, %out: memref<1xf32>) {
    %i = arith.constant 0 : index
    %x = memref.load %in[%i] : memref<1xf32>
    %m = arith.constant 2.5 : f32
    %r = arith.mulf %x, %m : f32
    memref.store %r, %out[%i] : memref<1xf32>
    func.return
  }
  func.func @rune_run() -> i32 {
    %arena = memref.get_global @rune.arena : memref<32xi8>
    %c0 = arith.constant 0 : i32
    %off0 = arith.constant 0 : index
    %in = memref.view %arena[%off0][] : memref<32xi8> to memref<1xf32>
    %p = "memref.extract_aligned_pointer_as_index"(%in) : (memref<1xf32>) -> index
    %ptr = arith.index_cast %p : index to i32
    %len = arith.constant 4 : i32
    %status = func.call @rune_capability_read(%c0, %ptr, %len) : (i32, i32, i32) -> i32
    %ok = arith.cmpi eq, %status, %c0 : i32
    cf.cond_br %ok, ^bb1, ^bb2(%status : i32)
  ^bb1:
    %off1 = arith.constant 16 : index
    %out = memref.view %arena[%off1][] : memref<32xi8> to memref<1xf32>
    func.call @kernel.0.wrap(%in, %out) : (memref<1xf32>, memref<1xf32>) -> ()
    func.return %c0 : i32
  ^bb2(%s: i32):
    func.return %s : i32
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "img", tensors [], capabilities [], models [], outputs [], stages [], memory #rune.memory_plan<strategy "naive", arena_bytes 32, naive_bytes 32, lower_bound_bytes 32, tensors []>>} {
// CHECK-NEXT:   llvm.mlir.global internal @rune.arena() {addr_space = 0 : i32, alignment = 16 : i64} : !llvm.array<32 x i8>
// CHECK-NEXT:   llvm.func @rune_capability_read(i32, i32, i32) -> i32 attributes {wasm.import_module = "rune", wasm.import_name = "capability_read"}
// CHECK-NEXT:   llvm.func @rune_output_write(i32, i32, i32, i32) -> i32 attributes {wasm.import_module = "rune", wasm.import_name = "output_write"}

// CHECK-NEXT:   llvm.func internal @kernel.0.wrap(%in: !llvm.ptr, %out: !llvm.ptr) {
// CHECK-NEXT:     %i = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:     %[[XP:.*]] = llvm.getelementptr inbounds %in[%i] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK-NEXT:     %[[X:.*]] = llvm.load %[[XP]] : !llvm.ptr -> f32
// CHECK-NEXT:     %m = llvm.mlir.constant(2.500000e+00 : f32) : f32
// CHECK-NEXT:     %r = llvm.fmul %[[X]], %m : f32
// CHECK-NEXT:     %[[YP:.*]] = llvm.getelementptr inbounds %out[%i] : (!llvm.ptr, i32) -> !llvm.ptr, f32
// CHECK-NEXT:     llvm.store %r, %[[YP]] : f32, !llvm.ptr
// CHECK-NEXT:     llvm.return
// CHECK-NEXT:   }

// CHECK-NEXT:   llvm.func @rune_run() -> i32 {
// CHECK-NEXT:     %arena = llvm.mlir.addressof @rune.arena : !llvm.ptr
// CHECK-NEXT:     %c0 = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:     %off0 = llvm.mlir.constant(0 : i32) : i32
// CHECK-NEXT:     %[[IN:.*]] = llvm.getelementptr inbounds %arena[%off0] : (!llvm.ptr, i32) -> !llvm.ptr, i8
// CHECK-NEXT:     %p = llvm.ptrtoint %[[IN]] : !llvm.ptr to i32
// CHECK-NEXT:     %len = llvm.mlir.constant(4 : i32) : i32
// CHECK-NEXT:     %status = llvm.call @rune_capability_read(%c0, %p, %len) : (i32, i32, i32) -> i32
// CHECK-NEXT:     %ok = llvm.icmp "eq" %status, %c0 : i32
// CHECK-NEXT:     llvm.cond_br %ok, ^bb1, ^bb2(%status : i32)
// CHECK-NEXT:   ^bb1:
// CHECK-NEXT:     %off1 = llvm.mlir.constant(16 : i32) : i32
// CHECK-NEXT:     %[[OUT:.*]] = llvm.getelementptr inbounds %arena[%off1] : (!llvm.ptr, i32) -> !llvm.ptr, i8
// CHECK-NEXT:     llvm.call @kernel.0.wrap(%[[IN]], %[[OUT]]) : (!llvm.ptr, !llvm.ptr) -> ()
// CHECK-NEXT:     llvm.return %c0 : i32
// CHECK-NEXT:   ^bb2(%s: i32):
// CHECK-NEXT:     llvm.return %s : i32
// CHECK-NEXT:   }
// CHECK-NEXT: }
