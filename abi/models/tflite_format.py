"""Pure-Python reader and verifier for TensorFlow Lite flatbuffer models (``.tflite``).

The compiler uses :func:`read_tflite` to check a Runefile's declared tensors
against a model's own inputs/outputs without importing an ML runtime, and the
runtime uses it to reject truncated or corrupted files before LiteRT sees them.

A ``.tflite`` file is a FlatBuffer whose root table is ``tflite.Model``
(``tensorflow/lite/schema/schema.fbs``) and whose file identifier, at byte 4,
is ``TFL3``. The FlatBuffer reader here is minimal and hand-written: every read
is bounds-checked, nothing recurses, and the data of constant buffers is never
touched, so reading a multi-megabyte model costs only its metadata.

Binary format facts used (all little-endian):

* byte 0: ``uoffset`` (u32) from byte 0 to the root table;
* a ``uoffset`` stored at position ``p`` refers to ``p + value``;
* a table starts with an ``soffset`` (i32); its vtable is at ``table - soffset``;
* a vtable is ``u16 vtable_size, u16 table_size, u16 field_offset[...]``, where
  field ``i`` (in schema order; a union takes two slots, type then value) is
  at byte ``4 + 2*i``; a missing entry or a zero offset means "default";
* a vector is ``u32 count`` followed by its elements (tables as uoffsets);
  a string is a byte vector followed by a NUL terminator.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from .errors import ModelFormatError

__all__ = [
    "BUILTIN_OPERATORS",
    "ELEMENT_TYPES",
    "TFLITE_IDENTIFIER",
    "TFLITE_SCHEMA_VERSION",
    "ModelFormatError",
    "Quantization",
    "TensorInfo",
    "TfliteModel",
    "read_tflite",
]

TFLITE_IDENTIFIER = b"TFL3"
TFLITE_SCHEMA_VERSION = 3

#: ``tflite.TensorType`` value -> Rune element-type spelling.
ELEMENT_TYPES: dict[int, str] = {
    0: "f32",  # FLOAT32
    1: "f16",  # FLOAT16
    2: "i32",  # INT32
    3: "u8",  # UINT8
    4: "i64",  # INT64
    5: "utf8",  # STRING
    6: "bool",  # BOOL
    7: "i16",  # INT16
    8: "c64",  # COMPLEX64
    9: "i8",  # INT8
    10: "f64",  # FLOAT64
    11: "c128",  # COMPLEX128
    12: "u64",  # UINT64
    13: "resource",  # RESOURCE
    14: "variant",  # VARIANT
    15: "u32",  # UINT32
    16: "u16",  # UINT16
    17: "i4",  # INT4
    18: "bf16",  # BFLOAT16
    19: "i2",  # INT2
    20: "u4",  # UINT4
    21: "f8e4m3fn",  # FLOAT8_E4M3FN
    22: "f8e5m2",  # FLOAT8_E5M2
}

# Bytes per element of the types whose constant data LiteRT size-checks
# (not strings, resources, variants, or the packed sub-byte integer types).
_ELEMENT_SIZES: dict[int, int] = {
    0: 4, 1: 2, 2: 4, 3: 1, 4: 8, 6: 1, 7: 2, 8: 8, 9: 1, 10: 8, 11: 16, 12: 8,
    15: 4, 16: 2, 18: 2, 21: 1, 22: 1,
}  # fmt: skip

#: ``tflite.BuiltinOperator`` names, indexed by enum value.
# fmt: off
BUILTIN_OPERATORS: tuple[str, ...] = (
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
    "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF",
    "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE",
    "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
    "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST",
    "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER",
    "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
    "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
    "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
    "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
    "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
    "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
    "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
    "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
    "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
    "STABLEHLO_LOGISTIC", "STABLEHLO_ADD", "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY",
    "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE",
    "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE",
    "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND",
    "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR", "STABLEHLO_LOG",
    "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR", "STABLEHLO_POWER",
    "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT", "STABLEHLO_SUBTRACT",
    "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE", "STABLEHLO_CONVERT",
    "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD",
    "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT",
    "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE",
    "STABLEHLO_SHIFT_LEFT", "STABLEHLO_CBRT", "STABLEHLO_CASE",
)
# fmt: on

_BUILTIN_CUSTOM = 32


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: ``real = scale * (q - zero_point)``.

    One entry per tensor (per-layer) or per slice along ``quantized_dimension``
    (per-axis).
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int = 0


@dataclass(frozen=True)
class TensorInfo:
    """An input or output tensor of the model's main subgraph."""

    name: str
    element_type: str
    #: The shape as the runtime sees it, or None when it is known only once the interpreter
    #: allocates tensors: the flatbuffer leaves a custom operator's output shape empty
    #: (TFLite_Detection_PostProcess's boxes, classes, scores and count) and the operator
    #: sets it when prepared.
    shape: tuple[int, ...] | None
    #: True if ``shape_signature`` marks some dimension unknown (-1).
    dynamic: bool = False
    quantization: Quantization | None = None
    #: Position of the tensor in the subgraph's tensor list.
    index: int = 0
    #: ``shape`` with -1 for unknown dimensions (equal to ``shape`` if absent; None with it).
    shape_signature: tuple[int, ...] | None = ()


