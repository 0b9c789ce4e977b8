"""rune.ir"""
