"""Capability inputs: turning a user's file, bytes or array into the exact bytes a rune reads.

A registry maps a capability kind to a factory. At load time the factory sees the stage (its
tensor and Runefile arguments, which it checks once) and returns a feeder; each run, the feeder
turns the user's value into the tensor's bytes. A new kind plugs in with `register_capability`
without touching the host.

Every kind takes a numpy array or bytes as the tensor itself (little-endian, exact size); a path
is read and decoded by kind: WAV for SOUND, PNG/JPEG for IMAGE and FLOAT_IMAGE, x,y,z CSV for
ACCEL, the file's bytes for RAW. In-memory bytes that start like a WAV or an image file are
decoded too. Whatever a feeder returns must have the tensor's byte length exactly (SEMANTICS.md),
because the rune copies it into a buffer planned at compile time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
from rune.abi.bounded import MAX_INT_DIGITS, BoundsError, read_regular_file

from . import accel, image, sound
from .errors import CapabilityError
from .manifest import CapabilitySpec, Manifest

#: What a caller may hand in for one capability stage.
InputValue = bytes | bytearray | memoryview | str | os.PathLike | np.ndarray
#: What a feeder may return; its raw little-endian bytes are the tensor.
ReadResult = bytes | bytearray | memoryview | np.ndarray
#: Turns one run's input value (None when the caller gave none) into the tensor.
Feeder = Callable[[InputValue | None], ReadResult]
#: Builds a stage's feeder at load time; gets the rune's seeded generator for random inputs.
CapabilityFactory = Callable[[CapabilitySpec, np.random.Generator], Feeder]

#: Kinds a Runefile may name (docs/abi.md).
KNOWN_KINDS = ("RAW", "RAND", "SOUND", "IMAGE", "FLOAT_IMAGE", "ACCEL")
#: The list of positional inputs each kind reads (its `source` argument indexes it).
SOURCE_GROUPS = {
    "RAW": "raw",
    "SOUND": "sound",
    "IMAGE": "image",
    "FLOAT_IMAGE": "image",
    "ACCEL": "accel",
}
#: File extension -> source group, as the original's test runner mapped fixtures.
EXTENSIONS = {
    ".bin": "raw",
    ".wav": "sound",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".csv": "accel",
}


def input_error(spec: CapabilitySpec, reason: str, where: str | None = None) -> CapabilityError:
    """The one error shape for a bad input: names the capability, the stage and the file."""
    source = f" from {where}" if where else ""
    return CapabilityError(
        f'Unable to load the "{spec.kind}" input for stage "{spec.name}"{source}: {reason}'
    )


def _missing(spec: CapabilitySpec) -> CapabilityError:
    return input_error(spec, "no input was given")


def read_source(spec: CapabilitySpec, value: InputValue) -> tuple[bytes, str | None]:
    """The bytes of a path (and the path, for messages) or of a bytes-like value (and None)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), None
    if isinstance(value, (str, os.PathLike)):
        where = os.fspath(value)
        try:
            return read_regular_file(value), where
        except BoundsError as exc:
            raise input_error(spec, str(exc), where) from None
        except OSError as exc:
            raise input_error(spec, exc.strerror or str(exc), where) from None
    raise input_error(
        spec,
        f"unsupported input type {type(value).__name__} (expected a path, bytes or a numpy array)",
    )


def int_arg(spec: CapabilitySpec, *names: str) -> int | None:
    """An integer Runefile argument under the first of `names` present; Runefiles may spell
    numbers as strings."""
    for name in names:
        if name in spec.args:
            value = spec.args[name]
            text = value.strip() if isinstance(value, str) else ""
            # ASCII only ("²" is a digit to isdigit, not to int) and bounded before int()
            if text.isascii() and text.isdigit() and len(text) <= MAX_INT_DIGITS:
                return int(text)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
            raise CapabilityError(
                f'capability {spec.kind} of stage "{spec.name}": argument {name}={value!r} '
                "is not a non-negative integer"
            )
    return None


