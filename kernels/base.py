"""What a proc block is: typed arguments, a type check, and a kernel body built as IR."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rune.abi.bounded import BoundsError, check_float, int_text
from rune.ir.attr_values import from_attr
from rune.ir.kernel_builder import Buffer, KernelBuilder, Scalar
from xdsl.dialects.builtin import DictionaryAttr

ArgValue = float | int | bool | str


class ProcBlockError(Exception):
    """A proc block's arguments or tensor types are wrong; the message is shown to the user."""


@dataclass(frozen=True)
class ArgSpec:
    """One argument: its type (float, int, bool, str), default, and allowed range or choices."""

    name: str
    type: type
    default: ArgValue | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is None

    def parse(self, raw: ArgValue) -> ArgValue:
        """Coerce a Runefile scalar (often a string in the original's files) to this type."""
        try:
            if self.type is bool:
                value: ArgValue = raw if isinstance(raw, bool) else _parse_bool(str(raw))
            elif self.type is int:  # bounded to 64 bits before int() sees the text
                value = int_text(str(raw)) if not isinstance(raw, bool) else int(raw)
            elif self.type is float:  # finite: the manifest is strict JSON
                value = check_float(float(str(raw).strip()) if not isinstance(raw, bool)
                                    else float(raw))
            else:
                value = str(raw)
        except BoundsError as exc:
            raise ProcBlockError(f"argument `{self.name}`: {exc}") from None
        except ValueError:
            raise ProcBlockError(
                f"argument `{self.name}` expects {self.type.__name__}, got {raw!r}"
            ) from None
        if self.choices and value not in self.choices:
            raise ProcBlockError(
                f"argument `{self.name}` must be one of {', '.join(self.choices)}, got {value!r}"
            )
        if self.minimum is not None and float(value) < self.minimum:  # type: ignore[arg-type]
            raise ProcBlockError(f"argument `{self.name}` must be >= {self.minimum}, got {value}")
        if self.maximum is not None and float(value) > self.maximum:  # type: ignore[arg-type]
            raise ProcBlockError(f"argument `{self.name}` must be <= {self.maximum}, got {value}")
        return value


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(text)


def args_from_attr(attr: DictionaryAttr) -> dict[str, ArgValue]:
    return {name: from_attr(value) for name, value in attr.data.items()}  # type: ignore[misc]


@dataclass(frozen=True)
class TensorSig:
    """A tensor edge as a kernel sees it: element type name and dimensions."""

    element: str
    shape: tuple[int, ...]


class ProcBlock(ABC):
    """A kernel of the proc-block library. Subclasses set `name`, `summary`, `arg_specs`."""

    name: str
    summary: str
    origin: str = "hotg-ai/proc-blocks v0.11.3"
    arg_specs: tuple[ArgSpec, ...] = ()
    # May the output share memory with the (single) input when the input dies here? True only
    # when element i of the output is written after element i of the input is last read.
    in_place: bool = False
    # May fuse-elementwise hand this kernel inputs that are computed on load? True only when
    # the kernel reads its inputs through builder.load (never their address).
    accepts_fused_inputs: bool = False
    # Does the kernel read each input element once? If not, only cheap producers fuse into it.
    reads_inputs_once: bool = False

    def parse_args(self, raw: Mapping[str, ArgValue]) -> dict[str, ArgValue]:
        """Typed arguments with defaults filled in; unknown or missing ones are errors."""
        known = {spec.name: spec for spec in self.arg_specs}
        unknown = [name for name in raw if name not in known]
        if unknown:
            expected = ", ".join(known) or "none"
            raise ProcBlockError(
                f"unknown argument `{unknown[0]}` for proc block {self.name} "
                f"(it takes: {expected})"
            )
        parsed: dict[str, ArgValue] = {}
        for spec in self.arg_specs:
            if spec.name in raw:
                parsed[spec.name] = spec.parse(raw[spec.name])
            elif spec.required:
                raise ProcBlockError(f"proc block {self.name} needs argument `{spec.name}`")
            else:
                parsed[spec.name] = spec.default  # type: ignore[assignment]
        return parsed

    @abstractmethod
    def check(
        self,
        inputs: Sequence[TensorSig],
        outputs: Sequence[TensorSig],
        args: Mapping[str, ArgValue],
    ) -> None:
        """Raise ProcBlockError if these tensor types cannot work with this kernel."""

    @abstractmethod
    def build(
        self,
        builder: KernelBuilder,
        inputs: Sequence[Buffer],
        outputs: Sequence[Buffer],
        args: Mapping[str, ArgValue],
    ) -> None:
        """Emit the kernel's loops; inputs and outputs are flat buffers, `args` are already
        typed with defaults filled (lower-pipeline parses them once, whoever wrote the IR)."""


class ElementwiseProcBlock(ProcBlock):
    """One input, one output of the same shape, one scalar function applied to every element.
    Kernels written this way can later be fused into their neighbours."""

    in_place = True
    accepts_fused_inputs = True
    reads_inputs_once = True
    # Cheap enough to recompute in a consumer that reads an element several times?
    cheap: bool = True

    element_types: tuple[str, ...] = ("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                                      "f32", "f64")

    def check(
        self,
        inputs: Sequence[TensorSig],
        outputs: Sequence[TensorSig],
        args: Mapping[str, ArgValue],
    ) -> None:
        if len(inputs) != 1 or len(outputs) != 1:
            raise ProcBlockError(
                f"{self.name} takes 1 input and gives 1 output, "
                f"not {len(inputs)} and {len(outputs)}"
            )
        (source,), (result,) = inputs, outputs
        if source.element not in self.element_types:
            raise ProcBlockError(
                f"{self.name} does not accept {source.element} "
                f"(it takes {', '.join(self.element_types)})"
            )
        if source != result:
            raise ProcBlockError(
                f"{self.name} keeps its input's type, so its output must be "
                f"{_describe(source)}, not {_describe(result)}"
            )

    def scalar(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue]) -> Scalar:
        """The function applied to each element (output type = input type)."""
        raise NotImplementedError(f"{self.name} defines neither scalar() nor apply()")

    def monotone(self, args: Mapping[str, ArgValue], in_element: str, out_element: str) -> bool:
        """Is apply() non-decreasing (a <= b gives f(a) <= f(b)) and never NaN for a non-NaN
        input, with these arguments? Then a consumer after a chain of such steps may find the
        chain's bounds by applying it to the bounds of its input (normalize does)."""
        return False

    def apply(self, builder: KernelBuilder, value: Scalar, args: Mapping[str, ArgValue],
              out_element: str) -> Scalar:
        """One element through this kernel, giving `out_element`. Kernels whose output type
        differs from their input's (cast, quantize) override this instead of `scalar`."""
        return self.scalar(builder, value, args)

    def build(
        self,
        builder: KernelBuilder,
        inputs: Sequence[Buffer],
        outputs: Sequence[Buffer],
        args: Mapping[str, ArgValue],
    ) -> None:
        (source,), (result,) = inputs, outputs
        with builder.loop(source.count) as i:
            value = self.apply(builder, builder.load(source, i), args, result.element)
            builder.store(value, result, i)


def _describe(sig: TensorSig) -> str:
    return f"{sig.element}[{', '.join(map(str, sig.shape))}]"
