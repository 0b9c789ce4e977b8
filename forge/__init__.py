"""rune.forge: the deployment server (`server/`), its command line (`cli`) and the device SDK
(`sdk/`).

The SDK is separable: `rune.forge.sdk` imports only the runtime, the standard library and
`cryptography`, so it can ship in the runtime's distribution without the server or compiler.
"""
