"""The suite's plugins are registered in pyproject.toml (addopts), so their options exist before pytest reads the command line."""
