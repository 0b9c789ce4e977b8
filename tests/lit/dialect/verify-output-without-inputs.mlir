// An output stage writes at least one tensor.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    rune.output "o" kind "serial" args {}() : ()
  }
}

// CHECK: error: invalid IR in {{.*}}verify-output-without-inputs.mlir: output 'o' has no inputs
// CHECK-NOT: Traceback
