"""The Forge SDK: fetch a deployed rune, verify it, load it, and report how it runs.

    from rune.forge.sdk import Forge
    forge = Forge("https://forge.example", key="fk_...", project="speech",
                  public_key="<hex from `forge keys public`>")
    rune = forge.rune("production")
    outputs = rune.run({"audio": "up.wav"})

Ships with the runtime: it imports only `rune.runtime`, the standard library and
`cryptography` (for ed25519), never the server or the compiler.
"""

from .client import DeployedRune, Forge
from .errors import ForgeError, ForgeHTTPError, ForgeUnavailable, VerificationError
from .telemetry import Telemetry, TelemetryQueue

__all__ = ["DeployedRune", "Forge", "ForgeError", "ForgeHTTPError", "ForgeUnavailable",
           "Telemetry", "TelemetryQueue", "VerificationError"]
