"""mimo-conformance: a conformance and evaluation suite for Xiaomi's MiMo API."""

__version__ = "0.1.0"
__all__ = ["__version__"]
