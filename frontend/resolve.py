"""Turn the original's many spellings of a proc-block reference into a library kernel."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from rune.frontend.references import KNOWN_REPOS, REMOTE, canonical, is_local
from rune.kernels import LIBRARY, custom
from rune.kernels.base import ProcBlock, ProcBlockError


@dataclass(frozen=True)
class Resolved:
    block: ProcBlock
    warning: str | None = None
    reference: str | None = None  # the IR kernel name when it is not block.name (custom)

    @property
    def kernel(self) -> str:
        return self.reference or self.block.name


def _by_name(name: str) -> ProcBlock | None:
    wanted = canonical(name)
    found = next((known for known in LIBRARY if canonical(known) == wanted), None)
    return None if found is None else LIBRARY[found]


def resolve(reference: str, runefile_dir: str) -> Resolved:
    """The library kernel a reference names, or a ProcBlockError that says why there is none."""
    text = reference.strip()
    match = REMOTE.match(text)
    if match:
        if match["repo"] not in KNOWN_REPOS:
            raise ProcBlockError(
                f"proc block `{text}` comes from {match['repo']}, which is not a library this "
                f"compiler knows (known: {', '.join(KNOWN_REPOS)})"
            )
        block = _by_name(match["name"])
        if block is None:
            raise ProcBlockError(_unknown(match["name"]))
        warning = None
        if match["version"] is None:
            warning = (
                f"proc block `{text}` has no version; using this compiler's "
                f"`{block.name}` (pin one, e.g. hotg-ai/proc-blocks@v0.11.3#{match['name']})"
            )
        return Resolved(block, warning)
    if is_local(text):
        path = (Path(runefile_dir) / text).resolve()
        if path.suffix == ".py" and path.exists():
            reference = custom.kernel_reference(path)
            return Resolved(custom.load_custom(reference), reference=reference)
        raise ProcBlockError(_local(text, Path(runefile_dir)))
    block = _by_name(text)
    if block is None:
        raise ProcBlockError(_unknown(text))
    return Resolved(block)


def _unknown(name: str) -> str:
    names = sorted(LIBRARY)
    close = difflib.get_close_matches(canonical(name), [canonical(n) for n in names], n=3)
    hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    return f"unknown proc block `{name}`{hint} (known: {', '.join(names)})"


def _local(text: str, base: Path) -> str:
    path = (base / text).resolve()
    if (path / "Cargo.toml").is_file():
        return (
            f"proc block `{text}` is a Rust crate; this compiler builds proc blocks from its own "
            "IR and does not compile Rust. Use a library kernel, or write the kernel as a Python "
            "module with rune's KernelBuilder and reference its .py file (docs/proc-blocks.md)"
        )
    if not path.exists():
        return f"proc block path `{text}` does not exist (looked for {path})"
    return (
        f"proc block `{text}` is a local path that is neither a Python module (.py) nor a "
        "library kernel; see docs/proc-blocks.md for custom proc blocks"
    )
