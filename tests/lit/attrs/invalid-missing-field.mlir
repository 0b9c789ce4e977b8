// A typed attribute needs every field that is not optional, and names the one that is missing.
// (A memory plan's own fields are optional, as in a host's manifest; lowering checks them.)
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module attributes {slot = #rune.tensor_slot<id 0, offset 0, bytes 8, first 0>} {
}

// CHECK: error: invalid IR in {{.*}}invalid-missing-field.mlir: {{.*}}invalid-missing-field.mlir:5:86
// CHECK: rune.tensor_slot needs the field 'last'
// CHECK-NOT: Traceback
