// convert-scf-to-cf turns each kernel's scf.for into a header block (compare, branch), a body
// block ending in the increment and a back edge, and an exit block. Everything else, including
// rune_run's own blocks and the manifest, is left as it was.
// RUN: rune-opt %s --passes=convert-scf-to-cf | filecheck %s

builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "img", tensors [], capabilities [], models [], outputs [], stages [], memory #rune.memory_plan<strategy "naive", arena_bytes 32, naive_bytes 32, lower_bound_bytes 32, tensors []>>} {
  "memref.global"() <{sym_name = "rune.arena", type = memref<32xi8>, initial_value, sym_visibility = "private", alignment = 16 : i64}> : () -> ()
  func.func private @rune_capability_read(i32, i32, i32) -> i32
  func.func private @kernel.0.wrap(%in: memref<4xi32>, %out: memref<4xi32>) {
    %lb = arith.constant 0 : index
    %ub = arith.constant 4 : index
    %step = arith.constant 1 : index
    scf.for %i = %lb to %ub step %step {
      %x = memref.load %in[%i] : memref<4xi32>
      %m = arith.constant 3 : i32
      %r = arith.remsi %x, %m : i32
      memref.store %r, %out[%i] : memref<4xi32>
    }
    func.return
  }
  func.func @rune_run() -> i32 {
    %arena = memref.get_global @rune.arena : memref<32xi8>
    %c0 = arith.constant 0 : i32
    %off0 = arith.constant 0 : index
    %in = memref.view %arena[%off0][] : memref<32xi8> to memref<4xi32>
    %p = "memref.extract_aligned_pointer_as_index"(%in) : (memref<4xi32>) -> index
    %ptr = arith.index_cast %p : index to i32
    %len = arith.constant 16 : i32
    %status = func.call @rune_capability_read(%c0, %ptr, %len) : (i32, i32, i32) -> i32
    %ok = arith.cmpi eq, %status, %c0 : i32
    cf.cond_br %ok, ^bb1, ^bb2(%status : i32)
  ^bb1:
    %off1 = arith.constant 16 : index
    %out = memref.view %arena[%off1][] : memref<32xi8> to memref<4xi32>
    func.call @kernel.0.wrap(%in, %out) : (memref<4xi32>, memref<4xi32>) -> ()
    func.return %c0 : i32
  ^bb2(%s: i32):
    func.return %s : i32
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<abi_version 1, name "demo", image "img", tensors [], capabilities [], models [], outputs [], stages [], memory #rune.memory_plan<strategy "naive", arena_bytes 32, naive_bytes 32, lower_bound_bytes 32, tensors []>>} {
// CHECK-NEXT:   "memref.global"() <{sym_name = "rune.arena", type = memref<32xi8>
// CHECK-NEXT:   func.func private @rune_capability_read(i32, i32, i32) -> i32
// CHECK-NEXT:   func.func private @kernel.0.wrap(%in: memref<4xi32>, %out: memref<4xi32>) {
// CHECK-NEXT:     %lb = arith.constant 0 : index
// CHECK-NEXT:     %ub = arith.constant 4 : index
// CHECK-NEXT:     %step = arith.constant 1 : index
// CHECK-NEXT:     cf.br ^[[HEAD:bb[0-9]+]](%lb : index)
// CHECK-NEXT:   ^[[HEAD]](%i: index):
// CHECK-NEXT:     %[[MORE:.*]] = arith.cmpi slt, %i, %ub : index
// CHECK-NEXT:     cf.cond_br %[[MORE]], ^[[BODY:bb[0-9]+]], ^[[EXIT:bb[0-9]+]]
// CHECK-NEXT:   ^[[BODY]]:
// CHECK-NEXT:     %x = memref.load %in[%i] : memref<4xi32>
// CHECK-NEXT:     %m = arith.constant 3 : i32
// CHECK-NEXT:     %r = arith.remsi %x, %m : i32
// CHECK-NEXT:     memref.store %r, %out[%i] : memref<4xi32>
// CHECK-NEXT:     %[[NEXT:.*]] = arith.addi %i, %step : index
// CHECK-NEXT:     cf.br ^[[HEAD]](%[[NEXT]] : index)
// CHECK-NEXT:   ^[[EXIT]]:
// CHECK-NEXT:     func.return
// CHECK-NEXT:   }
// CHECK-NOT:    scf.
// CHECK:        func.func @rune_run() -> i32 {
// CHECK-NEXT:     %arena = memref.get_global @rune.arena : memref<32xi8>
// CHECK:          cf.cond_br %ok, ^bb1, ^bb2(%status : i32)
// CHECK-NEXT:   ^bb1:
// CHECK:          func.call @kernel.0.wrap(%in, %out) : (memref<4xi32>, memref<4xi32>) -> ()
// CHECK-NEXT:     func.return %c0 : i32
// CHECK-NEXT:   ^bb2(%s: i32):
// CHECK-NEXT:     func.return %s : i32
// CHECK-NEXT:   }
// CHECK-NEXT: }
