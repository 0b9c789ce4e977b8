"""The Forge server: projects, keys, builds, versions, channels, signed artifacts, telemetry."""
