// fft works on four frames at once, interleaved ([element][lane]: element i of lane l at
// 4i + l; 49 frames padded to 52, the spare lanes repeating frame 48): each frame is windowed
// into its lane, then one FFT runs over all four, each butterfly loop running over
// j = offset * 4 + lane so that every data access is contiguous in j (the twiddle is butterfly
// j >> 2's) and LLVM vectorises it across frames, two stages per pass over the data (the
// ninth alone); |X|^2 of the 255 bins the rows read is
// one contiguous [bin][lane] loop; then for each of the 40 filters one loop carries the four
// frames' f64 sums, each adding weight * f64(power) in the filter's row order exactly as a single
// frame did. Every lane's arithmetic is the single frame's, so the golden vectors still match
// bit for bit.
// RUN: rune-opt %s --passes=lower-pipeline | filecheck %s

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
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.powers.{{[0-9]+}}", type = memref<1020xf32>
// CHECK: "memref.global"() <{sym_name = "kernel.0.fft.mels.{{[0-9]+}}", type = memref<2080xf64>

// 13 groups; each lane's frame goes to re[4 * reversal[i] + lane]: one loop over the frame's
// samples (up to its length), one over the zero padding (0 * window), no branch in either.
// CHECK:      %[[GROUPS:.*]] = arith.constant 13 : index
// CHECK:      scf.for %[[GROUP:.*]] = %{{.*}} to %[[GROUPS]] step %{{.*}} {
// CHECK:        scf.for %[[LANE:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:          %[[START:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<52xi32>
// CHECK-NEXT:     %[[LEN:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<52xi32>
// CHECK-NEXT:     %[[END:.*]] = arith.index_cast %[[LEN]] : i32 to index
// CHECK:          scf.for %[[I:.*]] = %{{.*}} to %[[END]] step %{{.*}} {
// CHECK:            %[[SAMPLE:.*]] = arith.sitofp %{{.*}} : i16 to f32
// CHECK-NEXT:       %[[R:.*]] = memref.load %{{.*}}[%[[I]]] : memref<512xi32>
// CHECK-NEXT:       %[[REV:.*]] = arith.index_cast %[[R]] : i32 to index
// CHECK-NEXT:       %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-NEXT:       %[[AT:.*]] = arith.muli %[[REV]], %[[FOUR]] : index
// CHECK-NEXT:       %[[SLOT:.*]] = arith.addi %[[AT]], %[[LANE]] : index
// CHECK:            memref.store %{{.*}}, %[[RE:.*]][%[[SLOT]]] : memref<2048xf32>
// CHECK:          %[[SIZE:.*]] = arith.constant 512 : index
// CHECK:          scf.for %[[P:.*]] = %[[END]] to %[[SIZE]] step %{{.*}} {
// CHECK-NEXT:       %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:            arith.mulf %[[ZERO]], %{{.*}} : f32

