// Fields come by name and in declaration order: an unknown or out-of-order field is an error that
// lists the fields.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module attributes {slot = #rune.tensor_slot<id 0, bytes 4, offset 0, first 0, last 1>} {
}

// CHECK: error: invalid IR in {{.*}}invalid-unknown-field.mlir: {{.*}}invalid-unknown-field.mlir:5:75
// CHECK: rune.tensor_slot has no field 'offset' here (fields, in order: id, offset, bytes, first, last)
// CHECK-NOT: Traceback
