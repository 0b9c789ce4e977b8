// insert-stage-probes on a model compiled into the rune: the calls of its operators (the `m#i`
// kernel stages) are bracketed together by one probe pair named by the model's stage, between
// the pairs of the proc blocks around it.
// RUN: rune-opt %s --passes=lower-pipeline,insert-stage-probes | filecheck %s

builtin.module {
  func.func private @tfl.0.relu(memref<4xf32>, memref<4xf32>)
  func.func private @tfl.1.relu(memref<4xf32>, memref<4xf32>)
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "raw" kind "RAW" args {length = 16 : i64} : tensor<4xf32>
    %1 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64}(%0) : (tensor<4xf32>) -> (tensor<4xf32>)
    %2 = rune.call "m#0" callee "tfl.0.relu"(%1) : (tensor<4xf32>) -> (tensor<4xf32>)
    %3 = rune.call "m#1" callee "tfl.1.relu"(%2) : (tensor<4xf32>) -> (tensor<4xf32>)
    %4 = rune.proc_block "wrap_again" kernel "modulo" args {modulus = 2.0 : f64}(%3) : (tensor<4xf32>) -> (tensor<4xf32>)
    rune.output "serial" kind "serial" args {}(%4) : (tensor<4xf32>)
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<{{.*}}probes ["wrap", "m", "wrap_again"]>} {
// CHECK:      func.func @rune_run() -> i32 {
// CHECK:        func.call @rune_probe(%{{.*}}) : (i32) -> ()
// CHECK-NEXT:   func.call @kernel.0.wrap(
// CHECK-NEXT:   %{{.*}} = arith.constant 1 : i32
// CHECK-NEXT:   func.call @rune_probe(
// CHECK:        %[[P2:.*]] = arith.constant 2 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P2]]) : (i32) -> ()
// CHECK-NEXT:   func.call @tfl.0.relu(
// CHECK-NOT:    @rune_probe
// CHECK:        func.call @tfl.1.relu(
// CHECK-NEXT:   %[[P3:.*]] = arith.constant 3 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P3]]) : (i32) -> ()
// CHECK:        %[[P4:.*]] = arith.constant 4 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P4]]) : (i32) -> ()
// CHECK-NEXT:   func.call @kernel.1.wrap_again(
// CHECK-NEXT:   %{{.*}} = arith.constant 5 : i32
// CHECK-NEXT:   func.call @rune_probe(
// CHECK-NOT:    @rune_probe
