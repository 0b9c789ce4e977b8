// On a SIMD128 target, a convolution of one input channel with a large window (16+ taps:
// microspeech's DEPTHWISE_CONV_2D, depth multiplier 8; kernels/tfl/one_channel.py), here 4x5
// taps, stride 2, SAME, 8 channels with per-channel scales whose shifts differ (5, 4, 6):
// - the input widened once to i16 minus its zero point (-3) into a zero-bordered plane (state:
//   the border is never written), 10 wide: 3 output columns * stride 2 with the filter padded
//   to an even width (6), 8 elements of slack for whole-vector reads;
// - weights paired at compile time ([tap pair][channel][2], the odd column's pair with zero);
// - a loop over filter rows carries the 3 pixels' x 2 halves' i32x4 sums; a row's inputs are
//   two vector loads, each tap pair of each pixel a shuffle of them (one i32 lane splatted)
//   and two simd.dot_i16x8 with the pair's weight vectors, loaded once for the 3 pixels;
// - requantised in registers: the nudges 2**30 + 2**(30+r_c) (doubled) from a table, and each
//   lane multiplied by 2**(6 - r_c) (scale table, read by simd.opaque_load) before one shift
//   by 6; then narrowed with saturation and 8 outputs stored at once.
// RUN: rune-opt %s --passes="lower-tfl-to-loops{simd=true}" | filecheck %s

builtin.module {
  rune.pipeline @one image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x7x6x1xsi8>
    %1 = "tfl.depthwise_conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<[[[[-11,  -4,   3,  10,  -6,   1,   8,  -8],   [ -1,   6, -10,  -3,   4,  11,  -5,   2],   [  9,  -7,   0,   7,  -9,  -2,   5, -11],   [ -4,   3,  10,  -6,   1,   8,  -8,  -1],   [  6, -10,  -3,   4,  11,  -5,   2,   9]],  [[ -7,   0,   7,  -9,  -2,   5, -11,  -4],   [  3,  10,  -6,   1,   8,  -8,  -1,   6],   [-10,  -3,   4,  11,  -5,   2,   9,  -7],   [  0,   7,  -9,  -2,   5, -11,  -4,   3],   [ 10,  -6,   1,   8,  -8,  -1,   6, -10]],  [[ -3,   4,  11,  -5,   2,   9,  -7,   0],   [  7,  -9,  -2,   5, -11,  -4,   3,  10],   [ -6,   1,   8,  -8,  -1,   6, -10,  -3],   [  4,  11,  -5,   2,   9,  -7,   0,   7],   [ -9,  -2,   5, -11,  -4,   3,  10,  -6]],  [[  1,   8,  -8,  -1,   6, -10,  -3,   4],   [ 11,  -5,   2,   9,  -7,   0,   7,  -9],   [ -2,   5, -11,  -4,   3,  10,  -6,   1],   [  8,  -8,  -1,   6, -10,  -3,   4,  11],   [ -5,   2,   9,  -7,   0,   7,  -9,  -2]]]]> : tensor<1x4x5x8xi8>, dense<[5, -5, 1, 2, 3, 4, 5, 6]> : tensor<8xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-3>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>, #builtin.float_data<0.02>, #builtin.float_data<0.004>, #builtin.float_data<0.01>, #builtin.float_data<0.03>, #builtin.float_data<0.005>, #builtin.float_data<0.01>, #builtin.float_data<0.02>], [#builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>], #builtin.int<3>>, #tfl.quant<[#builtin.float_data<0.005>, #builtin.float_data<0.01>, #builtin.float_data<0.002>, #builtin.float_data<0.005>, #builtin.float_data<0.015>, #builtin.float_data<0.0025>, #builtin.float_data<0.005>, #builtin.float_data<0.01>], [#builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>, #builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>], padding = "SAME", stride_w = 2 : i64, stride_h = 2 : i64, depth_multiplier = 8 : i64, activation = "RELU", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x7x6x1xsi8>) -> tensor<1x4x3x8xsi8>
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x4x3x8xsi8>)
  }
}

