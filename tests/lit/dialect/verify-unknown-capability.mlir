// Capability kinds are the Runefile's, upper case.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "c" kind "LASER" args {} : tensor<1xf32>
  }
}

// CHECK: error: invalid IR in {{.*}}verify-unknown-capability.mlir: unknown capability 'LASER'; expected one of RAW, RAND, SOUND, IMAGE, FLOAT_IMAGE, ACCEL
// CHECK-NOT: Traceback
