// fold-dequantize-quantize removes DEQUANTIZE -> data movement -> QUANTIZE round trips to the
// same quantisation, leaving the data movement on the integers; it keeps a round trip to
// another scale, and a DEQUANTIZE that has another reader.
// quantize-before-data-movement moves a QUANTIZE above a float MIRROR_PAD (which grows its
// input) but not above a STRIDED_SLICE that shrinks it.
// RUN: rune-opt %s --passes=fold-dequantize-quantize | filecheck %s
// RUN: rune-opt %s --passes=quantize-before-data-movement | filecheck %s --check-prefix=MOVE
// Either order ends with the same integer pipeline.
// RUN: rune-opt %s --passes=quantize-before-data-movement,fold-dequantize-quantize | filecheck %s --check-prefix=BOTH

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x4x4x2xsi8>
    %1 = "tfl.dequantize"(%0) <{stage = "a#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>, none]}> : (tensor<1x4x4x2xsi8>) -> tensor<1x4x4x2xf32>
    %2 = "tfl.mirror_pad"(%1) <{stage = "a#1", constants = [unit, dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>], quant = [none, none, none], mode = "REFLECT"}> : (tensor<1x4x4x2xf32>) -> tensor<1x6x6x2xf32>
    %3 = "tfl.quantize"(%2) <{stage = "a#2", constants = [unit], quant = [none, #tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>]}> : (tensor<1x6x6x2xf32>) -> tensor<1x6x6x2xsi8>
    %4 = "tfl.dequantize"(%0) <{stage = "b#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.019878942519426346>], [#builtin.int<-25>], #builtin.int<0>>, none]}> : (tensor<1x4x4x2xsi8>) -> tensor<1x4x4x2xf32>
    %5 = "tfl.quantize"(%4) <{stage = "c#0", constants = [unit], quant = [none, #tfl.quant<[#builtin.float_data<0.022740744054317474>], [#builtin.int<-3>], #builtin.int<0>>]}> : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xsi8>
    %6 = rune.capability "f" kind "RAW" args {} : tensor<1x4x4x2xf32>
    %7 = "tfl.strided_slice"(%6) <{stage = "d#0", constants = [unit, dense<[0, 0, 0, 0]> : tensor<4xi32>, dense<[1, 2, 4, 2]> : tensor<4xi32>, dense<[1, 1, 1, 1]> : tensor<4xi32>], quant = [none, none, none, none, none], begin_mask = 0 : i64, end_mask = 0 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 0 : i64}> : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x2xf32>
    %8 = "tfl.quantize"(%7) <{stage = "d#1", constants = [unit], quant = [none, #tfl.quant<[#builtin.float_data<0.003921568859368563>], [#builtin.int<-128>], #builtin.int<0>>]}> : (tensor<1x2x4x2xf32>) -> tensor<1x2x4x2xsi8>
    %9 = "tfl.mirror_pad"(%6) <{stage = "e#0", constants = [unit, dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>], quant = [none, none, none], mode = "REFLECT"}> : (tensor<1x4x4x2xf32>) -> tensor<1x6x6x2xf32>
    %10 = "tfl.quantize"(%9) <{stage = "e#1", constants = [unit], quant = [none, #tfl.quant<[#builtin.float_data<0.003921568859368563>], [#builtin.int<-128>], #builtin.int<0>>]}> : (tensor<1x6x6x2xf32>) -> tensor<1x6x6x2xsi8>
    %11 = "tfl.dequantize"(%0) <{stage = "g#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>, none]}> : (tensor<1x4x4x2xsi8>) -> tensor<1x4x4x2xf32>
    %12 = "tfl.quantize"(%11) <{stage = "g#1", constants = [unit], quant = [none, #tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>]}> : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xsi8>
    rune.output "serial" kind "serial" args {}(%3, %5, %8, %10, %12, %11) : (tensor<1x6x6x2xsi8>, tensor<1x4x4x2xsi8>, tensor<1x2x4x2xsi8>, tensor<1x6x6x2xsi8>, tensor<1x4x4x2xsi8>, tensor<1x4x4x2xf32>)
  }
}

// CHECK:      %[[X:.*]] = rune.capability "x"
// CHECK-NOT:  "a#0"
// CHECK:      %[[PAD:.*]] = "tfl.mirror_pad"(%[[X]]) <{stage = "a#1", {{.*}}quant = [#tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>, none, #tfl.quant<[#builtin.float_data<0.04377799108624458>], [#builtin.int<-128>], #builtin.int<0>>]{{.*}} : (tensor<1x4x4x2xsi8>) -> tensor<1x6x6x2xsi8>
// CHECK-NOT:  "a#2"
// CHECK:      %[[B:.*]] = "tfl.dequantize"(%[[X]]) <{stage = "b#0"
// CHECK:      %[[C:.*]] = "tfl.quantize"(%[[B]]) <{stage = "c#0"
// CHECK:      %[[G:.*]] = "tfl.dequantize"(%[[X]]) <{stage = "g#0"
// CHECK-NOT:  "g#1"
// CHECK:      rune.output "serial" kind "serial" args {}(%[[PAD]], %[[C]], %{{.*}}, %{{.*}}, %[[X]], %[[G]])

// MOVE:       %[[F:.*]] = rune.capability "f"
// MOVE:       %[[S:.*]] = "tfl.strided_slice"(%[[F]])
// MOVE-NEXT:  "tfl.quantize"(%[[S]]) <{stage = "d#1"
// MOVE:       %[[Q:.*]] = "tfl.quantize"(%[[F]]) <{stage = "e#1"{{.*}} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xsi8>
// MOVE-NEXT:  "tfl.mirror_pad"(%[[Q]]) <{stage = "e#0"{{.*}} : (tensor<1x4x4x2xsi8>) -> tensor<1x6x6x2xsi8>

// BOTH:       %[[X:.*]] = rune.capability "x"
// BOTH-NEXT:  %[[PAD:.*]] = "tfl.mirror_pad"(%[[X]]) <{stage = "a#1"{{.*}} : (tensor<1x4x4x2xsi8>) -> tensor<1x6x6x2xsi8>
// BOTH-NOT:   "a#0"
// BOTH-NOT:   "a#2"
