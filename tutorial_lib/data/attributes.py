"""A shapes-world scene as numbers: one integer code per attribute, and the loss that reads them.

Every model that reads or draws attributes (the judge, the generator's auxiliary head, the
text encoders' reader, the diffusion model's attribute tokens) uses the same five blocks, in
`shapes.ATTRIBUTES` order: colour, shape, size, row, column.
"""

import numpy as np
import torch
import torch.nn.functional as F

from tutorial_lib.data import shapes
from tutorial_lib.errors import BadInputError

# classes per attribute, in shapes.ATTRIBUTES order: colour, shape, size, row, column
ATTRIBUTE_CLASSES = tuple(len(values) for _, values in shapes.ATTRIBUTES)


def attribute_codes(attrs_list) -> np.ndarray:
    """Integer codes (N, 5) of attribute dicts, one column per attribute (colour first)."""
    try:
        codes = [[values.index(attrs[name]) for name, values in shapes.ATTRIBUTES]
                 for attrs in attrs_list]
        return np.array(codes, dtype=np.int64).reshape(-1, len(ATTRIBUTE_CLASSES))
    except (KeyError, ValueError, TypeError, AttributeError):
        raise BadInputError("attributes must be dicts with a valid colour, shape, size, row and "
                            "col, as shapes.sample returns them") from None


def attribute_loss(logits: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """Sum over the five attributes of the cross-entropy of their logits with codes (N, 5)."""
    blocks = logits.split(ATTRIBUTE_CLASSES, dim=1)
    return sum(F.cross_entropy(block, codes[:, i]) for i, block in enumerate(blocks))