// Stages 1 and 2 in one pass: 128 groups of 4 points x 4 lanes; j over 1 butterfly x 4 lanes;
// the points o, o + 1, o + 2, o + 3 (x 4 lanes: +0, +4, +8, +12) are loaded once, go through
// stage 1's two butterflies (twiddles 2g + o and 2g + o + 1) and stage 2's two (on the results
// of the first, twiddles 256 further on), and are stored once.
// CHECK:        %[[GROUPS:.*]] = arith.constant 128 : index
// CHECK:        scf.for %[[G:.*]] = %{{.*}} to %[[GROUPS]] step %{{.*}} {
// CHECK:          scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:            %[[ZERO:.*]] = arith.constant 0 : index
// CHECK-NEXT:       %[[P0:.*]] = arith.addi %{{.*}}, %[[ZERO]] : index
// CHECK:            %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-NEXT:       %[[P1:.*]] = arith.addi %{{.*}}, %[[FOUR]] : index
// CHECK:            %[[EIGHT:.*]] = arith.constant 8 : index
// CHECK-NEXT:       %[[P2:.*]] = arith.addi %{{.*}}, %[[EIGHT]] : index
// CHECK:            %[[TWELVE:.*]] = arith.constant 12 : index
// CHECK-NEXT:       %[[P3:.*]] = arith.addi %{{.*}}, %[[TWELVE]] : index
// CHECK-NEXT:       %[[R0:.*]] = memref.load %[[RE]][%[[P0]]] : memref<2048xf32>
// CHECK-NEXT:       %[[I0:.*]] = memref.load %[[IM:.*]][%[[P0]]] : memref<2048xf32>
// CHECK-NEXT:       %[[R1:.*]] = memref.load %[[RE]][%[[P1]]] : memref<2048xf32>
// CHECK-NEXT:       %[[I1:.*]] = memref.load %[[IM]][%[[P1]]] : memref<2048xf32>
// CHECK-NEXT:       %[[R2:.*]] = memref.load %[[RE]][%[[P2]]] : memref<2048xf32>
// CHECK-NEXT:       %[[I2:.*]] = memref.load %[[IM]][%[[P2]]] : memref<2048xf32>
// CHECK-NEXT:       %[[R3:.*]] = memref.load %[[RE]][%[[P3]]] : memref<2048xf32>
// CHECK-NEXT:       %[[I3:.*]] = memref.load %[[IM]][%[[P3]]] : memref<2048xf32>
// CHECK-NEXT:       %[[JI:.*]] = arith.index_cast %[[J]] : index to i32
// CHECK-NEXT:       %[[TWO:.*]] = arith.constant 2 : i32
// CHECK-NEXT:       %[[BF:.*]] = arith.shrsi %[[JI]], %[[TWO]] : i32
// CHECK-NEXT:       %[[BFI:.*]] = arith.index_cast %[[BF]] : i32 to index
// CHECK-NEXT:       %[[OFF:.*]] = arith.addi %{{.*}}, %[[BFI]] : index
// CHECK-NEXT:       %[[Z:.*]] = arith.constant 0 : index
// CHECK-NEXT:       %[[TW1:.*]] = arith.addi %[[OFF]], %[[Z]] : index
// CHECK-NEXT:       %[[C:.*]] = memref.load %{{.*}}[%[[TW1]]] : memref<2304xf32>
// CHECK-NEXT:       %[[S:.*]] = memref.load %{{.*}}[%[[TW1]]] : memref<2304xf32>
// CHECK-NEXT:       %[[CXR:.*]] = arith.mulf %[[C]], %[[R1]] : f32
// CHECK-NEXT:       %[[SXI:.*]] = arith.mulf %[[S]], %[[I1]] : f32
// CHECK-NEXT:       %[[TR:.*]] = arith.subf %[[CXR]], %[[SXI]] : f32
// CHECK-NEXT:       %[[CXI:.*]] = arith.mulf %[[C]], %[[I1]] : f32
// CHECK-NEXT:       %[[SXR:.*]] = arith.mulf %[[S]], %[[R1]] : f32
// CHECK-NEXT:       %[[TI:.*]] = arith.addf %[[CXI]], %[[SXR]] : f32
// CHECK-NEXT:       %[[U0R:.*]] = arith.addf %[[R0]], %[[TR]] : f32
// CHECK-NEXT:       %[[U0I:.*]] = arith.addf %[[I0]], %[[TI]] : f32
// CHECK-NEXT:       %[[U1R:.*]] = arith.subf %[[R0]], %[[TR]] : f32
// CHECK-NEXT:       %[[U1I:.*]] = arith.subf %[[I0]], %[[TI]] : f32
// CHECK-NEXT:       %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT:       %[[TW1B:.*]] = arith.addi %[[OFF]], %[[ONE]] : index
// CHECK:            %[[U2R:.*]] = arith.addf %[[R2]], %{{.*}} : f32
// CHECK:            %[[SECOND:.*]] = arith.constant 256 : index
// CHECK-NEXT:       %[[TW2:.*]] = arith.addi %[[OFF]], %[[SECOND]] : index
// CHECK-NEXT:       %[[C2:.*]] = memref.load %{{.*}}[%[[TW2]]] : memref<2304xf32>
// CHECK-NEXT:       %[[S2:.*]] = memref.load %{{.*}}[%[[TW2]]] : memref<2304xf32>
// CHECK-NEXT:       %[[C2XR:.*]] = arith.mulf %[[C2]], %[[U2R]] : f32
// CHECK:            %[[V0R:.*]] = arith.addf %[[U0R]], %{{.*}} : f32
// CHECK:            memref.store %[[V0R]], %[[RE]][%[[P0]]] : memref<2048xf32>
// CHECK:            memref.store %{{.*}}, %[[IM]][%[[P3]]] : memref<2048xf32>

// |X|^2, contiguous over [bin][lane].
// CHECK:      %[[BINS:.*]] = arith.constant 1020 : index
// CHECK:      scf.for %[[B:.*]] = %{{.*}} to %[[BINS]] step %{{.*}} {
// CHECK-NEXT:   %[[PR:.*]] = memref.load %[[RE]][%[[B]]] : memref<2048xf32>
// CHECK-NEXT:   %[[PI:.*]] = memref.load %[[IM]][%[[B]]] : memref<2048xf32>
// CHECK-NEXT:   %[[RR:.*]] = arith.mulf %[[PR]], %[[PR]] : f32
// CHECK-NEXT:   %[[II:.*]] = arith.mulf %[[PI]], %[[PI]] : f32
// CHECK-NEXT:   %[[SUM:.*]] = arith.addf %[[RR]], %[[II]] : f32
// CHECK-NEXT:   memref.store %[[SUM]], %[[POWERS:.*]][%[[B]]] : memref<1020xf32>

// The filterbank: four sums carried by one loop over the filter's rows.
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
