"""The spellings of a proc-block reference, read without the kernel library.

The frontend's resolver (resolve.py) turns a reference into a library kernel; the compile caches
(tools/code_cache.py) need only the name a reference gives, before anything heavy is imported.
"""

from __future__ import annotations

import re

# hotg-ai/proc-blocks@v0.11.3#fft, hotg-ai/proc-blocks#fft, hotg-ai/rune#proc_blocks/fft,
# hotg-ai/rune@v0.9#proc_blocks/fft
REMOTE = re.compile(
    r"^(?P<repo>[\w.-]+/[\w.-]+)(?:@(?P<version>[^#\s]+))?#(?:proc_blocks/)?(?P<name>[\w.-]+)$"
)
KNOWN_REPOS = ("hotg-ai/proc-blocks", "hotg-ai/rune")


def canonical(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def is_local(reference: str) -> bool:
    """Whether a reference names a file (a custom proc block) rather than a library kernel."""
    text = reference.strip()
    return REMOTE.match(text) is None and (
        text.startswith((".", "/")) or "/" in text or text.endswith(".py"))


def library_name(reference: str) -> str | None:
    """The canonical name of the library kernel `reference` names, or None when it names a
    file or a library this compiler does not know (whether the kernel exists is resolve's)."""
    text = reference.strip()
    match = REMOTE.match(text)
    if match:
        return canonical(match["name"]) if match["repo"] in KNOWN_REPOS else None
    return None if is_local(text) else canonical(text)
