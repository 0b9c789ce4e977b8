"""rune.passes"""
