// Arguments are checked too: modulus 0 is undefined, and integer tensors need a whole modulus.
// RUN: not rune-opt %s --passes=check-types 2>&1 | filecheck %s --check-prefix=ZERO
// RUN: sed -e "s/0.0 : f64/2.5 : f64/" %s | not rune-opt --passes=check-types 2>&1 | filecheck %s --check-prefix=WHOLE

builtin.module {
  rune.pipeline @demo image "runicos/base" {
    %0 = rune.capability "in" kind "RAW" args {} : tensor<4xsi32>
    %1 = rune.proc_block "mod" kernel "modulo" args {modulus = 0.0 : f64}(%0) : (tensor<4xsi32>) -> (tensor<4xsi32>)
    rune.output "serial" kind "serial" args {}(%1) : (tensor<4xsi32>)
  }
}

// ZERO: error: modulo by 0 is undefined; give a non-zero `modulus`
// WHOLE: error: i32 input needs a whole-number `modulus`, got 2.5
