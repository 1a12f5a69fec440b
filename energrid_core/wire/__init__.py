"""Wire formats: pure functions from (topic, bytes) to typed readings or a rejection."""

from energrid_core.wire.decode import Decoder
from energrid_core.wire.readings import (
    SUPPLIER_FIELDS,
    CommandSeen,
    ConsumerReading,
    Decoded,
    Rejected,
    SupplierReading,
)

__all__ = [
    "SUPPLIER_FIELDS",
    "CommandSeen",
    "ConsumerReading",
    "Decoded",
    "Decoder",
    "Rejected",
    "SupplierReading",
]
