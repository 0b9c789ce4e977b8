"""The original Rune's test suite and examples (../shared/peer-suite), run through our CLIs."""
