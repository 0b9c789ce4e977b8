// simd.opaque_load takes one index per dimension of its memref.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  func.func private @k(%m: memref<2x8xi32>) {
    %c0 = arith.constant 0 : index
    %v = simd.opaque_load %m[%c0] : memref<2x8xi32>, vector<4xi32>
    func.return
  }
}

// CHECK: error: invalid IR in {{.*}}verify-simd-opaque-load-indices.mlir: {{.*}}simd.opaque_load takes one index per dimension of memref<2x8xi32>
// CHECK-NOT: Traceback
