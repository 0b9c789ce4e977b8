// fft works on four frames at once, interleaved ([element][lane]: element i of lane l at
// 4i + l; 49 frames padded to 52, the spare lanes repeating frame 48): the four frames are
// windowed side by side straight into the FFT's first pass (im is known zero and never read
// before it), then the FFT runs over all four, each butterfly loop running over j = offset * 4 + lane so that every
// data access is contiguous in j (the twiddle is butterfly j >> 2's) and LLVM vectorises it
// across frames, two stages per pass over the data (the ninth alone), with the exact-constant
// shortcuts (multiplies by twiddle parts exactly +-1 and by the zero imaginary input dropped);
// the last pass (stages 7-9) computes only the bins the rows read and stores their |X|^2
// ([bin][lane]);
// then for each of the 40 filters one loop carries the four frames' f64 sums, each adding
// weight * f64(power) in the filter's row order exactly as a single frame did. Every lane's
// arithmetic equals the single frame's, so the golden vectors still match bit for bit.
// RUN: rune-opt %s --passes="lower-pipeline{simd=true}" | filecheck %s

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "audio" kind "SOUND" args {hz = 16000 : i64} : tensor<1x16000xsi16>
    %1 = rune.proc_block "fft" kernel "fft" args {} (%0) : (tensor<1x16000xsi16>) -> (tensor<1x1960xui32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<1x1960xui32>)
  }
}