@dataclass
class TfliteModel:
    """What the compiler and runtime need to know about a ``.tflite`` model."""

    version: int
    description: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    #: Operator names of subgraph 0 in execution order: builtin names such as
    #: ``"FULLY_CONNECTED"``, or the custom code of custom operators.
    operators: list[str]
    #: Number of tensors in subgraph 0.
    tensor_count: int
    subgraph_count: int


# ---------------------------------------------------------------------------
# Minimal bounds-checked FlatBuffer reader.

_U8 = struct.Struct("<B")
_I8 = struct.Struct("<b")
_U16 = struct.Struct("<H")
_VTABLE_HEADER = struct.Struct("<HH")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_MAX_UOFFSET = 0x7FFFFFFF  # FlatBuffers are limited to 2 GiB.


class _Reader:
    """Bounds- and alignment-checked access to the raw bytes of one FlatBuffer.

    The checks follow the FlatBuffers verifier (which LiteRT runs on load):
    offsets, tables and vector lengths are 4-byte aligned, vtables 2-byte
    aligned, scalars aligned to their size, all relative to byte 0.
    """

    __slots__ = ("data", "size")

    def __init__(self, data: bytes | bytearray) -> None:
        self.data = data
        self.size = len(data)

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            raise ModelFormatError(
                f"{what}: bytes {pos}..{pos + length} lie outside the {self.size}-byte "
                "file (truncated or corrupted model)"
            )

    def aligned(self, pos: int, align: int, what: str) -> None:
        if pos % align:
            raise ModelFormatError(f"{what}: byte {pos} is not {align}-byte aligned")

    def deref(self, pos: int, what: str) -> int:
        """Follow the uoffset stored at ``pos``; return the absolute target."""
        self.aligned(pos, 4, what)
        self.check(pos, 4, what)
        off = _U32.unpack_from(self.data, pos)[0]
        if off == 0 or off > _MAX_UOFFSET:
            raise ModelFormatError(f"{what}: invalid offset {off} at byte {pos}")
        target = pos + off
        if target >= self.size:
            raise ModelFormatError(
                f"{what}: offset at byte {pos} points to byte {target}, past the end of "
                f"the {self.size}-byte file (truncated or corrupted model)"
            )
        return target

    def table(self, pos: int, what: str) -> _Table:
        self.aligned(pos, 4, what)
        self.check(pos, 4, what)
        vtable = pos - _I32.unpack_from(self.data, pos)[0]
        self.aligned(vtable, 2, f"{what} vtable")
        self.check(vtable, 4, f"{what} vtable")
        vt_size, obj_size = _VTABLE_HEADER.unpack_from(self.data, vtable)
        if vt_size < 4 or vt_size % 2:
            raise ModelFormatError(f"{what}: invalid vtable size {vt_size} at byte {vtable}")
        self.check(vtable, vt_size, f"{what} vtable")
        if obj_size < 4:
            raise ModelFormatError(f"{what}: invalid table size {obj_size} at byte {pos}")
        self.check(pos, obj_size, what)
        # Every present field must start inside the table, after its soffset.
        entries = (vt_size - 4) // 2
        if entries:
            offsets = struct.unpack_from(f"<{entries}H", self.data, vtable + 4)
            for slot, off in enumerate(offsets):
                if off and not 4 <= off < obj_size:
                    raise ModelFormatError(
                        f"{what}: field {slot} at offset {off} lies outside its "
                        f"{obj_size}-byte table at byte {pos}"
                    )
        return _Table(self, pos, vtable, vt_size, obj_size, what)

    def vector(self, pos: int, elem_size: int, what: str) -> tuple[int, int]:
        """Return ``(start, count)`` of the vector at ``pos``."""
        self.aligned(pos, 4, what)
        self.check(pos, 4, what)
        count = _U32.unpack_from(self.data, pos)[0]
        self.check(pos + 4, count * elem_size, what)
        return pos + 4, count

    def string(self, pos: int, what: str) -> str:
        """A string, cut at its first NUL as LiteRT (which uses C strings) does."""
        start, count = self.vector(pos, 1, what)
        end = start + count
        self.check(end, 1, f"{what} terminator")
        if self.data[end] != 0:
            raise ModelFormatError(f"{what}: string at byte {pos} is not NUL-terminated")
        raw = bytes(self.data[start:end]).split(b"\0", 1)[0]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ModelFormatError(f"{what}: string at byte {pos} is not valid UTF-8") from None