def _arg_error(spec: CapabilitySpec, reason: str) -> CapabilityError:
    return CapabilityError(f'capability {spec.kind} of stage "{spec.name}": {reason}')


def _require_types(spec: CapabilitySpec, *etypes: str) -> None:
    if spec.tensor.element_type not in etypes:
        raise _arg_error(
            spec,
            f"its tensor is {spec.tensor.describe()}, but {spec.kind} produces "
            f"{' or '.join(etypes)}",
        )


# -- the built-in kinds -----------------------------------------------------------------------


def raw_factory(spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
    """RAW: the input's bytes, or only the first `length` of them if that argument is given."""
    if spec.tensor.element_type == "utf8":
        raise _arg_error(
            spec, "cannot fill a utf8 tensor (its elements are pointers into the rune's memory)"
        )
    length = int_arg(spec, "length")

    def feed(value: InputValue | None) -> ReadResult:
        if type(value) is bytes:  # the common case, kept short
            return value if length is None else value[:length]
        if value is None:
            raise _missing(spec)
        if isinstance(value, np.ndarray):
            return value if length is None else as_u8(value)[:length]
        data = read_source(spec, value)[0]
        return data if length is None else data[:length]

    return feed


def rand_factory(spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
    """RAND: floats uniform in [0, 1), integers over their type's full range, from the rune's
    seeded generator (the original was unseeded; seeding makes runs reproducible)."""
    tensor = spec.tensor
    if tensor.element_type == "utf8":
        raise _arg_error(spec, "cannot make random utf8")
    dtype = tensor.dtype.newbyteorder("=")

    def feed(value: InputValue | None) -> ReadResult:
        if value is not None:
            raise input_error(spec, "RAND takes no input; use the seed instead")
        if dtype.kind == "f":
            return rng.random(tensor.count, dtype=dtype)
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=tensor.count, dtype=dtype, endpoint=True)

    return feed


def sound_factory(spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
    """SOUND: a WAV file at the rune's `hz`, mono, `sample_duration_ms` long (see sound.py)."""
    _require_types(spec, "i16", "f32")
    count = spec.tensor.count
    hz = int_arg(spec, "hz", "frequency")
    ms = int_arg(spec, "sample_duration_ms")
    if hz is not None and ms is not None and hz * ms // 1000 != count:
        raise _arg_error(
            spec,
            f"hz={hz} and sample_duration_ms={ms} make {hz * ms // 1000} samples but its tensor "
            f"{spec.tensor.describe()} holds {count}",
        )
    dtype = spec.tensor.dtype.newbyteorder("=")

    def feed(value: InputValue | None) -> ReadResult:
        # the tensor itself, as _media would return it, in the two common cases
        if type(value) is np.ndarray or (type(value) is bytes and not sound.is_wav(value)):
            return value
        audio, decoded = _media(spec, value, sound.is_wav, sound.read_wav, sound.WavError)
        if not decoded:
            return audio  # type: ignore[return-value]
        try:
            return sound.fit(audio, hz or audio.rate, count, dtype)
        except sound.WavError as exc:  # the rates cannot be bridged within the bounds
            raise input_error(spec, str(exc)) from None

    return feed


def _media(
    spec: CapabilitySpec,
    value: InputValue | None,
    recognise: Callable[[bytes], bool],
    decode: Callable[[bytes], object],
    failure: type[Exception],
) -> tuple[object, bool]:
    """(the decoded file, True) for a path or bytes in the file's format; (the tensor itself,
    False) for arrays and other bytes. A file that fails to decode names the capability."""
    if value is None:
        raise _missing(spec)
    if isinstance(value, np.ndarray):
        return value, False
    data, where = read_source(spec, value)
    if where is None and not recognise(data):
        return data, False
    try:
        return decode(data), True
    except failure as exc:
        raise input_error(spec, str(exc), where or "bytes") from None


def image_factory(spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
    """IMAGE (u8) and FLOAT_IMAGE (f32 in [0, 1]): resized and converted as the original did."""
    floats = spec.kind == "FLOAT_IMAGE"
    _require_types(spec, "f32" if floats else "u8")
    raw_format = spec.args.get("pixel-format", spec.args.get("pixel_format", "RGB8"))
    try:
        pixel_format = image.parse_pixel_format(raw_format)
    except ValueError as exc:
        raise _arg_error(spec, str(exc)) from None
    dims = spec.tensor.dimensions
    width = int_arg(spec, "width")
    height = int_arg(spec, "height")
    if width is None or height is None:
        if len(dims) != 4:
            raise _arg_error(spec, "needs width and height arguments")
        width, height = (
            (dims[1] if width is None else width),
            (dims[2] if height is None else height),
        )
    channels = image.PIXEL_FORMATS[pixel_format]
    if width * height * channels != spec.tensor.count:
        raise _arg_error(
            spec,
            f"{width}x{height} {pixel_format} pixels are {width * height * channels} values but "
            f"its tensor {spec.tensor.describe()} holds {spec.tensor.count}",
        )

    def feed(value: InputValue | None) -> ReadResult:
        pixels, decoded = _media(spec, value, image.is_image, image.decode, image.ImageError)
        if not decoded:
            return pixels  # type: ignore[return-value]
        out = image.convert(image.resize_exact(pixels, width, height), pixel_format)
        return out.astype(np.float32) / np.float32(255.0) if floats else out

    return feed


def accel_factory(spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
    """ACCEL: x,y,z rows of a CSV, all of them or the first `samples` (`n` is never read, as in
    the original)."""
    _require_types(spec, "f32", "f64")
    samples = int_arg(spec, "samples")
    dtype = spec.tensor.dtype.newbyteorder("=")

    def feed(value: InputValue | None) -> ReadResult:
        if value is None:
            raise _missing(spec)
        if isinstance(value, np.ndarray):
            return value
        data, where = read_source(spec, value)
        if where is None:
            return data
        try:
            rows = accel.read_csv(data)
        except accel.CsvError as exc:
            raise input_error(spec, str(exc), where) from None
        if samples is not None:
            if samples > len(rows):
                raise input_error(
                    spec,
                    f"{samples} samples were requested but only {len(rows)} are available",
                    where,
                )
            rows = rows[:samples]
        return rows.astype(dtype)

    return feed


# -- the registry ------------------------------------------------------------------------------


def as_u8(data: ReadResult) -> np.ndarray:
    """A flat little-endian uint8 view of a feeder's result (no copy when possible)."""
    if isinstance(data, np.ndarray):
        arr = np.ascontiguousarray(data)
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        return arr.reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


class CapabilityRegistry:
    """Capability kind -> factory. Copy it (`copy()`) to customise one `Rune` only."""

    def __init__(self, factories: Mapping[str, CapabilityFactory] | None = None) -> None:
        self._factories: dict[str, CapabilityFactory] = dict(factories or {})

    def register(self, kind: str, factory: CapabilityFactory, *, replace: bool = False) -> None:
        """Add a factory for `kind` (upper case, as in the manifest)."""
        if kind in self._factories and not replace:
            raise ValueError(f"a factory for capability {kind} is already registered")
        self._factories[kind] = factory

    def copy(self) -> CapabilityRegistry:
        return CapabilityRegistry(self._factories)

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._factories)

    def feeder(self, spec: CapabilitySpec, rng: np.random.Generator) -> Feeder:
        """The stage's feeder, or a CapabilityError saying why there is none."""
        factory = self._factories.get(spec.kind)
        if factory is None:
            if spec.kind in KNOWN_KINDS:
                raise CapabilityError(
                    f'capability {spec.kind} is not supported by this runtime (stage "{spec.name}")'
                )
            raise CapabilityError(
                f'unknown capability kind {spec.kind!r} (stage "{spec.name}"); '
                f"known kinds: {', '.join(KNOWN_KINDS)}"
            )
        return factory(spec, rng)

    def read(
        self, spec: CapabilitySpec, value: InputValue | None, rng: np.random.Generator
    ) -> np.ndarray:
        """One input, checked: the feeder's result as flat bytes of the tensor's exact length."""
        data = as_u8(self.feeder(spec, rng)(value))
        check_length(spec, data.size)
        return data


def check_length(spec: CapabilitySpec, size: int) -> None:
    """The one rule every capability obeys: exactly its tensor's byte length."""
    tensor = spec.tensor
    if size != tensor.nbytes:
        length = int_arg(spec, "length") if spec.kind == "RAW" else None
        note = f" (after taking the first {length} bytes)" if length is not None else ""
        raise CapabilityError(
            f'capability {spec.kind} of stage "{spec.name}": the input is {size} '
            f"bytes{note} but its tensor {tensor.describe()} needs exactly "
            f"{tensor.nbytes} bytes"
        )


default_registry = CapabilityRegistry(
    {
        "RAW": raw_factory,
        "RAND": rand_factory,
        "SOUND": sound_factory,
        "IMAGE": image_factory,
        "FLOAT_IMAGE": image_factory,
        "ACCEL": accel_factory,
    }
)


def register_capability(kind: str, factory: CapabilityFactory, *, replace: bool = False) -> None:
    """Register a factory in the default registry used by `Rune.load`."""
    default_registry.register(kind, factory, replace=replace)


# -- positional inputs -------------------------------------------------------------------------


def group_of(path: str | os.PathLike[str]) -> str:
    """The source group a file feeds, by its extension (as the original's runner did)."""
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise CapabilityError(
            f"cannot tell which capability reads {os.fspath(path)} from its extension "
            f"{ext or '(none)'}: known extensions are {', '.join(EXTENSIONS)}; use --raw, "
            "--sound, --image, --accel or --input NAME=FILE"
        )
    return EXTENSIONS[ext]


def assign_sources(
    manifest: Manifest,
    sources: Mapping[str, Sequence[InputValue]],
    *,
    exclude: Collection[str] = (),
) -> dict[str, InputValue]:
    """Map positional inputs, grouped as in SOURCE_GROUPS, to capability stage names.

    Within a group, a capability with a `source` argument takes that input (the original's
    multiplexer). Otherwise, with one input, every capability of the group reads it (the
    original's default `source` of 0: peer case `multiple-outputs` feeds one file to two RAW
    stages); with several, the k-th capability in manifest order takes the k-th input. An input
    nobody reads is an error. Stages in `exclude` (fed by name instead) take no part.
    """
    assigned: dict[str, InputValue] = {}
    for group, values in sources.items():
        caps = [
            c
            for c in manifest.capabilities
            if SOURCE_GROUPS.get(c.kind) == group and c.name not in exclude
        ]
        kinds = "/".join(sorted({k for k, g in SOURCE_GROUPS.items() if g == group}))
        if values and not caps:
            raise CapabilityError(
                f"{len(values)} {group} input(s) given but the rune has no {kinds} capability"
            )
        used: set[int] = set()
        for position, cap in enumerate(caps):
            source = int_arg(cap, "source")
            if source is None:
                source = 0 if len(values) == 1 else position
            elif source >= len(values):
                raise input_error(
                    cap,
                    f"it reads {group} source {source} but only {len(values)} {group} "
                    "input(s) were given",
                )
            if source < len(values):
                assigned[cap.name] = values[source]
                used.add(source)
        unused = [i for i in range(len(values)) if i not in used]
        if unused:
            raise CapabilityError(
                f"{group} input {unused[0]} ({_describe(values[unused[0]])}) is not read by any "
                f"{kinds} capability (the rune has {len(caps)})"
            )
    return assigned


def _describe(value: InputValue) -> str:
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    return type(value).__name__
