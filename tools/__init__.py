"""rune.tools"""