class _Table:
    """One FlatBuffer table; field accessors take the schema slot number."""

    __slots__ = ("r", "pos", "vtable", "vt_size", "obj_size", "what")

    def __init__(
        self, r: _Reader, pos: int, vtable: int, vt_size: int, obj_size: int, what: str
    ) -> None:
        self.r = r
        self.pos = pos
        self.vtable = vtable
        self.vt_size = vt_size
        self.obj_size = obj_size
        self.what = what

    def _field(self, slot: int, width: int) -> int:
        """Absolute position of field ``slot`` (``width`` bytes), or -1 if absent."""
        entry = 4 + 2 * slot
        if entry >= self.vt_size:
            return -1
        off = _U16.unpack_from(self.r.data, self.vtable + entry)[0]
        if off == 0:
            return -1
        if off + width > self.obj_size:
            raise ModelFormatError(
                f"{self.what}: field {slot} at offset {off} overruns its "
                f"{self.obj_size}-byte table at byte {self.pos}"
            )
        pos = self.pos + off
        self.r.aligned(pos, width, f"{self.what} field {slot}")
        return pos

    def scalar(self, slot: int, fmt: struct.Struct, default: int) -> int:
        p = self._field(slot, fmt.size)
        return default if p < 0 else fmt.unpack_from(self.r.data, p)[0]

    def _ref(self, slot: int, what: str) -> int:
        p = self._field(slot, 4)
        return -1 if p < 0 else self.r.deref(p, what)

    def table(self, slot: int, what: str) -> _Table | None:
        p = self._ref(slot, what)
        return None if p < 0 else self.r.table(p, what)

    def string(self, slot: int, what: str) -> str | None:
        p = self._ref(slot, what)
        return None if p < 0 else self.r.string(p, what)

    def vector(self, slot: int, elem_size: int, what: str) -> tuple[int, int] | None:
        p = self._ref(slot, what)
        return None if p < 0 else self.r.vector(p, elem_size, what)

    def scalars(self, slot: int, code: str, what: str) -> tuple | None:
        """A vector of scalars with ``struct`` format ``code`` (e.g. ``"i"``)."""
        vec = self.vector(slot, struct.calcsize(code), what)
        if vec is None:
            return None
        start, count = vec
        return struct.unpack_from(f"<{count}{code}", self.r.data, start)

    def tables(self, slot: int, what: str) -> list[_Table] | None:
        vec = self.vector(slot, 4, what)
        if vec is None:
            return None
        start, count = vec
        r = self.r
        return [r.table(r.deref(start + 4 * i, what), f"{what}[{i}]") for i in range(count)]

    def union(self, type_slot: int, what: str) -> None:
        """Check the table of a union field (``type_slot`` and the next slot)."""
        if self.scalar(type_slot, _U8, 0) != 0:
            self.table(type_slot + 1, what)


