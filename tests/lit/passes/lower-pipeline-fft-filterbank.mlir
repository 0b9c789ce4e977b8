// fft's mel filterbank runs four frames side by side. Frames go in groups of four (49 padded to
// 52; the spare lanes of the last group skip their FFT): each frame's |X|^2, for the 255 bins the
// spectrogram rows read, goes to lane `frame % 4` of a [bin][4] f32 buffer (4 KB, stays in
// cache); then for each of the 40 filters one loop carries the four frames' f64 sums, each
// adding weight * f64(power) in the filter's row order exactly as a single frame did (the golden
// vectors still match bit for bit), its four loads at neighbouring addresses (SIMD, and four
// independent add chains instead of one).
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "audio" kind "SOUND" args {hz = 16000 : i64} : tensor<1x16000xsi16>
    %1 = rune.proc_block "fft" kernel "fft" args {} (%0) : (tensor<1x16000xsi16>) -> (tensor<1x1960xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1960xui32>)
  }
}

// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.powers.{{[0-9]+}}", type = memref<1020xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.mels.{{[0-9]+}}", type = memref<2080xf64>

// 13 groups of 4 lanes; a lane past frame 48 does nothing.
// CHECK:      %[[GROUPS:.*]] = arith.constant 13 : index
// CHECK:      scf.for %[[GROUP:.*]] = %{{.*}} to %[[GROUPS]] step %{{.*}} {
// CHECK:        %[[LANES:.*]] = arith.constant 4 : index
// CHECK:        scf.for %[[LANE:.*]] = %{{.*}} to %[[LANES]] step %{{.*}} {
// CHECK-NEXT:     %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-NEXT:     %[[BASE:.*]] = arith.muli %[[GROUP]], %[[FOUR]] : index
// CHECK-NEXT:     %[[FRAME:.*]] = arith.addi %[[BASE]], %[[LANE]] : index
// CHECK-NEXT:     %[[F32:.*]] = arith.index_cast %[[FRAME]] : index to i32
// CHECK-NEXT:     %[[N:.*]] = arith.constant 49 : i32
// CHECK-NEXT:     %[[REAL:.*]] = arith.cmpi slt, %[[F32]], %[[N]] : i32
// CHECK-NEXT:     scf.if %[[REAL]] {

// After the frame's FFT: powers[bin * 4 + lane] = re^2 + im^2 (f32, as before).
// CHECK:          %[[BINS:.*]] = arith.constant 255 : index
// CHECK:          scf.for %[[BIN:.*]] = %{{.*}} to %[[BINS]] step %{{.*}} {
// CHECK-NEXT:       %[[XR:.*]] = memref.load %{{.*}}[%[[BIN]]] : memref<512xf32>
// CHECK-NEXT:       %[[XI:.*]] = memref.load %{{.*}}[%[[BIN]]] : memref<512xf32>
// CHECK-NEXT:       %[[RR:.*]] = arith.mulf %[[XR]], %[[XR]] : f32
// CHECK-NEXT:       %[[II:.*]] = arith.mulf %[[XI]], %[[XI]] : f32
// CHECK-NEXT:       %[[SUM:.*]] = arith.addf %[[RR]], %[[II]] : f32
// CHECK-NEXT:       %{{.*}} = arith.constant 4 : index
// CHECK-NEXT:       %[[ROW:.*]] = arith.muli %[[BIN]], %{{.*}} : index
// CHECK-NEXT:       %[[AT:.*]] = arith.addi %[[ROW]], %[[LANE]] : index
// CHECK-NEXT:       memref.store %[[SUM]], %[[POWERS:.*]][%[[AT]]] : memref<1020xf32>

// Then, per group, the filterbank: four sums carried by one loop over the filter's rows.
// CHECK:        scf.for %[[FILTER:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:          %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[Z:.*]], %[[A1:.*]] = %[[Z]], %[[A2:.*]] = %[[Z]], %[[A3:.*]] = %[[Z]]) -> (f64, f64, f64, f64) {
// CHECK:            %[[W:.*]] = memref.load %{{.*}}[%[[K]]] : memref<463xf64>
// CHECK:            %[[L0:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1020xf32>
// CHECK-NEXT:       %[[V0:.*]] = arith.extf %[[L0]] : f32 to f64
// CHECK:            %[[L1:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1020xf32>
// CHECK-NEXT:       %[[V1:.*]] = arith.extf %[[L1]] : f32 to f64
// CHECK:            %[[L2:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1020xf32>
// CHECK-NEXT:       %[[V2:.*]] = arith.extf %[[L2]] : f32 to f64
// CHECK:            %[[L3:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1020xf32>
// CHECK-NEXT:       %[[V3:.*]] = arith.extf %[[L3]] : f32 to f64
// CHECK-NEXT:       %[[M0:.*]] = arith.mulf %[[W]], %[[V0]] : f64
// CHECK-NEXT:       %[[S0:.*]] = arith.addf %[[A0]], %[[M0]] : f64
// CHECK-NEXT:       %[[M1:.*]] = arith.mulf %[[W]], %[[V1]] : f64
// CHECK-NEXT:       %[[S1:.*]] = arith.addf %[[A1]], %[[M1]] : f64
// CHECK-NEXT:       %[[M2:.*]] = arith.mulf %[[W]], %[[V2]] : f64
// CHECK-NEXT:       %[[S2:.*]] = arith.addf %[[A2]], %[[M2]] : f64
// CHECK-NEXT:       %[[M3:.*]] = arith.mulf %[[W]], %[[V3]] : f64
// CHECK-NEXT:       %[[S3:.*]] = arith.addf %[[A3]], %[[M3]] : f64
// CHECK-NEXT:       scf.yield %[[S0]], %[[S1]], %[[S2]], %[[S3]] : f64, f64, f64, f64
// CHECK:          math.sqrt
// CHECK:          math.sqrt
// CHECK:          math.sqrt
// CHECK:          math.sqrt

// Normalisation reads only the 1960 real values, not the spare frames'.
// CHECK:      %[[COUNT:.*]] = arith.constant 1960 : index
// CHECK:      scf.for %{{.*}} = %{{.*}} to %[[COUNT]] step %{{.*}} iter_args
