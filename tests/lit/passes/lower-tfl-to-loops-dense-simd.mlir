// On a SIMD128 target, an integer FULLY_CONNECTED with few outputs (kernels/tfl/dense_simd.py,
// microspeech's [6, 4000] layer), here 3 outputs over a depth of 20: the weights minus their
// zero point as i8 ([unit][depth]), the input zero point (-4) folded into the bias
// (100 + 4 * -9 = 64); a loop over the depth, two chunks of 8 per iteration, carries one
// i32x4 sum per output: 8 inputs widened to i16 once, one simd.dot_i16x8 per output with its
// 8 weights, widened on load. Each sum's lanes are added to the bias once, the last 4 elements in scalar, and
// the total requantised once.
// RUN: rune-opt %s --passes="lower-tfl-to-loops{simd=true}" | filecheck %s

builtin.module {
  rune.pipeline @dense image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x20xsi8>
    %1 = "tfl.fully_connected"(%0) <{stage = "m#0", constants = [unit, dense<[[-9, -4,  1,  6, -8, -3,  2,  7, -7, -2,  3,  8, -6, -1,  4,  9, -5,  0,  5, -9],
 [-4,  1,  6, -8, -3,  2,  7, -7, -2,  3,  8, -6, -1,  4,  9, -5,  0,  5, -9, -4],
 [ 1,  6, -8, -3,  2,  7, -7, -2,  3,  8, -6, -1,  4,  9, -5,  0,  5, -9, -4,  1]]> : tensor<3x20xi8>, dense<[100, -7, 3]> : tensor<3xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-4>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.005>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<2>], #builtin.int<0>>], activation = "NONE", keep_num_dims = 0 : i64}> : (tensor<1x20xsi8>) -> tensor<1x3xsi8>
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x3xsi8>)
  }
}

// CHECK:      "memref.global"() <{sym_name = "tfl.0.fully_connected.packed.0", type = memref<60xi8>, initial_value = dense<[-9, -4, 1, 6, -8, {{.*}}]> : tensor<60xi8>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.fully_connected.bias.1", type = memref<3xi32>, initial_value = dense<[64, -23, 7]> : tensor<3xi32>
// CHECK:      func.func private @tfl.0.fully_connected(%[[X:.*]]: memref<20xi8>, %{{.*}}: memref<3xi8>) attributes {rune.noinline} {
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>) {
// CHECK:      %[[IN:.*]] = vector.load %[[X]][%{{.*}}] : memref<20xi8>, vector<8xi8>
// CHECK-NEXT: %[[WIDE:.*]] = simd.extend %[[IN]] : vector<8xi8> to vector<8xi16>
// CHECK:      %[[W8:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<60xi8>, vector<8xi8>
// CHECK-NEXT: %[[W:.*]] = simd.extend %[[W8]] : vector<8xi8> to vector<8xi16>
// CHECK-NEXT: %[[D:.*]] = simd.dot_i16x8 %[[WIDE]], %[[W]] : vector<8xi16>, vector<8xi16> -> vector<4xi32>
// CHECK-NEXT: arith.addi %{{.*}}, %[[D]] : vector<4xi32>
// CHECK-COUNT-5: simd.dot_i16x8
// CHECK:      scf.yield %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi32>, vector<4xi32>, vector<4xi32>
// CHECK-COUNT-3: vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<12xi32>, vector<4xi32>
// CHECK-COUNT-4: memref.load %{{.*}}[%{{.*}}] : memref<12xi32>
// CHECK:      %[[FROM:.*]] = arith.constant 16 : index
// CHECK-NEXT: %[[TO:.*]] = arith.constant 20 : index
// CHECK:      scf.for %{{.*}} = %[[FROM]] to %[[TO]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (i32) {
// CHECK:      arith.muli %{{.*}}, %{{.*}} : i64
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<3xi8>
// CHECK-NOT:  simd.dot_i16x8