# ---------------------------------------------------------------------------
# tflite schema

# Slot numbers (field order in schema.fbs; a union takes two slots).
_MODEL_VERSION, _MODEL_OPCODES, _MODEL_SUBGRAPHS, _MODEL_DESCRIPTION, _MODEL_BUFFERS = range(5)
_MODEL_METADATA_BUFFER, _MODEL_METADATA, _MODEL_SIGNATURES = 5, 6, 7
_SG_TENSORS, _SG_INPUTS, _SG_OUTPUTS, _SG_OPERATORS, _SG_NAME = range(5)
_T_SHAPE, _T_TYPE, _T_BUFFER, _T_NAME, _T_QUANT, _T_IS_VARIABLE = range(6)
_T_SPARSITY, _T_SIGNATURE, _T_HAS_RANK, _T_VARIANT_TENSORS = 6, 7, 8, 9
_Q_MIN, _Q_MAX, _Q_SCALE, _Q_ZERO_POINT, _Q_DETAILS_TYPE, _Q_DETAILS, _Q_DIMENSION = range(7)
_SP_TRAVERSAL_ORDER, _SP_BLOCK_MAP, _SP_DIM_METADATA = range(3)
_DM_FORMAT, _DM_DENSE_SIZE, _DM_SEGMENTS_TYPE, _DM_INDICES_TYPE = 0, 1, 2, 4
_OC_DEPRECATED_CODE, _OC_CUSTOM_CODE, _OC_VERSION, _OC_BUILTIN_CODE = range(4)
_OP_OPCODE_INDEX, _OP_INPUTS, _OP_OUTPUTS, _OP_OPTIONS_TYPE = 0, 1, 2, 3
_OP_CUSTOM_OPTIONS, _OP_OPTIONS_FORMAT, _OP_MUTATING, _OP_INTERMEDIATES = 5, 6, 7, 8
_OP_LARGE_OFFSET, _OP_LARGE_SIZE, _OP_OPTIONS2_TYPE = 9, 10, 11
_BUF_DATA, _BUF_OFFSET, _BUF_SIZE = range(3)
_MD_NAME, _MD_BUFFER = range(2)
_SIG_INPUTS, _SIG_OUTPUTS, _SIG_KEY, _SIG_SUBGRAPH = 0, 1, 2, 4
_TM_NAME, _TM_TENSOR = range(2)

# SparseIndexVector union members: Int32Vector, Uint16Vector, Uint8Vector.
_SPARSE_INDEX_SIZES = {1: 4, 2: 2, 3: 1}
# No tensor may have this many elements or bytes (LiteRT computes sizes in
# size_t and rejects a shape whose running element count overflows).
_MAX_TENSOR_SIZE = 1 << 63
# STRING, RESOURCE and VARIANT tensors have no fixed size.
_UNSIZED_TYPES = frozenset((5, 13, 14))


