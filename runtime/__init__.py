"""rune.runtime"""
