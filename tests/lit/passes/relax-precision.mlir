// relax-precision (runec --precision=relaxed): every stage whose kernel has a precision policy
// gets precision = "relaxed"; other stages are left alone. Lowered, fft's filterbank, sqrt and
// scaling run in f32, and noise_filtering's log2 and scaling are an f32 polynomial and f32.
// RUN: rune-opt %s --passes=relax-precision | filecheck %s
// RUN: rune-opt %s --passes=relax-precision,lower-pipeline | filecheck %s --check-prefix=LOWER
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s --check-prefix=EXACT

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "audio" kind "SOUND" args {hz = 16000 : i64} : tensor<1x16000xsi16>
    %1 = rune.proc_block "fft" kernel "fft" args {precision = "exact"} (%0) : (tensor<1x16000xsi16>) -> (tensor<1x1960xui32>)
    %2 = rune.proc_block "noise" kernel "noise_filtering" args {} (%1) : (tensor<1x1960xui32>) -> (tensor<1x1960xsi8>)
    %3 = rune.proc_block "wrap" kernel "modulo" args {modulus = 3.0 : f64} (%2) : (tensor<1x1960xsi8>) -> (tensor<1x1960xsi8>)
    rune.output "serial" kind "serial" args {}(%3) : (tensor<1x1960xsi8>)
  }
}

// CHECK: rune.proc_block "fft" kernel "fft" args {precision = "relaxed"}
// CHECK: rune.proc_block "noise" kernel "noise_filtering" args {precision = "relaxed"}
// CHECK: rune.proc_block "wrap" kernel "modulo" args {modulus = 3.000000e+00 : f64}

// fft: f32 filter weights and mel values; four f32 sums per filter; f32 sqrt.
// LOWER:      "memref.global"() <{sym_name = "kernel.0.fft.filter_weights.{{[0-9]+}}", type = memref<463xf32>
// LOWER:      "memref.global"() <{sym_name = "kernel.0.fft.mels.{{[0-9]+}}", type = memref<2080xf32>
// noise_filtering: f32 logs.
// LOWER:      "memref.global"() <{sym_name = "kernel.1.noise.logs.{{[0-9]+}}", type = memref<1960xf32>
// LOWER:      func.func private @kernel.0.fft(
// LOWER:        scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// LOWER:        math.sqrt %{{.*}} : f32
// LOWER:      func.func private @kernel.1.noise(
// The polynomial log2 of v = f32(energy) + 1: exponent bits, mantissa in [1, 2), Horner in t.
// LOWER:        %[[V:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// LOWER-NEXT:   %[[BITS:.*]] = arith.bitcast %[[V]] : f32 to i32
// LOWER:        %[[M:.*]] = arith.bitcast %{{.*}} : i32 to f32
// LOWER-NEXT:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// LOWER-NEXT:   %[[T:.*]] = arith.subf %[[M]], %[[ONE]] : f32
// LOWER-NEXT:   %[[C6:.*]] = arith.constant 0.0204903{{[0-9]*}} : f32
// LOWER-NEXT:   %{{.*}} = arith.mulf %[[C6]], %[[T]] : f32
// LOWER-NOT:    f64
// LOWER:        func.func private @kernel.2.wrap(

// The exact build keeps the original's f64.
// EXACT:      "memref.global"() <{sym_name = "kernel.0.fft.filter_weights.{{[0-9]+}}", type = memref<463xf64>
// EXACT:      "memref.global"() <{sym_name = "kernel.1.noise.logs.{{[0-9]+}}", type = memref<1960xf64>
