// Integer convolutions and fully connected layers lower to loops laid out for the vectoriser
// (kernels/tfl/conv_int.py): weights re-packed at compile time minus their zero point,
// accumulators over output channels, requantisation once per output with shifts only.
// RUN: rune-opt %s --passes=lower-tfl-to-loops | filecheck %s

builtin.module {
  rune.pipeline @int image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x3x3x16xsi8>
    %1 = "tfl.conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<[[[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]]], [[[-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16]]]]> : tensor<2x1x1x16xi8>, dense<[5, -5]> : tensor<2xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-3>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>, #builtin.float_data<0.02>], [#builtin.int<0>, #builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.005>, #builtin.float_data<0.01>], [#builtin.int<0>, #builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>], padding = "VALID", stride_w = 1 : i64, stride_h = 1 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x3x3x16xsi8>) -> tensor<1x3x3x2xsi8>
    %2 = "tfl.depthwise_conv_2d"(%1) <{stage = "m#1", constants = [unit, dense<[[[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]], [[13, 14], [15, 16], [17, 18]]]]> : tensor<1x3x3x2xi8>, dense<[1, 2]> : tensor<2xi32>], quant = [#tfl.quant<[#builtin.float_data<0.25>], [#builtin.int<1>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>, #builtin.float_data<0.01>], [#builtin.int<0>, #builtin.int<0>], #builtin.int<3>>, #tfl.quant<[#builtin.float_data<0.0025>, #builtin.float_data<0.0025>], [#builtin.int<0>, #builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<0>], #builtin.int<0>>], padding = "SAME", stride_w = 1 : i64, stride_h = 1 : i64, depth_multiplier = 1 : i64, activation = "RELU", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x3x3x2xsi8>) -> tensor<1x3x3x2xsi8>
    %3 = "tfl.reshape"(%2) <{stage = "m#2", constants = [unit, dense<[1, 18]> : tensor<2xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<0>], #builtin.int<0>>, none, #tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<0>], #builtin.int<0>>]}> : (tensor<1x3x3x2xsi8>) -> tensor<1x18xsi8>
    %4 = "tfl.fully_connected"(%3) <{stage = "m#3", constants = [unit, dense<[[1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0], [-1, 0, 1, 0, -1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<2x18xi8>, dense<[10, 20]> : tensor<2xi32>], quant = [#tfl.quant<[#builtin.float_data<0.5>], [#builtin.int<-2>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.01>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.005>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.1>], [#builtin.int<3>], #builtin.int<0>>], activation = "NONE", keep_num_dims = 0 : i64}> : (tensor<1x18xsi8>) -> tensor<1x2xsi8>
    rune.output "serial" kind "serial" args {}(%4) : (tensor<1x2xsi8>)
  }
}

// CONV_2D 1x1 over 16 input channels: a dot product per output channel. The weights stay
// [out][fh][fw][in] as i16 minus the filter zero point; each pixel's inputs minus the input
// zero point are copied into an i16 patch (no window reaches outside: no test, no zero fill);
// both output channels' dot products share one loop over the patch, carrying two sums; the
// per-channel right shifts are a table, the rounding division by 2**31 a shift.
// CHECK:      "memref.global"() <{sym_name = "tfl.0.conv_2d.packed.2", type = memref<32xi16>, initial_value = dense<[1, 2, {{.*}}, 16, -1, -2, {{.*}}, -16]> : tensor<32xi16>
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.patch.3", type = memref<16xi16>, initial_value, sym_visibility = "private"
// CHECK-NEXT: "memref.global"() <{sym_name = "tfl.0.conv_2d.right.4", type = memref<2xi32>, initial_value = dense<[5, 4]>
// CHECK:      func.func private @tfl.0.conv_2d(%{{.*}}: memref<144xi8>, %{{.*}}: memref<18xi8>) attributes {rune.noinline} {
// CHECK-NOT:  scf.if
// CHECK:      arith.subi %{{.*}}, %{{.*}} : i32
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<16xi16>
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (i32, i32) {
// CHECK:      arith.extsi %{{.*}} : i16 to i32
// CHECK:      arith.muli %{{.*}}, %{{.*}} : i64
// CHECK:      arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK-NOT:  arith.divsi
// CHECK:      "memref.global"() <{sym_name = "tfl.1.depthwise_conv_2d.bias.0"

// DEPTHWISE_CONV_2D 3x3, multiplier 1: [1][fh][fw][out] is already channel-innermost (i8,
// the filter zero point is 0). The pixel whose window lies inside the input sums its 9 taps
// unrolled and requantises in the same loop over channels; the border pixels add the taps
// inside the input into an accumulator row, then requantise the row.
// CHECK:      "memref.global"() <{sym_name = "tfl.1.depthwise_conv_2d.packed.2", type = memref<18xi8>, initial_value = dense<[1, 2, 3, {{.*}}, 18]> : tensor<18xi8>
// CHECK:      func.func private @tfl.1.depthwise_conv_2d(%{{.*}}: memref<18xi8>, %{{.*}}: memref<18xi8>) attributes {rune.noinline} {
// CHECK:      scf.if
// CHECK-COUNT-9: arith.muli %{{.*}}, %{{.*}} : i32
// CHECK:      arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<18xi8>
// CHECK:      scf.if
// CHECK:      memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<2xi32>
// CHECK:      func.func private @tfl.2.reshape(

// FULLY_CONNECTED: the input zero point (-2) folds into the bias at compile time
// (10 + 2 * 45 = 100, 20 + 2 * 0), so the loop over the depth multiplies the stored i8s.
// CHECK:      "memref.global"() <{sym_name = "tfl.3.fully_connected.bias.1", type = memref<2xi32>, initial_value = dense<[100, 20]> : tensor<2xi32>
// CHECK:      func.func private @tfl.3.fully_connected(%{{.*}}: memref<18xi8>, %{{.*}}: memref<2xi8>) attributes {rune.noinline} {
// CHECK:      scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (i32) {
// CHECK:      memref.load
// CHECK-NEXT: arith.extsi %{{.*}} : i8 to i32
// CHECK-NOT:  arith.subi
// CHECK:      scf.yield
// CHECK:      %1 = rune.call "m#0" callee "tfl.0.conv_2d"(%0)
// CHECK-NEXT: %2 = rune.call "m#1" callee "tfl.1.depthwise_conv_2d"(%1)
// CHECK:      %4 = rune.call "m#3" callee "tfl.3.fully_connected"(%3)
