// simd.opaque_load reads lanes of the memref's own element type, one index per dimension.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  func.func private @k(%m: memref<8xi32>) {
    %c0 = arith.constant 0 : index
    %v = simd.opaque_load %m[%c0] : memref<8xi32>, vector<8xi16>
    func.return
  }
}

// CHECK: error: invalid IR in {{.*}}verify-simd-opaque-load.mlir: {{.*}}simd.opaque_load reads a vector of a memref's elements, got vector<8xi16> from memref<8xi32>
// CHECK-NOT: Traceback
