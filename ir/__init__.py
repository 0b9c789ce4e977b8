"""rune.ir"""

from rune.ir import lazy_formats

lazy_formats.install()  # before any dialect is defined: see lazy_formats
