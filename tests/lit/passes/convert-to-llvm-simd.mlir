// convert-to-llvm lowers the explicit vector ops of the integer kernels (kernels/tfl/pointwise.py):
// vector.load/store become a GEP to the first element and a vector load/store aligned to one
// element (any offset), vector.shuffle a shufflevector (here a pair splatted over 8 lanes),
// simd.dot_i16x8 the llvm.wasm.dot intrinsic (i32x4.dot_i16x8_s), arith on vectors as on scalars.
// RUN: rune-opt %s --passes=convert-to-llvm | filecheck %s

builtin.module {
  func.func private @kernel.0.dot(%rows: memref<4xi16>, %w: memref<16xi16>, %acc: memref<8xi32>) {
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c8 = arith.constant 8 : index
    %pair = vector.load %rows[%c2] : memref<4xi16>, vector<2xi16>
    %x = vector.shuffle %pair, %pair [0, 1, 0, 1, 0, 1, 0, 1] : vector<2xi16>, vector<2xi16>
    %w0 = vector.load %w[%c8] : memref<16xi16>, vector<8xi16>
    %d = simd.dot_i16x8 %x, %w0 : vector<8xi16>, vector<8xi16> -> vector<4xi32>
    %a = vector.load %acc[%c0] : memref<8xi32>, vector<4xi32>
    %s = arith.addi %a, %d : vector<4xi32>
    vector.store %s, %acc[%c0] : memref<8xi32>, vector<4xi32>
    func.return
  }
}

// CHECK:      llvm.func internal @kernel.0.dot(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK:      %[[P:.*]] = llvm.getelementptr inbounds %rows[%c2] : (!llvm.ptr, i32) -> !llvm.ptr, i16
// CHECK-NEXT: %[[PAIR:.*]] = llvm.load %[[P]] {alignment = 2 : i64} : !llvm.ptr -> vector<2xi16>
// CHECK-NEXT: %[[X:.*]] = llvm.shufflevector %[[PAIR]], %[[PAIR]] [0, 1, 0, 1, 0, 1, 0, 1] : vector<2xi16>
// CHECK:      %[[W:.*]] = llvm.load %{{.*}} {alignment = 2 : i64} : !llvm.ptr -> vector<8xi16>
// CHECK-NEXT: %[[D:.*]] = llvm.call_intrinsic "llvm.wasm.dot"(%[[X]], %[[W]]) : (vector<8xi16>, vector<8xi16>) -> vector<4xi32>
// CHECK:      %[[A:.*]] = llvm.load %{{.*}} {alignment = 4 : i64} : !llvm.ptr -> vector<4xi32>
// CHECK-NEXT: %[[S:.*]] = llvm.add %[[A]], %[[D]] : vector<4xi32>
// CHECK:      llvm.store %[[S]], %{{.*}} {alignment = 4 : i64} : vector<4xi32>, !llvm.ptr
// CHECK-NOT:  vector.
// CHECK-NOT:  simd.
