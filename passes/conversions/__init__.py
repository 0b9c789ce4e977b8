"""Conversions between dialects, one module per source dialect (MLIR's layout)."""
