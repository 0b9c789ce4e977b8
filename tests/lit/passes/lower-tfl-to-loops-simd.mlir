// On a SIMD128 target (lower-tfl-to-loops{simd=true}, runec's default for wasm32):
// - a 1x1 CONV_2D with stride 1 is a register-blocked GEMM (kernels/tfl/pointwise.py): weights
//   packed as i16 minus the filter zero point, per block of output channels (8 here: blocks of
//   4 pixels x 8 channels) and pair of input channels (3 here, padded to 4 with 0),
//   [w(n,k), w(n,k+1)] for 4 channels per vector; each block's input rows widened once to i16
//   minus the input zero point (-3); the i32x4 sums carried through the depth loop, each a
//   simd.dot_i16x8 of a splatted input pair with one weight vector, two depth pairs per
//   iteration (Cranelift keeps a loop's carried values in stack slots); then requantised in
//   registers (the multipliers a table read by simd.opaque_load, which LLVM cannot fold into
//   constants, so its products stay i64x2.extmul; the sums doubled first, as the layer's
//   largest sum allows, so that the result is the products' high words, a shuffle, with the
//   nudge doubled too: 2 * (2**30 + 2**(30+5))), narrowed with saturation and stored 8
//   outputs at a time. The fifth pixel is a block of its own.
// - a DEPTHWISE_CONV_2D 3x3 of 8 channels (kernels/tfl/depthwise_simd.py): each tap's 8 inputs
//   widened to i16 (taps outside the input selected to 0), two taps interleaved into one
//   simd.dot_i16x8 against weights paired at compile time, the sums requantised in registers.
// RUN: rune-opt %s --passes="lower-tfl-to-loops{simd=true}" | filecheck %s

