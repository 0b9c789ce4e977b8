// fuse-elementwise-into-model-inputs computes single-use, cheap, shape-keeping element-wise proc
// blocks on a compiled model operator's loads: the chain goes on the tfl op's `rune.fused`,
// its operand becomes the chain's input, and lower-tfl-to-loops builds the kernel with the
// chain applied on every load. A producer with two users, or an expensive one (sigmoid: an exp
// per element, recomputed for every tap), stays.
// RUN: rune-opt %s --passes=fuse-elementwise-into-model-inputs | filecheck %s
// The printed chain parses back and lower-tfl-to-loops applies it on load, in order.
// RUN: rune-opt %s --passes=fuse-elementwise-into-model-inputs | rune-opt --passes=lower-tfl-to-loops | filecheck %s --check-prefix=LOWER

builtin.module {
  rune.pipeline @p image "img" {
    %0 = rune.capability "img" kind "RAW" args {} : tensor<1x2x2x3xui8>
    %1 = rune.proc_block "norm" kernel "image-normalization" args {}(%0) : (tensor<1x2x2x3xui8>) -> (tensor<1x2x2x3xf32>)
    %2 = rune.proc_block "wrap" kernel "modulo" args {modulus = 0.5 : f64}(%1) : (tensor<1x2x2x3xf32>) -> (tensor<1x2x2x3xf32>)
    %3 = "tfl.fully_connected"(%2) <{stage = "m#0", constants = [unit, dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]]> : tensor<1x12xf32>, none], quant = [none, none, none, none], activation = "NONE", keep_num_dims = 0 : i64}> : (tensor<1x2x2x3xf32>) -> tensor<1x1xf32>
    %4 = rune.capability "y" kind "RAW" args {} : tensor<1x4xf32>
    %5 = rune.proc_block "twice" kernel "modulo" args {modulus = 3.0 : f64}(%4) : (tensor<1x4xf32>) -> (tensor<1x4xf32>)
    %6 = "tfl.relu"(%5) <{stage = "m#1", constants = [unit], quant = [none, none]}> : (tensor<1x4xf32>) -> tensor<1x4xf32>
    %7 = rune.proc_block "squash" kernel "sigmoid" args {}(%4) : (tensor<1x4xf32>) -> (tensor<1x4xf32>)
    %8 = "tfl.tanh"(%7) <{stage = "m#2", constants = [unit], quant = [none, none]}> : (tensor<1x4xf32>) -> tensor<1x4xf32>
    rune.output "serial" kind "serial" args {}(%3, %6, %5, %8) : (tensor<1x1xf32>, tensor<1x4xf32>, tensor<1x4xf32>, tensor<1x4xf32>)
  }
}

// image-normalization then modulo, in order, with the element types each step reads and gives;
// the fully connected layer now reads the u8 image:
// CHECK:      %[[IMG:.*]] = rune.capability "img"
// CHECK-NOT:  rune.proc_block "norm"
// CHECK-NOT:  rune.proc_block "wrap"
// CHECK:      "tfl.fully_connected"(%[[IMG]]) <{stage = "m#0", {{.*}}}> {rune.fused = {{\[\[}}#rune.fused_step<stage "norm", kernel "image-normalization", args {}, reads "u8", makes "f32">, #rune.fused_step<stage "wrap", kernel "modulo", args {modulus = 5.000000e-01 : f64}, reads "f32", makes "f32">]]} : (tensor<1x2x2x3xui8>) -> tensor<1x1xf32>
// "twice" has two users (the output reads it too): it stays, and so does the expensive sigmoid.
// CHECK:      %[[TWICE:.*]] = rune.proc_block "twice" kernel "modulo"
// CHECK:      "tfl.relu"(%[[TWICE]])
// CHECK-NOT:  rune.fused
// CHECK:      %[[SQ:.*]] = rune.proc_block "squash" kernel "sigmoid"
// CHECK:      "tfl.tanh"(%[[SQ]])
// CHECK-NOT:  rune.fused

// The kernel takes the u8 image; each load converts, normalises ((v - 0) / 255) and takes the
// remainder (fmod), then multiplies by the weight.
// LOWER:      func.func private @tfl.0.fully_connected(%[[IN:.*]]: memref<12xi8>, %{{.*}}: memref<1xf32>)
// LOWER:        %[[V:.*]] = memref.load %[[IN]][%{{.*}}] : memref<12xi8>
// LOWER-NEXT:   %[[F:.*]] = arith.uitofp %[[V]] : i8 to f32
// LOWER:        arith.subf %[[F]]
// LOWER:        arith.divf
// LOWER:        arith.mulf
// LOWER:      rune.call "m#0" callee "tfl.0.fully_connected"(%{{.*}}) : (tensor<1x2x2x3xui8>) -> (tensor<1x1xf32>)
