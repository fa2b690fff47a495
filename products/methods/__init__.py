"""Pure scientific core of the product engine (no Django).

Each method is a plain function over numpy arrays returning a JSON-ready
dict; ``registry.METHODS`` describes them, ``registry.validate_params`` checks
parameters, ``registry.run`` dispatches, ``figures`` draws them.
"""

from .errors import InsufficientData, InvalidParams

__all__ = ["InsufficientData", "InvalidParams"]
