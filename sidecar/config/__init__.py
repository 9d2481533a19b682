"""The daemon's configuration: the TOML file and environment parsed once into frozen, typed settings."""

from sidecar.config.settings import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "load_settings"]
