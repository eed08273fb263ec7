import pytest


@pytest.fixture(autouse=True)
def fresh_keys():
    """Every test starts as a new process would: no data key opened yet."""
    from peerkit.cryptkeys import forget

    forget()
    yield
    forget()