// CHECK:      "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.scale.0", type = memref<8xi32>, initial_value = dense<[2, 4, 1, 2, 4, 1, 2, 4]> : tensor<8xi32>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.multiplier.1", type = memref<8xi32>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.nudge.2", type = memref<8xi64>, initial_value = dense<[70866960384, 36507222016, 139586437120, {{.*}}]> : tensor<8xi64>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.pairs.3", type = memref<192xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.bias.4", type = memref<8xi32>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.depthwise_conv_2d.plane.5", type = memref<108xi16>, initial_value, sym_visibility = "private", alignment = 16 : i64}>
// CHECK:      func.func private @tfl.0.depthwise_conv_2d(%{{.*}}: memref<42xi8>, %{{.*}}: memref<96xi8>) attributes {rune.noinline} {
// CHECK:      %[[X:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<42xi8>
// CHECK-NEXT: %[[WIDE:.*]] = arith.extsi %[[X]] : i8 to i32
// CHECK-NEXT: %[[Z:.*]] = arith.subi %[[WIDE]], %{{.*}} : i32
// CHECK-NEXT: %[[H:.*]] = arith.trunci %[[Z]] : i32 to i16
// CHECK:      memref.store %[[H]], %{{.*}}[%{{.*}}] : memref<108xi16>
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>, vector<4xi32>) {
// CHECK:      %[[ROW:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<108xi16>, vector<8xi16>
// CHECK:      vector.load %{{.*}}[%{{.*}}] : memref<108xi16>, vector<8xi16>
// CHECK:      %[[LO:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<192xi16>, vector<8xi16>
// CHECK:      %[[HI:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<192xi16>, vector<8xi16>
// CHECK-NEXT: %[[P0:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [0, 1, 0, 1, 0, 1, 0, 1] : vector<8xi16>, vector<8xi16>
// CHECK-NEXT: %[[D0:.*]] = simd.dot_i16x8 %[[P0]], %[[LO]] : vector<8xi16>, vector<8xi16> -> vector<4xi32>
// CHECK-NEXT: arith.addi %{{.*}}, %[[D0]] : vector<4xi32>
// CHECK-NEXT: %[[D1:.*]] = simd.dot_i16x8 %[[P0]], %[[HI]] : vector<8xi16>, vector<8xi16> -> vector<4xi32>
// CHECK-NEXT: arith.addi %{{.*}}, %[[D1]] : vector<4xi32>
// CHECK-NEXT: %[[P1:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [2, 3, 2, 3, 2, 3, 2, 3] : vector<8xi16>, vector<8xi16>
// CHECK-NEXT: simd.dot_i16x8 %[[P1]], %[[LO]]
// CHECK:      vector.shuffle %[[ROW]], %[[ROW]] [4, 5, 4, 5, 4, 5, 4, 5] : vector<8xi16>, vector<8xi16>
// CHECK-COUNT-12: simd.dot_i16x8
// CHECK:      scf.yield
// CHECK:      %[[M:.*]] = simd.opaque_load %{{.*}}[%{{.*}}] : memref<8xi32>, vector<4xi32>
// CHECK:      arith.muli %{{.*}}, %{{.*}} : vector<4xi64>
// CHECK-NEXT: %[[N:.*]] = vector.load %{{.*}}[%{{.*}}] : memref<8xi64>, vector<4xi64>
// CHECK-NEXT: arith.addi %{{.*}}, %[[N]] : vector<4xi64>
// CHECK:      %[[S:.*]] = simd.opaque_load %{{.*}}[%{{.*}}] : memref<8xi32>, vector<4xi32>
// CHECK-NEXT: %[[SCALED:.*]] = arith.muli %{{.*}}, %[[S]] : vector<4xi32>
// CHECK-NEXT: %[[R:.*]] = arith.constant dense<6> : vector<4xi32>
// CHECK-NEXT: arith.shrsi %[[SCALED]], %[[R]] : vector<4xi32>
// CHECK:      simd.narrow
// CHECK:      vector.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<96xi8>, vector<8xi8>
