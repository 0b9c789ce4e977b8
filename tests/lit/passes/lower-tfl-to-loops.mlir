// lower-tfl-to-loops turns each tfl stage into a private kernel function (loops over flat
// memrefs, weights as constant globals) and a rune.call stage with the same tensors.
// RUN: rune-opt %s --passes=lower-tfl-to-loops | filecheck %s

builtin.module {
  rune.pipeline @fc image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x2xf32>
    %1 = "tfl.fully_connected"(%0) <{stage = "m#0", constants = [unit, dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>, none], quant = [none, none, none, none], activation = "RELU6", keep_num_dims = 0 : i64}> : (tensor<1x2xf32>) -> tensor<1x3xf32>
    %2 = "tfl.reshape"(%1) <{stage = "m#1", constants = [unit], quant = [none, none]}> : (tensor<1x3xf32>) -> tensor<3xf32>
    rune.output "serial" kind "serial" args {}(%2) : (tensor<3xf32>)
  }
}

// Float weights re-packed [depth][unit] (kernels/tfl/conv_float.py):
// CHECK:      "memref.global"() <{sym_name = "tfl.0.fully_connected.packed.0", type = memref<6xf32>, initial_value = dense<[1.000000e+00, 3.000000e+00, 5.000000e+00, 2.000000e+00, 4.000000e+00, 6.000000e+00]> : tensor<6xf32>, sym_visibility = "private", constant
// CHECK:      "memref.global"() <{sym_name = "tfl.0.fully_connected.bias.1", type = memref<3xf32>, initial_value = dense<0.000000e+00>
// CHECK:      func.func private @tfl.0.fully_connected(%{{.*}}: memref<2xf32>, %{{.*}}: memref<3xf32>) attributes {rune.noinline} {
// CHECK:        scf.for
// the three units' sums carried in registers through the loop over depth:
// CHECK:          scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[ZERO:.*]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]]) -> (f32, f32, f32)
// CHECK:          arith.mulf
// CHECK:          arith.maximumf
// CHECK:          arith.minimumf
// CHECK:      func.func private @tfl.1.reshape(%{{.*}}: memref<3xf32>, %{{.*}}: memref<3xf32>) attributes {rune.noinline} {
// CHECK:      %1 = rune.call "m#0" callee "tfl.0.fully_connected"(%0) : (tensor<1x2xf32>) -> (tensor<1x3xf32>)
// CHECK-NEXT: %2 = rune.call "m#1" callee "tfl.1.reshape"(%1) : (tensor<1x3xf32>) -> (tensor<3xf32>)
// CHECK-NOT:  tfl.fully_connected"
