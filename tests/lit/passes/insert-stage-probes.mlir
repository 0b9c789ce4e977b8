// insert-stage-probes (runec --profile): each kernel call in rune_run is bracketed by calls of the
// optional import rune_probe(2k) and rune_probe(2k + 1); the manifest's `probes` names kernel k.
// Nothing else changes; a module without probes is what every default pipeline produces.
// RUN: rune-opt %s --passes=lower-pipeline,insert-stage-probes | filecheck %s
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s --check-prefix=OFF
// RUN: rune-opt %s --passes=lower-pipeline,insert-stage-probes,insert-stage-probes | filecheck %s
// RUN: not rune-opt %s --passes=insert-stage-probes 2>&1 | filecheck %s --check-prefix=EARLY

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "raw" kind "RAW" args {length = 16 : i64} : tensor<4xsi32>
    %1 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64}(%0) : (tensor<4xsi32>) -> (tensor<4xsi32>)
    %2 = rune.proc_block "wrap_again" kernel "modulo" args {modulus = 2.0 : f64}(%1) : (tensor<4xsi32>) -> (tensor<4xsi32>)
    rune.output "serial" kind "serial" args {}(%2) : (tensor<4xsi32>)
  }
}

// CHECK:      builtin.module attributes {rune.manifest = #rune.manifest<{{.*}}probes ["wrap", "wrap_again"]>} {
// CHECK:      func.func private @rune_probe(i32) -> ()
// CHECK-NOT:  func.func private @rune_probe
// CHECK:      func.func @rune_run() -> i32 {
// CHECK:        func.call @rune_capability_read
// CHECK:      ^bb1:
// CHECK-NEXT:   %{{.*}} = arith.constant
// CHECK-NEXT:   %{{.*}} = memref.view
// CHECK-NEXT:   %[[P0:.*]] = arith.constant 0 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P0]]) : (i32) -> ()
// CHECK-NEXT:   func.call @kernel.0.wrap(%{{.*}}, %{{.*}}) : (memref<4xi32>, memref<4xi32>) -> ()
// CHECK-NEXT:   %[[P1:.*]] = arith.constant 1 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P1]]) : (i32) -> ()
// CHECK-NEXT:   %{{.*}} = arith.constant
// CHECK-NEXT:   %{{.*}} = memref.view
// CHECK-NEXT:   %[[P2:.*]] = arith.constant 2 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P2]]) : (i32) -> ()
// CHECK-NEXT:   func.call @kernel.1.wrap_again(%{{.*}}, %{{.*}}) : (memref<4xi32>, memref<4xi32>) -> ()
// CHECK-NEXT:   %[[P3:.*]] = arith.constant 3 : i32
// CHECK-NEXT:   func.call @rune_probe(%[[P3]]) : (i32) -> ()
// CHECK-NOT:    @rune_probe

// OFF-NOT:    probes
// OFF-NOT:    rune_probe

// EARLY: insert-stage-probes runs after lower-pipeline
