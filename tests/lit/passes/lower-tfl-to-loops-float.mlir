// Float CONV_2D, DEPTHWISE_CONV_2D and MAX_POOL_2D (kernels/tfl/conv_float.py): weights
// re-packed with the output channel innermost, each pass carrying a block of output channels'
// sums in registers over each window's taps (whole windows from the input or from a
// zero-bordered copy, else tap ranges; no per-tap test), summed in the reference's order
// (fy, fx, ic from 0.0, then the bias).
// RUN: rune-opt %s --passes=lower-tfl-to-loops | filecheck %s

builtin.module {
  rune.pipeline @conv image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x3x3x2xf32>
    %1 = "tfl.conv_2d"(%0) <{stage = "m#0", constants = [unit, dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]], [[[5.0, 6.0]]]]> : tensor<3x1x1x2xf32>, dense<[0.5, 1.5, 2.5]> : tensor<3xf32>], quant = [none, none, none, none], padding = "VALID", stride_w = 1 : i64, stride_h = 1 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x3x3x2xf32>) -> tensor<1x3x3x3xf32>
    %2 = "tfl.depthwise_conv_2d"(%1) <{stage = "m#1", constants = [unit, dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0], [1.0, 2.0, 3.0]]]]> : tensor<1x2x2x3xf32>, dense<[1.0, 2.0, 3.0]> : tensor<3xf32>], quant = [none, none, none, none], padding = "SAME", stride_w = 1 : i64, stride_h = 1 : i64, depth_multiplier = 1 : i64, activation = "RELU", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xf32>
    %3 = "tfl.max_pool_2d"(%2) <{stage = "m#2", constants = [unit], quant = [none, none], padding = "SAME", stride_w = 2 : i64, stride_h = 2 : i64, filter_w = 2 : i64, filter_h = 2 : i64, activation = "NONE"}> : (tensor<1x3x3x3xf32>) -> tensor<1x2x2x3xf32>
    %4 = rune.capability "big" kind "RAW" args {} : tensor<1x60x60x5xf32>
    %5 = "tfl.depthwise_conv_2d"(%4) <{stage = "m#3", constants = [unit, dense<1.0> : tensor<1x3x3x5xf32>, dense<0.0> : tensor<5xf32>], quant = [none, none, none, none], padding = "SAME", stride_w = 1 : i64, stride_h = 1 : i64, depth_multiplier = 1 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x60x60x5xf32>) -> tensor<1x60x60x5xf32>
    %6 = "tfl.conv_2d"(%0) <{stage = "m#4", constants = [unit, dense<[[[[1.0, 2.0]], [[3.0, 4.0]]], [[[5.0, 6.0]], [[7.0, 8.0]]]]> : tensor<2x2x1x2xf32>, none], quant = [none, none, none, none], padding = "VALID", stride_w = 1 : i64, stride_h = 1 : i64, activation = "NONE", dilation_w = 1 : i64, dilation_h = 1 : i64}> : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x2xf32>
    rune.output "serial" kind "serial" args {}(%3, %5, %6) : (tensor<1x2x2x3xf32>, tensor<1x60x60x5xf32>, tensor<1x2x3x2xf32>)
  }
}

// CONV_2D's [oc][fh][fw][ic] becomes [fh][fw][ic][oc]:
// CHECK:      "memref.global"() <{sym_name = "tfl.0.conv_2d.packed.0", type = memref<6xf32>, initial_value = dense<[1.000000e+00, 3.000000e+00, 5.000000e+00, 2.000000e+00, 4.000000e+00, 6.000000e+00]>
// CHECK:      func.func private @tfl.0.conv_2d(%[[X0:.*]]: memref<18xf32>, %{{.*}}: memref<27xf32>) attributes {rune.noinline} {
// 1x1, stride 1: a matrix product, register-blocked: four pixels x three channels = twelve sums
// carried over the input channels from 0.0, each step three weights shared by four pixels:
// CHECK:        %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:        scf.for {{.*}} iter_args(%{{.*}} = %[[Z]], %{{.*}} = %[[Z]], {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-3:  memref.load %{{.*}}[%{{.*}}] : memref<6xf32>
// CHECK-COUNT-4:  memref.load %[[X0]][%{{.*}}] : memref<18xf32>
// CHECK-COUNT-12: arith.mulf
// then the bias, once per output, after the sum:
// CHECK:        memref.load %{{.*}}[%{{.*}}] : memref<3xf32>
// CHECK-NEXT:   arith.addf

// DEPTHWISE_CONV_2D [1][fh][fw][c] is already channel-innermost. SAME padding on a small input:
// the image is copied into a zero-bordered state buffer (4x4x3), so every window is whole too;
// lane j reads its own channel:
// CHECK:      "memref.global"() <{sym_name = "tfl.1.depthwise_conv_2d.packed.0", type = memref<12xf32>, initial_value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00
// CHECK:      "memref.global"() <{sym_name = "tfl.1.depthwise_conv_2d.bordered.2", type = memref<48xf32>, initial_value, sym_visibility = "private"
// CHECK:      func.func private @tfl.1.depthwise_conv_2d(
// CHECK:        %[[B:.*]] = memref.get_global @tfl.1.depthwise_conv_2d.bordered.2 : memref<48xf32>
// CHECK:            memref.store %{{.*}}, %[[B]][%{{.*}}] : memref<48xf32>
// CHECK:        scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// CHECK:          scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32)
// CHECK-COUNT-3:    memref.load %[[B]][%{{.*}}] : memref<48xf32>
// CHECK:            arith.maximumf

// MAX_POOL_2D: the taps inside the input by tap ranges
// [max(0, pad - o*stride), min(taps, pad - o*stride + size)); std::max as a select on `<`,
// from the lowest float:
// CHECK:      func.func private @tfl.2.max_pool_2d(
// CHECK:        arith.constant -3.40282347e+38 : f32
// CHECK:        arith.maxsi
// CHECK:        arith.minsi
// CHECK:        arith.cmpf olt
// CHECK-NEXT:   arith.select

// A padded input too large to copy (62x62x5 > 16384 elements) takes tap ranges, no copy:
// CHECK:      func.func private @tfl.3.depthwise_conv_2d(%{{.*}}: memref<18000xf32>
// CHECK-NOT:    bordered
// CHECK:        arith.maxsi
// CHECK:        arith.minsi
// CHECK:        scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32)
// A 2x1 VALID filter: every window is whole, read from the input with constant trip counts
// (rows, columns, input channels), two output channels' sums carried from 0.0:
// CHECK:      func.func private @tfl.4.conv_2d(%[[X4:.*]]: memref<18xf32>
// CHECK:        %[[Z4:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:   %[[R0:.*]] = arith.constant 0 : index
// CHECK-NEXT:   %[[R2:.*]] = arith.constant 2 : index
// CHECK-NEXT:   arith.constant 1 : index
// CHECK-NEXT:   scf.for %{{.*}} = %[[R0]] to %[[R2]] step %{{.*}} iter_args(%{{.*}} = %[[Z4]], %{{.*}} = %[[Z4]]) -> (f32, f32)
// CHECK:          scf.for {{.*}} iter_args({{.*}}) -> (f32, f32)
// CHECK:            scf.for {{.*}} iter_args({{.*}}) -> (f32, f32)
// CHECK:              memref.load %[[X4]][%{{.*}}] : memref<18xf32>
// CHECK-COUNT-2:      arith.mulf
// CHECK:              scf.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK:      rune.call "m#0" callee "tfl.0.conv_2d"
// CHECK-NOT:  "tfl.{{[a-z_]+}}"(
