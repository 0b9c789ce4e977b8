// convert-to-llvm lowers the explicit vector ops of the integer kernels (kernels/tfl/pointwise.py):
// vector.load/store become a GEP to the first element and a vector load/store aligned to one
// element (any offset), vector.shuffle a shufflevector (here a pair splatted over 8 lanes),
// simd.dot_i16x8 the llvm.wasm.dot intrinsic (i32x4.dot_i16x8_s), simd.narrow the saturating
// llvm.wasm.narrow intrinsics, arith on vectors as on scalars (min/max: llvm.smax.v4i32);
// simd.opaque_load the same GEP and a volatile load (llvmx.load_volatile), which LLVM cannot
// fold into a constant; vector.bitcast an llvm.bitcast (here for i64 lanes' high words).
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
  func.func private @kernel.1.narrow(%a: vector<4xi32>, %b: vector<4xi32>, %out: memref<16xi8>) {
    %c0 = arith.constant 0 : index
    %top = arith.constant dense<200> : vector<4xi32>
    %m = arith.minsi %a, %top : vector<4xi32>
    %h = simd.narrow %m, %b : vector<4xi32>, vector<4xi32> -> vector<8xi16>
    %u = simd.narrow %h, %h unsigned : vector<8xi16>, vector<8xi16> -> vector<16xi8>
    vector.store %u, %out[%c0] : memref<16xi8>, vector<16xi8>
    func.return
  }
  func.func private @kernel.2.opaque(%m: memref<8xi32>, %x: vector<4xi64>) -> vector<4xi64> {
    %c4 = arith.constant 4 : index
    %v = simd.opaque_load %m[%c4] : memref<8xi32>, vector<4xi32>
    %w = simd.extend %v : vector<4xi32> to vector<4xi64>
    %p = arith.muli %x, %w : vector<4xi64>
    func.return %p : vector<4xi64>
  }
  func.func private @kernel.3.high(%a: vector<2xi64>) -> vector<2xi32> {
    %w = vector.bitcast %a : vector<2xi64> to vector<4xi32>
    %h = vector.shuffle %w, %w [1, 3] : vector<4xi32>, vector<4xi32>
    func.return %h : vector<2xi32>
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
// CHECK:      llvm.func internal @kernel.1.narrow(
// CHECK:      %[[M:.*]] = llvm.call_intrinsic "llvm.smin.v4i32"(%{{.*}}, %{{.*}}) : (vector<4xi32>, vector<4xi32>) -> vector<4xi32>
// CHECK-NEXT: %[[H:.*]] = llvm.call_intrinsic "llvm.wasm.narrow.signed.v8i16.v4i32"(%[[M]], %{{.*}}) : (vector<4xi32>, vector<4xi32>) -> vector<8xi16>
// CHECK-NEXT: %[[U:.*]] = llvm.call_intrinsic "llvm.wasm.narrow.unsigned.v16i8.v8i16"(%[[H]], %[[H]]) : (vector<8xi16>, vector<8xi16>) -> vector<16xi8>
// CHECK:      llvm.store %[[U]], %{{.*}} {alignment = 1 : i64} : vector<16xi8>, !llvm.ptr
// CHECK:      llvm.func internal @kernel.2.opaque(
// CHECK:      %[[Q:.*]] = llvm.getelementptr inbounds %{{.*}}[%c4] : (!llvm.ptr, i32) -> !llvm.ptr, i32
// CHECK-NEXT: %[[V:.*]] = llvmx.load_volatile %[[Q]] {alignment = 4 : i64} : !llvm.ptr -> vector<4xi32>
// CHECK-NEXT: %[[E:.*]] = llvm.sext %[[V]] : vector<4xi32> to vector<4xi64>
// CHECK-NEXT: llvm.mul %{{.*}}, %[[E]] : vector<4xi64>
// CHECK:      llvm.func internal @kernel.3.high(
// CHECK-NEXT: %[[B:.*]] = llvm.bitcast %{{.*}} : vector<2xi64> to vector<4xi32>
// CHECK-NEXT: llvm.shufflevector %[[B]], %[[B]] [1, 3] : vector<4xi32>
// CHECK-NOT:  vector.
// CHECK-NOT:  simd.
