// On a SIMD128 target (lower-tfl-to-loops{simd=true}, runec's default for wasm32) a 1x1
// CONV_2D with stride 1 is a register-blocked GEMM (kernels/tfl/pointwise.py): weights packed as
// i16 minus the filter zero point, per 16 output channels (2 real here, the rest 0) and pair of
// input channels (3 here, padded to 4 with 0), [w(n,k), w(n,k+1)] for 4 channels per vector;
// each block's input rows widened once to i16 minus the input zero point (-3); 2 pixels x 4
// i32x4 sums carried through the depth loop, each a simd.dot_i16x8 of a splatted input pair
// with one weight vector; then the sums stored and requantised. The last pixel (3 = 2 + 1) is
// a block of its own.
// RUN: rune-opt %s --passes="lower-tfl-to-loops{simd=true}" | filecheck %s

builtin.module {
  rune.pipeline @int image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x1x3x3xsi8>
    %1 = "tfl.conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]]]> : tensor<2x1x1x3xi8>, dense<[5, -5]> : tensor<2xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-3>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.005>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>], padding = "VALID", stride_w = 1 : i64, stride_h = 1 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x1x3x3xsi8>) -> tensor<1x1x3x2xsi8>
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1x3x2xsi8>)
  }
}

// CHECK:      "memref.global"() <{sym_name = "tfl.0.conv_2d.packed.0", type = memref<64xi16>, initial_value = dense<[1, 2, -1, -2, 0, 0, {{(0, )+}}3, 0, -3, 0, 0, 0, {{(0, )+}}0]> : tensor<64xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.bias.1", type = memref<16xi32>, initial_value = dense<[5, -5, 0, {{.*}}]> : tensor<16xi32>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.rows.2", type = memref<8xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.acc.3", type = memref<32xi32>
// CHECK:      func.func private @tfl.0.conv_2d(%{{.*}}: memref<9xi8>, %{{.*}}: memref<6xi8>) attributes {rune.noinline} {
// CHECK:      arith.subi %{{.*}}, %{{.*}} : i32
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<8xi16>
// CHECK:      vector.load %{{.*}}[%{{.*}}] : memref<16xi32>, vector<4xi32>
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>) {
// CHECK-COUNT-4: vector.load %{{.*}}[%{{.*}}] : memref<64xi16>, vector<8xi16>
// CHECK:      %[[PAIR:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<8xi16>, vector<2xi16>
// CHECK-NEXT: %[[X:.*]] = vector.shuffle %[[PAIR]], %[[PAIR]] [0, 1, 0, 1, 0, 1, 0, 1] : vector<2xi16>, vector<2xi16>
// CHECK-NEXT: %[[D:.*]] = simd.dot_i16x8 %[[X]], %{{.*}} : vector<8xi16>, vector<8xi16> -> vector<4xi32>
// CHECK-NEXT: arith.addi %{{.*}}, %[[D]] : vector<4xi32>
// CHECK-COUNT-7: simd.dot_i16x8
// CHECK:      vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<32xi32>, vector<4xi32>
// CHECK:      arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<6xi8>
// CHECK:      iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>) {
// CHECK-COUNT-4: simd.dot_i16x8
// CHECK-NOT:  simd.dot_i16x8
