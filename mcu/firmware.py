"""Build a native rune into firmware for qemu's mps2-an386 (Cortex-M4F) and run it.

    python mcu/firmware.py build/fe.o --in up.i16 [--model canned.bin] [--runs N] [--count]

`build/fe.o` comes from `runec --target=thumbv7em-none-eabihf --emit=obj -o build/fe.o`, which
writes `build/fe.h` beside it. The object is linked with the harness in this directory
(harness.c, startup.c, semihosting.c, mps2_an386.ld) and newlib-nano, then run under
qemu-system-arm with semihosting: the harness reads its inputs and canned model outputs from host
files and writes every model input and output tensor to a host file, parsed here into `Record`s.

With `count=True` the run goes through the `insn_count` TCG plugin (built here from
insn_count.c with the host's C compiler) and the executed instructions are attributed to the
functions of the ELF: the rune object's own code, the library routines it calls (soft-float
double arithmetic, sqrt, ...) and the harness.

Needs Debian's gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm (`make test-mcu`
installs them); `missing_tools()` says which are absent.
"""

from __future__ import annotations

import argparse
import bisect
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CC = "arm-none-eabi-gcc"
SIZE = "arm-none-eabi-size"
NM = "arm-none-eabi-nm"
QEMU = "qemu-system-arm"
MACHINE = "mps2-an386"
CPU_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
# -fno-tree-loop-distribute-patterns: the harness's copy loops stay loops, so the harness calls
# no library code and every library instruction executed belongs to the rune.
C_FLAGS = [*CPU_FLAGS, "-Os", "-std=c11", "-ffreestanding", "-fno-tree-loop-distribute-patterns",
           "-Wall", "-Wextra", "-Werror"]
HARNESS_SOURCES = ("startup.c", "semihosting.c", "harness.c")
QEMU_TIMEOUT_S = 300


class FirmwareError(RuntimeError):
    """A build or run failed; the message carries the tool's own output."""


def missing_tools() -> list[str]:
    """The Debian packages whose tools are absent (empty when all are installed)."""
    missing = []
    if shutil.which(CC) is None:
        missing.append("gcc-arm-none-eabi")
    elif not _newlib_present():
        missing.append("libnewlib-arm-none-eabi")
    if shutil.which(QEMU) is None:
        missing.append("qemu-system-arm")
    return missing


def _newlib_present() -> bool:
    found = subprocess.run([CC, *CPU_FLAGS, "-print-file-name=libc_nano.a"],
                           capture_output=True, text=True).stdout.strip()
    return Path(found).is_absolute() and Path(found).is_file()


