// PAD (constant) lowers to a fill of the whole output with the padding value, then one
// contiguous copy per row of the input's last dimension (kernels/tfl/pad.py): no index tables,
// no per-element test. MIRROR_PAD keeps layout's gather.
// RUN: rune-opt %s --passes=lower-tfl-to-loops | filecheck %s

builtin.module {
  rune.pipeline @pad image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x2x3x4xf32>
    %1 = "tfl.pad"(%0) <{stage = "m#0", constants = [unit, dense<[[0, 0], [1, 0], [0, 2], [0, 3]]> : tensor<4x2xi32>], quant = [none, none, none]}> : (tensor<1x2x3x4xf32>) -> tensor<1x3x5x7xf32>
    %2 = "tfl.mirror_pad"(%1) <{stage = "m#1", constants = [unit, dense<[[0, 0], [1, 1], [0, 0], [0, 0]]> : tensor<4x2xi32>], quant = [none, none, none], mode = "REFLECT"}> : (tensor<1x3x5x7xf32>) -> tensor<1x5x5x7xf32>
    rune.output "serial" kind "serial" args {}(%2) : (tensor<1x5x5x7xf32>)
  }
}

// CHECK:      func.func private @tfl.0.pad(%[[X:.*]]: memref<24xf32>, %[[OUT:.*]]: memref<105xf32>)
// CHECK-NOT:    memref.get_global
// the fill: 105 elements of 0.0
// CHECK:        %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:        %[[N:.*]] = arith.constant 105 : index
// CHECK:        scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %{{.*}} {
// CHECK-NEXT:     memref.store %[[ZERO]], %[[OUT]][%[[I]]] : memref<105xf32>
// then rows of 4: batch, rows and columns give each row's place (row + 1 before, strides
// 35 and 7 of the 3x5x7 output)
// CHECK:        scf.for
// CHECK:          scf.for
// CHECK:            scf.for
// CHECK:              arith.constant 35 : index
// CHECK:              arith.constant 7 : index
// CHECK:              arith.constant 4 : index
// CHECK:              arith.constant 0 : index
// CHECK-NEXT:         %[[ROW:.*]] = arith.constant 4 : index
// CHECK-NEXT:         arith.constant 1 : index
// CHECK-NEXT:         scf.for %[[C:.*]] = %{{.*}} to %[[ROW]] step %{{.*}} {
// CHECK:                %[[V:.*]] = memref.load %[[X]][%{{.*}}] : memref<24xf32>
// CHECK:                memref.store %[[V]], %[[OUT]][%{{.*}}] : memref<105xf32>
// CHECK:      func.func private @tfl.1.mirror_pad(
// CHECK:        memref.get_global @tfl.1.mirror_pad.map0
