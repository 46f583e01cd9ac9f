from __future__ import annotations

import pytest

from sotchart.domain.protocol.pack import ProtocolPack
from sotchart.services import protocol


@pytest.fixture(scope="session")
def pack() -> ProtocolPack:
    return protocol.load(protocol.SHIPPED)
