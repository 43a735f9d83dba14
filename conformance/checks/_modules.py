"""Imports every module that registers checks; add a new module here."""

from . import (  # noqa: F401 - importing a module registers its checks
    anthropic_stream,
    choices,
    declared,
    dialect,
    equivalence,
    errors,
    finish,
    framing,
    ids,
    lifecycle,
    media,
    openai_stream,
    response_format,
    responses,
    schema,
    thinking,
    usage,
    web_search,
)