def read_tflite(data: bytes | bytearray | memoryview) -> TfliteModel:
    """Parse and verify a ``.tflite`` model.

    Beyond the FlatBuffer structure, the checks LiteRT makes when it builds an
    interpreter are applied (schema version, tensor types and buffers, tensor
    and opcode indices, quantization and sparsity parameters, constant data
    sizes). Buffer contents are never read, and operator option tables are
    checked only structurally (in bounds, fields inside the table), not field
    by field for each of the ~180 option types; LiteRT's own verifier rejects
    those cleanly. Operator versions and builtin codes newer than the runtime
    are not format errors (an unknown builtin is named ``BUILTIN_<code>``).

    Raises :class:`ModelFormatError` for any malformed input (and never another
    exception for bad bytes).
    """
    if isinstance(data, memoryview):
        data = data.tobytes()
    elif not isinstance(data, bytes | bytearray):
        raise TypeError(f"read_tflite() needs bytes, not {type(data).__name__}")
    r = _Reader(data)
    if r.size < 8:
        raise ModelFormatError(
            f"too short to be a TFLite model: {r.size} bytes (a FlatBuffer header is 8)"
        )
    ident = bytes(data[4:8])
    if ident != TFLITE_IDENTIFIER:
        raise ModelFormatError(
            f"not a TFLite model: file identifier at byte 4 is {ident!r}, "
            f"expected {TFLITE_IDENTIFIER!r}"
        )
    model = r.table(r.deref(0, "root offset"), "Model")
    version = model.scalar(_MODEL_VERSION, _U32, 0)
    if version != TFLITE_SCHEMA_VERSION:
        raise ModelFormatError(
            f"unsupported TFLite schema version {version} (expected {TFLITE_SCHEMA_VERSION})"
        )
    opcode_tables = model.tables(_MODEL_OPCODES, "operator_codes") or ()
    opcodes = [_operator_code(t, i) for i, t in enumerate(opcode_tables)]
    buffers = _read_buffers(model, r)
    subgraph_tables = model.tables(_MODEL_SUBGRAPHS, "subgraphs")
    if not subgraph_tables:
        raise ModelFormatError("model has no subgraphs")
    description = model.string(_MODEL_DESCRIPTION, "description") or ""
    subgraphs = [_read_subgraph(t, i, opcodes, buffers) for i, t in enumerate(subgraph_tables)]
    _check_metadata(model, buffers)
    _check_signatures(model, [len(sg[0]) for sg in subgraphs])

    tensors, inputs, outputs, operators = subgraphs[0]
    return TfliteModel(
        version=version,
        description=description,
        inputs=[tensors[i] for i in inputs],
        outputs=[tensors[i] for i in outputs],
        operators=operators,
        tensor_count=len(tensors),
        subgraph_count=len(subgraphs),
    )


def _operator_code(t: _Table, index: int) -> tuple[str, bool]:
    """(name, whether it is a custom operator) of one operator code."""
    what = f"operator_codes[{index}]"
    # Old files only have the int8 deprecated code; newer ones write both, and
    # codes above 127 only in builtin_code, so the larger of the two wins.
    code = max(t.scalar(_OC_DEPRECATED_CODE, _I8, 0), t.scalar(_OC_BUILTIN_CODE, _I32, 0))
    custom = t.string(_OC_CUSTOM_CODE, f"{what}.custom_code")
    version = t.scalar(_OC_VERSION, _I32, 1)
    if code < 0:
        raise ModelFormatError(f"{what}: invalid builtin operator code {code}")
    if version < 1 and code != _BUILTIN_CUSTOM:
        raise ModelFormatError(f"{what}: invalid operator version {version}")
    if code == _BUILTIN_CUSTOM:
        if custom is None:
            raise ModelFormatError(f"{what}: CUSTOM operator has no custom_code")
        return custom, True
    if code < len(BUILTIN_OPERATORS):
        return BUILTIN_OPERATORS[code], False
    return f"BUILTIN_{code}", False  # newer than this reader's table


def _read_buffers(model: _Table, r: _Reader) -> list[int | None]:
    """Verify the buffer tables (not their data).

    Returns each buffer's data size, or None for a buffer without data (a
    tensor using it is not a constant).
    """
    tables = model.tables(_MODEL_BUFFERS, "buffers")
    if tables is None:
        raise ModelFormatError("model has no buffers vector")
    sizes: list[int | None] = []
    for i, b in enumerate(tables):
        data = b.vector(_BUF_DATA, 1, f"buffers[{i}].data")
        offset = b.scalar(_BUF_OFFSET, _U64, 0)
        size = b.scalar(_BUF_SIZE, _U64, 0)
        _check_external(r, offset, size, f"buffers[{i}]")
        if data is not None:
            sizes.append(data[1])
        else:
            # Models over 2 GiB keep data after the FlatBuffer; offset > 1 marks that.
            sizes.append(size if offset > 1 else None)
    return sizes


