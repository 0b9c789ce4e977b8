// elide-softmax-before-argmax: most_confident_indices{count = 1} after an int8 softmax reads
// the logits where the compile-time proof holds (microspeech's scale 0.0652 over 6 labels),
// and leaves the softmax where it does not (100 labels, where neighbouring logits can tie
// after quantisation), where the softmax has another reader, where it has several rows, or
// where the consumer takes the top 2.
// RUN: rune-opt %s --passes=elide-softmax-before-argmax | filecheck %s

builtin.module {
  rune.pipeline @p image "runicos/base" {
    %0 = rune.capability "x" kind "RAW" args {} : tensor<1x6xsi8>
    %1 = "tfl.softmax"(%0) <{stage = "m#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.06522341072559357>], [#builtin.int<65>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], [#builtin.int<-128>], #builtin.int<0>>], beta = 1.000000e+00 : f32}> : (tensor<1x6xsi8>) -> tensor<1x6xsi8>
    %2 = rune.proc_block "top" kernel "most_confident_indices" args {count = 1 : i64}(%1) : (tensor<1x6xsi8>) -> (tensor<1xui32>)
    %3 = rune.capability "wide" kind "RAW" args {} : tensor<1x100xsi8>
    %4 = "tfl.softmax"(%3) <{stage = "n#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.06522341072559357>], [#builtin.int<0>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], [#builtin.int<-128>], #builtin.int<0>>], beta = 1.000000e+00 : f32}> : (tensor<1x100xsi8>) -> tensor<1x100xsi8>
    %5 = rune.proc_block "top_wide" kernel "most_confident_indices" args {count = 1 : i64}(%4) : (tensor<1x100xsi8>) -> (tensor<1xui32>)
    %6 = "tfl.softmax"(%0) <{stage = "o#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.06522341072559357>], [#builtin.int<65>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], [#builtin.int<-128>], #builtin.int<0>>], beta = 1.000000e+00 : f32}> : (tensor<1x6xsi8>) -> tensor<1x6xsi8>
    %7 = rune.proc_block "top2" kernel "most_confident_indices" args {count = 2 : i64}(%6) : (tensor<1x6xsi8>) -> (tensor<2xui32>)
    %8 = rune.capability "rows" kind "RAW" args {} : tensor<2x6xsi8>
    %9 = "tfl.softmax"(%8) <{stage = "r#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.06522341072559357>], [#builtin.int<65>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], [#builtin.int<-128>], #builtin.int<0>>], beta = 1.000000e+00 : f32}> : (tensor<2x6xsi8>) -> tensor<2x6xsi8>
    %10 = rune.proc_block "top_rows" kernel "most_confident_indices" args {count = 1 : i64}(%9) : (tensor<2x6xsi8>) -> (tensor<1xui32>)
    %11 = "tfl.softmax"(%0) <{stage = "s#0", constants = [unit], quant = [#tfl.quant<[#builtin.float_data<0.06522341072559357>], [#builtin.int<65>], #builtin.int<0>>, #tfl.quant<[#builtin.float_data<0.00390625>], [#builtin.int<-128>], #builtin.int<0>>], beta = 1.000000e+00 : f32}> : (tensor<1x6xsi8>) -> tensor<1x6xsi8>
    %12 = rune.proc_block "top_shared" kernel "most_confident_indices" args {count = 1 : i64}(%11) : (tensor<1x6xsi8>) -> (tensor<1xui32>)
    rune.output "serial" kind "serial" args {}(%2, %5, %7, %10, %12, %11) : (tensor<1xui32>, tensor<1xui32>, tensor<2xui32>, tensor<1xui32>, tensor<1xui32>, tensor<1x6xsi8>)
  }
}

// CHECK:      %[[X:.*]] = rune.capability "x"
// CHECK-NOT:  "m#0"
// CHECK:      rune.proc_block "top" kernel "most_confident_indices" args {count = 1 : i64}(%[[X]])
// CHECK:      %[[W:.*]] = "tfl.softmax"({{.*}}) <{stage = "n#0"
// CHECK:      rune.proc_block "top_wide" kernel "most_confident_indices" args {count = 1 : i64}(%[[W]])
// CHECK:      %[[T:.*]] = "tfl.softmax"({{.*}}) <{stage = "o#0"
// CHECK:      rune.proc_block "top2" kernel "most_confident_indices" args {count = 2 : i64}(%[[T]])
// CHECK:      %[[R:.*]] = "tfl.softmax"({{.*}}) <{stage = "r#0"
// CHECK:      rune.proc_block "top_rows" kernel "most_confident_indices" args {count = 1 : i64}(%[[R]])
// CHECK:      %[[S:.*]] = "tfl.softmax"({{.*}}) <{stage = "s#0"
// CHECK:      rune.proc_block "top_shared" kernel "most_confident_indices" args {count = 1 : i64}(%[[S]])
