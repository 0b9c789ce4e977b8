// simd.dot_i16x8 is i32x4.dot_i16x8_s: two vector<8xi16> operands, nothing else.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  func.func private @k(%a: vector<4xi32>, %b: vector<8xi16>) {
    %d = simd.dot_i16x8 %a, %b : vector<4xi32>, vector<8xi16> -> vector<4xi32>
    func.return
  }
}

// CHECK: error: invalid IR in {{.*}}verify-simd-dot.mlir: {{.*}}simd.dot_i16x8 takes vector<8xi16> operands, got vector<4xi32>
// CHECK-NOT: Traceback