builtin.module {
  rune.pipeline @int image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x1x5x3xsi8>
    %1 = "tfl.conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<[[[[1, 2, 3]]], [[[-1, -2, -3]]], [[[4, 5, 6]]], [[[7, 8, 9]]], [[[0, 1, 0]]], [[[1, 0, 1]]], [[[2, 2, 2]]], [[[-3, 3, -3]]]]> : tensor<8x1x1x3xi8>, dense<[5, -5, 1, 2, 3, 4, 5, 6]> : tensor<8xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-3>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.005>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>], padding = "VALID", stride_w = 1 : i64, stride_h = 1 : i64, activation = "RELU", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x1x5x3xsi8>) -> tensor<1x1x5x8xsi8>
    %2 = "tfl.depthwise_conv_2d"(%1) <{stage = "m#1", constants = [unit, dense<[[[[1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2]], [[3, 3, 3, 3, 3, 3, 3, 3], [4, 4, 4, 4, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5, 5, 5]], [[6, 6, 6, 6, 6, 6, 6, 6], [7, 7, 7, 7, 7, 7, 7, 7], [8, 8, 8, 8, 8, 8, 8, 8]]]]> : tensor<1x3x3x8xi8>, dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi32>], quant = [#tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<3>>, #tfl.quant<[#builtin.float_data<0.0025>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<0>], #builtin.int<0>>], padding = "SAME", stride_w = 1 : i64, stride_h = 1 : i64, depth_multiplier = 1 : i64, activation = "RELU6", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x1x5x8xsi8>) -> tensor<1x1x5x8xsi8>
    rune.output "serial" kind "serial" args {}(%2) : (tensor<1x1x5x8xsi8>)
  }
}

// CHECK:      "memref.global"() <{sym_name = "tfl.0.conv_2d.packed.0", type = memref<32xi16>, initial_value = dense<[1, 2, -1, -2, 4, 5, 7, 8, 0, 1, 1, 0, 2, 2, -3, 3, 3, 0, -3, 0, 6, 0, 9, 0, 0, 0, 1, 0, 2, 0, -3, 0]> : tensor<32xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.bias.1", type = memref<8xi32>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.rows.2", type = memref<16xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.multiplier.3", type = memref<8xi32>
// CHECK:      func.func private @tfl.0.conv_2d(%{{.*}}: memref<15xi8>, %{{.*}}: memref<40xi8>) attributes {rune.noinline} {
// CHECK:      arith.subi %{{.*}}, %{{.*}} : i32
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<16xi16>
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>) {
// CHECK-COUNT-2: vector.load %{{.*}}[%{{.*}}] : memref<32xi16>, vector<8xi16>
// CHECK:      %[[PAIR:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<16xi16>, vector<2xi16>
// CHECK-NEXT: %[[X:.*]] = vector.shuffle %[[PAIR]], %[[PAIR]] [0, 1, 0, 1, 0, 1, 0, 1] : vector<2xi16>, vector<2xi16>
// CHECK-NEXT: %[[D:.*]] = simd.dot_i16x8 %[[X]], %{{.*}} : vector<8xi16>, vector<8xi16> -> vector<4xi32>
// CHECK-NEXT: arith.addi %{{.*}}, %[[D]] : vector<4xi32>
// CHECK-COUNT-7: simd.dot_i16x8
// CHECK:      arith.addi %{{.*}}, %{{.*}} : index
// CHECK-COUNT-2: vector.load %{{.*}}[%{{.*}}] : memref<32xi16>, vector<8xi16>
// CHECK-COUNT-8: simd.dot_i16x8
// CHECK:      scf.yield
// CHECK:      %[[TWICE:.*]] = arith.constant dense<1> : vector<4xi32>
// CHECK-NEXT: arith.shli %{{.*}}, %[[TWICE]] : vector<4xi32>
// CHECK:      %[[M:.*]] = simd.opaque_load %{{.*}}[%{{.*}}] : memref<8xi32>, vector<4xi32>
// CHECK-NEXT: simd.extend %{{.*}} : vector<4xi32> to vector<4xi64>
// CHECK-NEXT: simd.extend %[[M]] : vector<4xi32> to vector<4xi64>
// CHECK-NEXT: arith.muli %{{.*}}, %{{.*}} : vector<4xi64>
// CHECK-NEXT: arith.constant dense<70866960384> : vector<4xi64>
// CHECK-NEXT: %[[A:.*]] = arith.addi %{{.*}}, %{{.*}} : vector<4xi64>
// CHECK-NEXT: %[[W:.*]] = vector.bitcast %[[A]] : vector<4xi64> to vector<8xi32>
// CHECK-NEXT: vector.shuffle %[[W]], %[[W]] [1, 3, 5, 7] : vector<8xi32>, vector<8xi32>
// CHECK:      %[[H:.*]] = simd.narrow %{{.*}}, %{{.*}} : vector<4xi32>, vector<4xi32> -> vector<8xi16>
// CHECK-NEXT: %[[B:.*]] = simd.narrow %[[H]], %[[H]] : vector<8xi16>, vector<8xi16> -> vector<16xi8>
// CHECK:      vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<40xi8>, vector<8xi8>
// CHECK:      iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>) {
// CHECK-COUNT-4: simd.dot_i16x8
// CHECK-NEXT: arith.addi
// CHECK-NEXT: scf.yield
// CHECK-NOT:  simd.dot_i16x8
// CHECK:      "memref.global"() <{sym_name = "tfl.1.depthwise_conv_2d.pairs.0", type = memref<80xi16>, initial_value = dense<[1, 1, 2, 1, 3, 1, 4, 1, 5, 1, 6, 1, 7, 1, 8, 1, 2, 3, {{.*}}]> : tensor<80xi16>
// CHECK:      func.func private @tfl.1.depthwise_conv_2d(%{{.*}}: memref<40xi8>, %{{.*}}: memref<40xi8>) attributes {rune.noinline} {
// CHECK:      %[[IN:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<40xi8>, vector<8xi8>
// CHECK-NEXT: %[[W:.*]] = simd.extend %[[IN]] : vector<8xi8> to vector<8xi16>
// CHECK-NEXT: %[[Z:.*]] = arith.subi %[[W]], %{{.*}} : vector<8xi16>
// CHECK-NEXT: arith.select %{{.*}}, %[[Z]], %{{.*}} : vector<8xi16>
// CHECK:      vector.shuffle %{{.*}}, %{{.*}} [0, 8, 1, 9, 2, 10, 3, 11] : vector<8xi16>, vector<8xi16>
// CHECK-NEXT: simd.dot_i16x8
// CHECK:      vector.shuffle %{{.*}}, %{{.*}} [4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi16>, vector<8xi16>
// CHECK-NEXT: simd.dot_i16x8
// CHECK-COUNT-8: simd.dot_i16x8
// CHECK:      simd.narrow
// CHECK:      vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<40xi8>, vector<8xi8>
