"""polytrack: one self-hosted server that speaks five tracking APIs."""

__version__ = "0.1.0"