def _check_external(r: _Reader, offset: int, size: int, what: str) -> None:
    if offset > 1 and offset + size > r.size:
        raise ModelFormatError(
            f"{what}: external data {offset}..{offset + size} lies outside the "
            f"{r.size}-byte file (truncated model)"
        )


def _check_metadata(model: _Table, buffers: list[int | None]) -> None:
    model.vector(_MODEL_METADATA_BUFFER, 4, "metadata_buffer")
    for i, md in enumerate(model.tables(_MODEL_METADATA, "metadata") or ()):
        what = f"metadata[{i}]"
        if md.string(_MD_NAME, f"{what}.name") is None:
            raise ModelFormatError(f"{what} has no name")
        index = md.scalar(_MD_BUFFER, _U32, 0)
        if index >= len(buffers):
            raise ModelFormatError(
                f"{what} refers to buffer {index}, but the model has {len(buffers)}"
            )
        if buffers[index] is None:
            raise ModelFormatError(f"{what} refers to buffer {index}, which has no data")


def _check_signatures(model: _Table, tensor_counts: list[int]) -> None:
    for i, sig in enumerate(model.tables(_MODEL_SIGNATURES, "signature_defs") or ()):
        what = f"signature_defs[{i}]"
        if sig.string(_SIG_KEY, f"{what}.signature_key") is None:
            raise ModelFormatError(f"{what} has no signature_key")
        subgraph = sig.scalar(_SIG_SUBGRAPH, _U32, 0)
        if subgraph >= len(tensor_counts):
            raise ModelFormatError(
                f"{what} refers to subgraph {subgraph}, but the model has {len(tensor_counts)}"
            )
        for slot, kind in ((_SIG_INPUTS, "inputs"), (_SIG_OUTPUTS, "outputs")):
            maps = sig.tables(slot, f"{what}.{kind}")
            if maps is None:
                raise ModelFormatError(f"{what} has no {kind}")
            for j, tm in enumerate(maps):
                if tm.string(_TM_NAME, f"{what}.{kind}[{j}].name") is None:
                    raise ModelFormatError(f"{what}.{kind}[{j}] has no name")
                index = tm.scalar(_TM_TENSOR, _U32, 0)
                if index >= tensor_counts[subgraph]:
                    raise ModelFormatError(
                        f"{what}.{kind}[{j}] refers to tensor {index}, but subgraph "
                        f"{subgraph} has {tensor_counts[subgraph]} tensors"
                    )


