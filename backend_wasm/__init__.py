"""rune.backend_wasm"""
