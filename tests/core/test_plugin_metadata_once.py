"""The plugin loader reads each distribution's metadata once, and only its header (issue 19)."""
from __future__ import annotations

from peerkit import entrypoints, plugins


class CountingDist:
    def __init__(self, path, text):
        self._path = path
        self.text = text
        self.reads = 0

    def read_text(self, name):
        self.reads += 1
        return self.text if name == "METADATA" else None

    @property
    def metadata(self):  # the slow email parser: must not be needed
        raise AssertionError("parsed the whole METADATA")


HEADER = "Metadata-Version: 2.1\nName: peerkit\nVersion: 1.2.3\nSummary: x\n\nName: not-this\nVersion: 9\n"


def test_each_distribution_is_read_once_and_only_its_header_counts():
    seen: dict = {}
    dist = CountingDist("/site/peerkit-1.2.3.dist-info", HEADER)
    same = CountingDist("/site/peerkit-1.2.3.dist-info", HEADER)   # another entry point's copy
    for d in (dist, same, dist, dist):
        assert entrypoints.dist_identity(d, seen) == ("peerkit", "1.2.3")
    assert dist.reads + same.reads == 1
    other = CountingDist("/site/agency_plugin-0.4.dist-info", "Name: agency-plugin\nVersion: 0.4\n")
    assert entrypoints.dist_identity(other, seen) == ("agency-plugin", "0.4")
    assert entrypoints.dist_identity(None, seen) == ("", "")


def test_loaded_builtins_still_carry_peerkits_name_and_version():
    from importlib.metadata import version

    loaded = plugins.Plugins()
    assert loaded.info["notes"].source == "built-in"
    assert loaded.info["notes"].version == version("peerkit")