// 9 stages x 256 butterflies of twiddles; 52 frame starts; 512 x 4 lanes of re, im.
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.fft_cos.{{[0-9]+}}", type = memref<2304xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.frame_starts.{{[0-9]+}}", type = memref<52xi32>, initial_value = dense<[0, 318,
// CHECK-SAME: 15264, 15264, 15264, 15264]>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.re.{{[0-9]+}}", type = memref<2048xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.im.{{[0-9]+}}", type = memref<2048xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.powers.{{[0-9]+}}", type = memref<1024xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.mels.{{[0-9]+}}", type = memref<2080xf64>

// 13 groups; every frame is 480 samples long here (and the target has SIMD128: simd=true, as
// runec sets it for wasm32), so the windowing is fused with the first
// pass (stages 1 and 2), which reads the bit-reversed points 4g .. 4g + 3: samples s + 0,
// + 256, + 128, + 384 with s = rev(g). For four consecutive s at a time (24 iterations while
// s + 384 < 480, then 8 where that point is padding: a known zero), each point's four samples of
// each frame are an i16x4 load, converted and times the window's four values in f32x4, and
// the four frames are transposed (eight shuffles) into one [lane] vector per sample.
// CHECK:      %[[GROUPS:.*]] = arith.constant 13 : index
// CHECK:      scf.for %[[GROUP:.*]] = %{{.*}} to %[[GROUPS]] step %{{.*}} {
// CHECK:        %[[ZERO:.*]] = vector.bitcast %{{.*}} : vector<4xi32> to vector<4xf32>
// CHECK:        %[[BLOCKS:.*]] = arith.constant 24 : index
// CHECK:        scf.for %[[B:.*]] = %{{.*}} to %[[BLOCKS]] step %{{.*}} {
// CHECK:          %[[S:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK:          %[[AT0:.*]] = arith.addi %[[S]], %{{.*}} : index
// CHECK-NEXT:     %[[W:.*]] = vector.load %{{.*}}[%[[AT0]]] : memref<512xf32>, vector<4xf32>
// CHECK-NEXT:     %[[A0:.*]] = arith.addi %{{.*}}, %[[AT0]] : index
// CHECK-NEXT:     %[[S0:.*]] = vector.load %{{.*}}[%[[A0]]] : memref<16000xi16>, vector<4xi16>
// CHECK-NEXT:     %[[E0:.*]] = simd.extend %[[S0]] : vector<4xi16> to vector<4xi32>
// CHECK-NEXT:     %[[F0:.*]] = simd.to_float %[[E0]] : vector<4xi32> to vector<4xf32>
// CHECK-NEXT:     %[[X0:.*]] = arith.mulf %[[F0]], %[[W]] : vector<4xf32>
// CHECK-COUNT-3:  arith.mulf %{{.*}}, %[[W]] : vector<4xf32>
// CHECK-NEXT:     %[[T0:.*]] = vector.shuffle %[[X0]], %{{.*}} [0, 4, 1, 5]
// CHECK-COUNT-3:  vector.shuffle
// CHECK-NEXT:     %[[P0:.*]] = vector.shuffle %[[T0]], %{{.*}} [0, 1, 4, 5]
// CHECK:          %[[SECOND:.*]] = arith.constant 256 : index
// CHECK-NEXT:     arith.addi %[[S]], %[[SECOND]] : index
// CHECK-COUNT-4:  vector.load %{{.*}} : memref<16000xi16>, vector<4xi16>
// CHECK-COUNT-8:  vector.shuffle
// CHECK:          arith.constant 128 : index
// CHECK:          arith.constant 384 : index
// Each s's group g = rev(s) >> 2 (from the 512-point reversal table): the first pass on its
// four points in registers, as the pass itself computes it. Stage 1's cosines are exactly 1
// and the input imaginary parts 0: X0 +- X1 and s * X1 (the sine loaded once and repeated
// across the four frames' lanes). Stage 2's even cosines are exactly 1, its odd sines exactly
// -1: no multiplies by them. Each point stored once, into re and im.
// CHECK:          %[[R:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<512xi32>
// CHECK-NEXT:     %[[TWO:.*]] = arith.constant 2 : i32
// CHECK-NEXT:     %[[G:.*]] = arith.shrsi %[[R]], %[[TWO]] : i32
// CHECK:          %[[SIN1:.*]] = vector.load %[[SIN:.*]][%{{.*}}] : memref<2304xf32>, vector<1xf32>
// CHECK-NEXT:     %[[SPLAT:.*]] = vector.shuffle %[[SIN1]], %[[SIN1]] [0, 0, 0, 0]
// CHECK-NEXT:     %[[I1:.*]] = arith.mulf %[[SPLAT]], %[[P1:.*]] : vector<4xf32>
// CHECK-NEXT:     %[[U0R:.*]] = arith.addf %[[P0]], %[[P1]] : vector<4xf32>
// CHECK-NEXT:     %[[U1R:.*]] = arith.subf %[[P0]], %[[P1]] : vector<4xf32>
// CHECK-NEXT:     %[[U1I:.*]] = arith.negf %[[I1]] : vector<4xf32>
// CHECK:          %[[V0R:.*]] = arith.addf %[[U0R]], %{{.*}} : vector<4xf32>
// CHECK:          vector.store %[[V0R]], %[[RE:.*]][%[[AT:.*]]] : memref<2048xf32>, vector<4xf32>
// CHECK-NEXT:     vector.store %{{.*}}, %[[IM:.*]][%[[AT]]] : memref<2048xf32>, vector<4xf32>
// CHECK-COUNT-3:  vector.store %{{.*}}, %[[IM]][%{{.*}}] : memref<2048xf32>, vector<4xf32>
// The last 8 values of s: the point at s + 384 is padding, a known zero (no load), stored as
// the zero vector where it stays one.
// CHECK:        }
// CHECK-NEXT:   arith.constant 0 : index
// CHECK-NEXT:   %[[REST:.*]] = arith.constant 8 : index
// CHECK-NEXT:   %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT:   scf.for %{{.*}} = %{{.*}} to %[[REST]] step %[[ONE]] {
// CHECK-COUNT-12: vector.load %{{.*}} : memref<16000xi16>, vector<4xi16>
// CHECK-NOT:      memref<16000xi16>
// CHECK:          vector.store %{{.*}}, %[[RE]][%{{.*}}] : memref<2048xf32>, vector<4xf32>
// The FFT's passes then start at stage 3: 32 groups of 16 points (no pass over 128 groups of
// four points), its points loaded from re and im.
// CHECK:        }
// CHECK-NEXT:   arith.constant 0 : index
// CHECK-NEXT:   %[[G34:.*]] = arith.constant 32 : index
// CHECK-NEXT:   %[[ONE34:.*]] = arith.constant 1 : index
// CHECK-NEXT:   scf.for %{{.*}} = %{{.*}} to %[[G34]] step %[[ONE34]] {
// CHECK:          memref.load %[[RE]][%{{.*}}] : memref<2048xf32>
// CHECK-NEXT:     memref.load %[[IM]][%{{.*}}] : memref<2048xf32>

// Stages 7 to 9 in the last pass (the ninth would be alone; here it joins the pass before, as
// only the bins used are computed): 8 points at o + 64 m; the ninth stage computes only the
// outputs holding X[0..255] (m = 0..3 of the 8), and their |X|^2 go to powers ([bin][lane],
// 256 x 4: powers is sized by sink_extent), nothing back into re/im.
// CHECK:        %[[RR:.*]] = arith.mulf %[[XR:[0-9]+]], %[[XR]] : f32
// CHECK-NEXT:   %[[II:.*]] = arith.mulf %[[XI:[0-9]+]], %[[XI]] : f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[RR]], %[[II]] : f32
// CHECK-NEXT:   memref.store %[[SUM]], %[[POWERS:.*]][%{{.*}}] : memref<1024xf32>
// CHECK-COUNT-3: memref.store %{{.*}}, %[[POWERS]][%{{.*}}] : memref<1024xf32>
// CHECK-NEXT: }

// The filterbank: four sums carried by one loop over the filter's rows.
// CHECK:        scf.for %[[FILTER:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:          %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[A0:.*]] = %[[Z:.*]], %[[A1:.*]] = %[[Z]], %[[A2:.*]] = %[[Z]], %[[A3:.*]] = %[[Z]]) -> (f64, f64, f64, f64) {
// CHECK:            %[[W:.*]] = memref.load %{{.*}}[%[[K]]] : memref<463xf64>
// CHECK:            %[[L0:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1024xf32>
// CHECK-NEXT:       %[[V0:.*]] = arith.extf %[[L0]] : f32 to f64
// CHECK:            %[[L1:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1024xf32>
// CHECK-NEXT:       %[[V1:.*]] = arith.extf %[[L1]] : f32 to f64
// CHECK:            %[[L2:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1024xf32>
// CHECK-NEXT:       %[[V2:.*]] = arith.extf %[[L2]] : f32 to f64
// CHECK:            %[[L3:.*]] = memref.load %[[POWERS]][%{{.*}}] : memref<1024xf32>
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

// Normalisation reads only the 1960 real values, not the spare frames'. Its min and max are
// integer ones over the bits (the values are never NaN nor below +0, so the bits order as the
// values do), starting from the bits of +inf and -inf.
// CHECK:      %[[INF:.*]] = arith.constant 0x7ff0000000000000 : f64
// CHECK-NEXT: %[[INFBITS:.*]] = arith.bitcast %[[INF]] : f64 to i64
// CHECK-NEXT: %[[NINF:.*]] = arith.constant 0xfff0000000000000 : f64
// CHECK-NEXT: %[[NINFBITS:.*]] = arith.bitcast %[[NINF]] : f64 to i64
// CHECK:      %[[COUNT:.*]] = arith.constant 1960 : index
// CHECK:      %[[LOW:.*]], %[[HIGH:.*]] = scf.for %{{.*}} = %{{.*}} to %[[COUNT]] step %{{.*}} iter_args(%[[L:.*]] = %[[INFBITS]], %[[H:.*]] = %[[NINFBITS]]) -> (i64, i64) {
// CHECK:        %[[B:.*]] = arith.bitcast %{{.*}} : f64 to i64
// CHECK-NEXT:   arith.minsi %[[L]], %[[B]] : i64
// CHECK:        arith.maxsi %[[H]], %{{.*}} : i64
// CHECK:      arith.bitcast %[[LOW]] : i64 to f64
// CHECK-NEXT: arith.bitcast %[[HIGH]] : i64 to f64