def _read_subgraph(
    sg: _Table, index: int, opcodes: list[tuple[str, bool]], buffers: list[int | None]
) -> tuple[list[TensorInfo], tuple[int, ...], tuple[int, ...], list[str]]:
    where = f"subgraph {index}"
    tensor_tables = sg.tables(_SG_TENSORS, f"{where} tensors")
    if tensor_tables is None:
        raise ModelFormatError(f"{where} has no tensors vector")
    tensors = [_read_tensor(t, i, where, buffers) for i, t in enumerate(tensor_tables)]
    count = len(tensors)
    inputs = sg.scalars(_SG_INPUTS, "i", f"{where} inputs") or ()
    outputs = sg.scalars(_SG_OUTPUTS, "i", f"{where} outputs") or ()
    for kind, indices in (("input", inputs), ("output", outputs)):
        for k, i in enumerate(indices):
            if not 0 <= i < count:
                raise ModelFormatError(
                    f"{where}: {kind} {k} refers to tensor {i}, but the subgraph has "
                    f"{count} tensors"
                )
    operators = []
    shaped_when_prepared: set[int] = set()  # outputs of custom operators
    for j, op in enumerate(sg.tables(_SG_OPERATORS, f"{where} operators") or ()):
        what = f"{where} operator {j}"
        opcode = op.scalar(_OP_OPCODE_INDEX, _U32, 0)
        if opcode >= len(opcodes):
            raise ModelFormatError(
                f"{what}: opcode_index {opcode} out of range (model has {len(opcodes)} "
                "operator codes)"
            )
        name, custom = opcodes[opcode]
        operators.append(name)
        if custom:
            shaped_when_prepared.update(op.scalars(_OP_OUTPUTS, "i", f"{what} outputs") or ())
        for slot, kind in (
            (_OP_INPUTS, "inputs"),
            (_OP_OUTPUTS, "outputs"),
            (_OP_INTERMEDIATES, "intermediates"),
        ):
            for i in op.scalars(slot, "i", f"{what} {kind}") or ():
                if not -1 <= i < count:  # -1 marks an omitted optional tensor
                    raise ModelFormatError(
                        f"{what}: {kind} refer to tensor {i}, but the subgraph has {count} tensors"
                    )
        op.union(_OP_OPTIONS_TYPE, f"{what} builtin_options")
        op.union(_OP_OPTIONS2_TYPE, f"{what} builtin_options_2")
        op.vector(_OP_CUSTOM_OPTIONS, 1, f"{what} custom_options")
        op.scalar(_OP_OPTIONS_FORMAT, _I8, 0)
        op.vector(_OP_MUTATING, 1, f"{what} mutating_variable_inputs")
        large_offset = op.scalar(_OP_LARGE_OFFSET, _U64, 0)
        large_size = op.scalar(_OP_LARGE_SIZE, _U64, 0)
        _check_external(op.r, large_offset, large_size, f"{what} custom options")
    sg.string(_SG_NAME, f"{where} name")
    for i in shaped_when_prepared:
        if 0 <= i < count and tensors[i].shape == () and tensors[i].shape_signature == ():
            tensors[i] = replace(tensors[i], shape=None, shape_signature=None)
    return tensors, inputs, outputs, operators


def _read_tensor(t: _Table, index: int, where: str, buffers: list[int | None]) -> TensorInfo:
    name = t.string(_T_NAME, f"{where} tensor {index} name") or ""
    what = f"{where} tensor {index} ({name!r})"
    shape = t.scalars(_T_SHAPE, "i", f"{what} shape") or ()
    if any(d < 0 for d in shape):
        raise ModelFormatError(f"{what}: negative dimension in shape {list(shape)}")
    type_code = t.scalar(_T_TYPE, _I8, 0)
    element_type = ELEMENT_TYPES.get(type_code)
    if element_type is None:
        raise ModelFormatError(f"{what}: unknown tensor type {type_code}")
    buffer = t.scalar(_T_BUFFER, _U32, 0)
    if buffer >= len(buffers):
        raise ModelFormatError(
            f"{what}: refers to buffer {buffer}, but the model has {len(buffers)} buffers"
        )
    signature = t.scalars(_T_SIGNATURE, "i", f"{what} shape_signature")
    if signature is not None and any(d < -1 for d in signature):
        raise ModelFormatError(f"{what}: invalid dimension in shape_signature {list(signature)}")
    q = t.table(_T_QUANT, f"{what} quantization")
    quantization = None if q is None else _read_quantization(q, shape, what)
    is_variable = t.scalar(_T_IS_VARIABLE, _U8, 0)
    t.scalar(_T_HAS_RANK, _U8, 0)
    t.tables(_T_VARIANT_TENSORS, f"{what} variant_tensors")
    sparsity = t.table(_T_SPARSITY, f"{what} sparsity")
    # Buffer 0 is the empty sentinel; any other buffer with data makes a constant.
    constant_bytes = buffers[buffer] if buffer else None
    if sparsity is not None:
        _check_sparsity(sparsity, what, strict=constant_bytes is not None)
    if type_code not in _UNSIZED_TYPES:
        count = 1
        for d in shape:
            count *= d
            if count >= _MAX_TENSOR_SIZE:
                raise ModelFormatError(f"{what}: shape {list(shape)} is impossibly large")
        element_size = _ELEMENT_SIZES.get(type_code)
        if element_size is not None and count * element_size >= _MAX_TENSOR_SIZE:
            raise ModelFormatError(f"{what}: shape {list(shape)} is impossibly large")
        if (
            element_size is not None
            and constant_bytes is not None
            and sparsity is None
            and count * element_size > constant_bytes
        ):
            raise ModelFormatError(
                f"{what}: shape {list(shape)} needs {count * element_size} bytes but its "
                f"buffer {buffer} holds {constant_bytes}"
            )
    if constant_bytes is not None and is_variable:
        raise ModelFormatError(f"{what}: a variable tensor cannot have a constant buffer")
    return TensorInfo(
        name=name,
        element_type=element_type,
        shape=shape,
        dynamic=signature is not None and -1 in signature,
        quantization=quantization,
        index=index,
        shape_signature=shape if signature is None else signature,
    )


