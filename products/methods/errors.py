"""Exceptions raised by the scientific methods."""

from __future__ import annotations


class InsufficientData(ValueError):  # noqa: N818, RUF100 (name fixed by contract)
    """The selection is too small or too degenerate for the method.

    ``have`` and ``need`` say what was found and what is required; the message
    reads like "bvalue needs at least 50 events at or above Mc=2.3; the
    selection has 12".
    """

    def __init__(self, message: str, *, have: float, need: float) -> None:
        super().__init__(message)
        self.have = have
        self.need = need


class InvalidParams(ValueError):  # noqa: N818, RUF100 (name fixed by contract)
    """One or more parameters are bad or unknown; ``errors`` maps name to message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{k}: {v}" for k, v in sorted(self.errors.items()))
        super().__init__(f"invalid parameters: {detail}")
