"""Kernels of the `tfl` dialect's operators, for models compiled into a rune (lower-tfl-to-loops):
`ops` (convolutions, pools, fully connected, softmax, ...; `KernelError`), `layout` (reshapes,
transposes, concatenation, ...) and `elementwise`. Each module's `KERNELS` maps an operator to
the function that writes its loops with the `KernelBuilder`; none is a Runefile proc block."""
