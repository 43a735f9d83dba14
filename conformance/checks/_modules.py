"""Imports every module that registers checks; add a new module here."""

from . import (  # noqa: F401 - importing a module registers its checks
    anthropic_stream,
    equivalence,
    errors,
    finish,
    framing,
    openai_stream,
    schema,
    thinking,
    usage,
)
