"""rune.frontend"""
