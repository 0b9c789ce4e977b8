// check-types validates proc-block signatures and arguments; a valid module comes out unchanged.
// RUN: rune-opt %s --passes=check-types | filecheck %s
// RUN: rune-opt %s > %t.before
// RUN: rune-opt %s --passes=check-types > %t.after
// RUN: diff %t.before %t.after

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "raw" kind "RAW" args {length = 16 : i64} : tensor<2x2xsi32>
    %1 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64}(%0) : (tensor<2x2xsi32>) -> (tensor<2x2xsi32>)
    %2 = rune.capability "bytes" kind "RAND" args {} : tensor<3xui8>
    %3 = rune.proc_block "wrap_bytes" kernel "modulo" args {modulus = 5.0 : f64}(%2) : (tensor<3xui8>) -> (tensor<3xui8>)
    rune.output "serial" kind "serial" args {}(%1, %3) : (tensor<2x2xsi32>, tensor<3xui8>)
  }
  func.func @helper(%a : i32) -> i32 {
    func.return %a : i32
  }
}

// CHECK:      builtin.module {
// CHECK-NEXT:   rune.pipeline @demo image "runicos/base" {
// CHECK-NEXT:     %0 = rune.capability "raw" kind "RAW" args {length = 16 : i64} : tensor<2x2xsi32>
// CHECK-NEXT:     %1 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.000000e+00 : f64}(%0) : (tensor<2x2xsi32>) -> (tensor<2x2xsi32>)
// CHECK-NEXT:     %2 = rune.capability "bytes" kind "RAND" args {} : tensor<3xui8>
// CHECK-NEXT:     %3 = rune.proc_block "wrap_bytes" kernel "modulo" args {modulus = 5.000000e+00 : f64}(%2) : (tensor<3xui8>) -> (tensor<3xui8>)
// CHECK-NEXT:     rune.output "serial" kind "serial" args {}(%1, %3) : (tensor<2x2xsi32>, tensor<3xui8>)
// CHECK-NEXT:   }
// CHECK-NEXT:   func.func @helper(%a: i32) -> i32 {
// CHECK-NEXT:     func.return %a : i32
// CHECK-NEXT:   }
// CHECK-NEXT: }
