// A typed attribute needs every field that is not optional, and names the one that is missing.
// RUN: not rune-opt %s 2>&1 | filecheck %s

builtin.module attributes {plan = #rune.memory_plan<strategy "naive", arena_bytes 8, naive_bytes 8, tensors []>} {
}

// CHECK: error: invalid IR in {{.*}}invalid-missing-field.mlir: {{.*}}invalid-missing-field.mlir:4:112
// CHECK: rune.memory_plan needs the field 'lower_bound_bytes'
// CHECK-NOT: Traceback