def _read_quantization(q: _Table, shape: tuple[int, ...], what: str) -> Quantization | None:
    q.vector(_Q_MIN, 4, f"{what} quantization min")
    q.vector(_Q_MAX, 4, f"{what} quantization max")
    q.union(_Q_DETAILS_TYPE, f"{what} quantization details")
    scale = q.scalars(_Q_SCALE, "f", f"{what} quantization scale")
    zero_point = q.scalars(_Q_ZERO_POINT, "q", f"{what} quantization zero_point")
    dim = q.scalar(_Q_DIMENSION, _I32, 0)
    if not scale:
        return None  # not quantized (min/max alone do not quantize a tensor)
    if zero_point is None or len(zero_point) != len(scale):
        raise ModelFormatError(
            f"{what}: {len(scale)} quantization scales but "
            f"{0 if zero_point is None else len(zero_point)} zero points"
        )
    if dim < 0 or (shape and dim >= len(shape)):
        raise ModelFormatError(
            f"{what}: quantized_dimension {dim} out of range for shape {list(shape)}"
        )
    if len(scale) != 1 and shape and shape[dim] != len(scale):
        raise ModelFormatError(
            f"{what}: {len(scale)} per-axis scales for dimension {dim} of shape {list(shape)}"
        )
    return Quantization(scale=scale, zero_point=zero_point, quantized_dimension=dim)


def _check_sparsity(sp: _Table, what: str, strict: bool) -> None:
    """Bounds-check sparsity parameters; if ``strict`` (a constant tensor,
    which LiteRT decodes), also require what LiteRT needs to decode them."""
    what = f"{what} sparsity"
    order = sp.vector(_SP_TRAVERSAL_ORDER, 4, f"{what} traversal_order")
    sp.vector(_SP_BLOCK_MAP, 4, f"{what} block_map")
    dims = sp.tables(_SP_DIM_METADATA, f"{what} dim_metadata")
    if strict and (order is None or dims is None):
        raise ModelFormatError(f"{what}: traversal_order and dim_metadata are required")
    for i, dm in enumerate(dims or ()):
        where = f"{what} dim_metadata[{i}]"
        fmt = dm.scalar(_DM_FORMAT, _I8, 0)
        dm.scalar(_DM_DENSE_SIZE, _I32, 0)
        if strict and fmt not in (0, 1):
            raise ModelFormatError(f"{where}: unknown dimension format {fmt}")
        for type_slot in (_DM_SEGMENTS_TYPE, _DM_INDICES_TYPE):
            kind = dm.scalar(type_slot, _U8, 0)
            table = dm.table(type_slot + 1, where) if kind else None
            values = None
            if table is not None and kind in _SPARSE_INDEX_SIZES:
                values = table.vector(0, _SPARSE_INDEX_SIZES[kind], f"{where} index values")
            if strict and fmt == 1 and values is None:
                raise ModelFormatError(f"{where}: sparse dimension without index arrays")
