// simd.narrow to unsigned lanes exists only for i16 -> i8 (i8x16.narrow_i16x8_u).
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  func.func private @k(%a: vector<4xi32>) {
    %n = simd.narrow %a, %a unsigned : vector<4xi32>, vector<4xi32> -> vector<8xi16>
    func.return
  }
}

// CHECK: error: invalid IR in {{.*}}verify-simd-narrow.mlir: {{.*}}simd.narrow to unsigned lanes takes vector<8xi16>
// CHECK-NOT: Traceback