def _run(command: Sequence[str | Path], what: str, timeout: float | None = None,
         ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise FirmwareError(f"{what} failed ({result.returncode}):\n{result.stdout}"
                            f"{result.stderr}")
    return result


@dataclass(frozen=True)
class Firmware:
    elf: Path
    map: Path
    rune_object: Path


def build(rune_object: str | Path, out_dir: str | Path, header: str | Path | None = None,
          ) -> Firmware:
    """Link the rune object with the harness. The harness is compiled with `-include` of the
    rune's header, so a header that disagrees with the hooks fails the build."""
    obj = Path(rune_object).resolve()
    header = Path(header) if header is not None else obj.with_suffix(".h")
    if not header.is_file():
        raise FirmwareError(f"no header beside the object: {header} (runec writes it)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in HARNESS_SOURCES:
        target = out / Path(source).with_suffix(".o").name
        extra = ["-include", str(header.resolve())] if source == "harness.c" else []
        _run([CC, *C_FLAGS, f"-I{HERE}", *extra, "-c", HERE / source, "-o", target],
             f"compiling {source}")
        objects.append(target)
    elf, link_map = out / f"{obj.stem}.elf", out / f"{obj.stem}.map"
    _run([CC, *CPU_FLAGS, "-nostartfiles", "--specs=nano.specs", "-T", HERE / "mps2_an386.ld",
          "-Wl,--gc-sections", "-Wl,--no-warn-execstack", f"-Wl,-Map={link_map}", *objects, obj,
          "-lm", "-lc", "-lgcc", "-o", elf], "linking the firmware")
    return Firmware(elf, link_map, obj)


@dataclass(frozen=True)
class Record:
    """One tensor the rune handed out: kind 'M' (model_set_input) or 'O' (output_write)."""

    kind: str
    run: int
    index: int
    slot: int
    data: bytes


def parse_records(raw: bytes) -> list[Record]:
    records, pos = [], 0
    while pos < len(raw):
        if pos + 20 > len(raw):
            raise FirmwareError(f"truncated record header at byte {pos}")
        kind, run, index, slot, length = struct.unpack_from("<5I", raw, pos)
        pos += 20
        if pos + length > len(raw):
            raise FirmwareError(f"truncated record at byte {pos}")
        records.append(Record(chr(kind), run, index, slot, raw[pos:pos + length]))
        pos += length
    return records


@dataclass
class RunResult:
    status: int
    console: str  # the harness's semihosting text
    records: list[Record]
    #: with count=True: executed instructions per function name
    instructions: dict[str, int] = field(default_factory=dict)

    def outputs(self, run: int = 0) -> list[Record]:
        return [r for r in self.records if r.kind == "O" and r.run == run]

    def model_inputs(self, run: int = 0) -> list[Record]:
        return [r for r in self.records if r.kind == "M" and r.run == run]


def plugin(out_dir: str | Path) -> Path:
    """The instruction-counting plugin, built with the host's C compiler."""
    target = Path(out_dir) / "insn_count.so"
    if not target.is_file():
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise FirmwareError("no host C compiler (cc) to build the qemu plugin")
        _run([compiler, "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
              HERE / "insn_count.c", "-o", target], "building the qemu plugin")
    return target


def run(firmware: Firmware, inputs: Sequence[str | Path], models: Sequence[str | Path] = (),
        runs: int = 1, count: bool = False) -> RunResult:
    """Run the firmware under qemu; `inputs[k]` feeds capability k (run r reads its bytes at
    r * len), `models[k]` holds model k's canned outputs."""
    with tempfile.TemporaryDirectory(prefix="rune-mcu-") as tmp:
        records = Path(tmp) / "records.bin"
        args = ["harness", *(f"in={Path(p).resolve()}" for p in inputs),
                *(f"model={Path(p).resolve()}" for p in models), f"out={records}",
                f"runs={runs}"]
        for arg in args:
            if " " in arg or "," in arg:
                raise FirmwareError(f"semihosting arguments cannot hold spaces or commas: {arg}")
        command = [QEMU, "-M", MACHINE, "-nographic", "-monitor", "none", "-serial", "none",
                   "-semihosting-config",
                   "enable=on,target=native," + ",".join(f"arg={a}" for a in args),
                   "-kernel", str(firmware.elf)]
        counts = Path(tmp) / "insns.txt"
        if count:
            command += ["-plugin", f"{plugin(firmware.elf.parent)},out={counts}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=QEMU_TIMEOUT_S)
        console = result.stdout + result.stderr  # qemu 7.2 prints semihosting text to stderr
        if result.returncode != 0 and "harness:" not in console:
            raise FirmwareError(f"qemu failed ({result.returncode}): {console.strip()}")
        found = parse_records(records.read_bytes()) if records.is_file() else []
        profile = attribute(firmware.elf, counts.read_text()) if count else {}
    return RunResult(result.returncode, console, found, profile)


def symbols(elf: str | Path) -> list[tuple[int, int, str]]:
    """(address, size, name) of every function in the ELF, sorted by address (Thumb bit
    cleared)."""
    out = _run([NM, "-S", "-n", "--defined-only", elf], "nm").stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TtWw":
            found.append((int(parts[0], 16) & ~1, int(parts[1], 16), parts[3]))
    return sorted(found)


def attribute(elf: str | Path, counts: str) -> dict[str, int]:
    """Instructions per function from the plugin's "<block address> <instructions>" lines."""
    table = symbols(elf)
    starts = [start for start, _, _ in table]
    totals: dict[str, int] = {}
    for line in counts.splitlines():
        address, insns = line.split()
        pc = int(address, 16)
        i = bisect.bisect_right(starts, pc) - 1
        name = "?"
        if i >= 0 and pc < table[i][0] + max(table[i][1], 2):
            name = table[i][2]
        totals[name] = totals.get(name, 0) + int(insns)
    return totals


def defined_symbols(obj: str | Path) -> set[str]:
    """Every symbol an object defines: functions, and tables that the linker script places in
    the firmware's .text."""
    out = _run([NM, "--defined-only", obj], "nm").stdout
    return {p[2] for p in (line.split() for line in out.splitlines()) if len(p) == 3}


def harness_symbols(firmware: Firmware) -> set[str]:
    names: set[str] = set()
    for source in HARNESS_SOURCES:
        names |= defined_symbols(firmware.elf.parent / Path(source).with_suffix(".o").name)
    return names


def library_code(firmware: Firmware) -> tuple[int, list[str]]:
    """Bytes of library code in the firmware that neither the rune object nor the harness
    defines (what the rune pulls in: soft-float, libm), counting aliased entry points such as
    __aeabi_dadd/__adddf3 once; and those functions' names."""
    own = defined_symbols(firmware.rune_object) | harness_symbols(firmware)
    spans = sorted((start, start + size, name) for start, size, name in symbols(firmware.elf)
                   if name not in own and size)
    total, reach = 0, 0
    for start, end, _ in spans:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total, [name for _, _, name in spans]


def split_profile(firmware: Firmware, profile: dict[str, int]) -> dict[str, int]:
    """Instructions by owner: `rune` (the object's code), `library` (what only the rune calls:
    soft-float, libm), `harness` (startup, hooks, semihosting)."""
    rune_own = defined_symbols(firmware.rune_object)
    harness = harness_symbols(firmware)
    split = {"rune": 0, "library": 0, "harness": 0}
    for name, insns in profile.items():
        owner = "rune" if name in rune_own else "harness" if name in harness else "library"
        split[owner] += insns
    return split


def read_elf(elf: str | Path, address: int, length: int) -> bytes:
    """`length` bytes the firmware image holds at `address` (e.g. a string a utf8 tensor
    points to in .rodata), read from the ELF's loadable sections."""
    data = Path(elf).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise FirmwareError(f"{elf} is not a little-endian ELF32 file")
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    for i in range(shnum):
        _, sh_type, flags, addr, offset, size = struct.unpack_from("<6I", data,
                                                                   shoff + i * shentsize)
        nobits, alloc = sh_type == 8, flags & 2
        if alloc and not nobits and addr <= address and address + length <= addr + size:
            start = offset + address - addr
            return data[start:start + length]
    raise FirmwareError(f"no loaded section of {elf} holds [{address:#x}, +{length})")


def section_sizes(path: str | Path) -> dict[str, int]:
    """Section name -> bytes, from `arm-none-eabi-size -A`."""
    sizes = {}
    for line in _run([SIZE, "-A", path], "size").stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("object", help="the rune object (its .h beside it)")
    parser.add_argument("--in", dest="inputs", action="append", default=[], metavar="FILE")
    parser.add_argument("--model", action="append", default=[], metavar="FILE")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--count", action="store_true", help="count instructions per function")
    parser.add_argument("--build-dir", default=None)
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"missing Debian packages: {' '.join(missing)}", file=sys.stderr)
        return 2
    out = Path(args.build_dir or Path(args.object).resolve().parent / "firmware")
    firmware = build(args.object, out)
    result = run(firmware, args.inputs, args.model, args.runs, args.count)
    sys.stdout.write(result.console)
    for record in result.records:
        print(f"run {record.run} {record.kind} {record.index}.{record.slot} "
              f"{len(record.data)} bytes: {record.data[:32].hex()}"
              f"{'...' if len(record.data) > 32 else ''}")
    if args.count:
        for owner, insns in split_profile(firmware, result.instructions).items():
            print(f"instructions {owner}: {insns}")
    return result.status


if __name__ == "__main__":
    sys.exit(main())
