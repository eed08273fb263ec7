"""peerkit init asks the plugins for their settings and folders (init_settings, init_folders):
the core writes only its own tables and folders, and the result is what it always was."""
from __future__ import annotations

import stat
import tomllib

import pytest

from peerkit import hookimpl
from tests.conftest import Runner, assert_no_traceback

# What 'peerkit init' wrote after the [billing] table before the plugins gave their own.
PLUGIN_TABLES = '''
[[billing.rates]]
code = "H0038"
modifier = ""                  # "" individual, "HQ" group
rate = "11.97"                 # dollars per unit, as text: copy it from your contract
from = 2019-11-01

[[billing.rates]]
code = "H0038"
modifier = "HQ"
rate = "2.88"
from = 2019-11-01

[caseload]
max_people = 10
max_weekly_hours = 40
'''
FOLDERS = ["activities", "clients", "incidents", "invoices", "notes", "plugins", "resources", "templates",
           "trips", "wrap"]


def _init(target, *args):
    return Runner(None)("init", target, *args, workspace=False)


def test_init_writes_the_same_settings_and_folders_as_before(tmp_path):
    from peerkit.commands.init import CORE_CONFIG

    result = _init(tmp_path / "new")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "new" / "peerkit.toml").read_text()
    assert text.endswith("# mileage_rate = \"0.70\"        # dollars per mile: trips (peerkit trip) "
                         "become invoice lines\n" + PLUGIN_TABLES)
    assert text.startswith(CORE_CONFIG.split("{timezone}")[0])
    assert sorted(p.name for p in (tmp_path / "new").iterdir() if p.is_dir()) == FOLDERS


def test_the_core_alone_writes_only_its_own_tables_and_folders(tmp_path):
    result = Runner(None)("init", tmp_path / "bare", workspace=False, env={"PEERKIT_LOAD_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    data = tomllib.loads((tmp_path / "bare" / "peerkit.toml").read_text())
    assert sorted(data) == ["agency", "billing", "provider", "schema"]
    assert "rates" not in data["billing"]
    assert sorted(p.name for p in (tmp_path / "bare").iterdir() if p.is_dir()) == ["plugins", "templates"]


class Mileage:
    @staticmethod
    @hookimpl
    def init_settings():
        return {"agency_mileage": '[agency_mileage]\nrate = "0.70"   # dollars per mile\n'}

    @staticmethod
    @hookimpl
    def init_folders():
        return ["mileage", "notes"]  # a folder another plugin names too is made once


def test_hook_init_settings(tmp_path, register_plugin):
    register_plugin(Mileage(), "agency_mileage")
    result = _init(tmp_path / "new")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "new" / "peerkit.toml").read_text()
    # after the built-ins' tables, in the order of the table names (agency_mileage < billing.rates)
    assert text.index("[agency_mileage]") < text.index("[[billing.rates]]") < text.index("[caseload]")
    assert '\n\n[agency_mileage]\nrate = "0.70"   # dollars per mile\n\n[[billing.rates]]' in text
    assert tomllib.loads(text)["agency_mileage"] == {"rate": "0.70"}
    assert Runner(tmp_path / "new")("doctor").exit_code in (0, 1)  # a valid workspace


def test_hook_init_folders(tmp_path, register_plugin):
    register_plugin(Mileage(), "agency_mileage")
    assert _init(tmp_path / "new").exit_code == 0
    folder = tmp_path / "new" / "mileage"
    assert folder.is_dir() and stat.S_IMODE(folder.stat().st_mode) == 0o700
    example = tmp_path / "ex"
    assert _init(example, "--example").exit_code == 0
    assert (example / "mileage").is_dir()
    assert "agency_mileage" not in (example / "peerkit.toml").read_text()  # the example's own settings


@pytest.mark.parametrize("settings,why", [
    ({"agency_mileage": "[agency_mileage\nrate = 1\n"}, "are not valid TOML"),
    ({"agency_mileage": "[other]\nrate = 1\n"}, "define other tables than its name"),
    ({"agency_mileage": "rate = 1\n"}, "define other tables than its name"),
    ({"billing": "[billing]\nunit_minutes = 10\n"}, "clashes with the settings before it"),
])
def test_bad_settings_from_a_plugin_make_no_workspace(tmp_path, register_plugin, settings, why):
    class Bad:
        @staticmethod
        @hookimpl
        def init_settings():
            return settings

    register_plugin(Bad(), "bad")
    result = _init(tmp_path / "new")
    assert_no_traceback(result)
    assert result.exit_code == 3
    assert f"plugin 'bad' returned settings for [{next(iter(settings))}] from hook init_settings that {why}" \
        in result.stderr
    assert not (tmp_path / "new").exists()


def test_one_table_from_two_plugins_is_an_error_naming_both(tmp_path, register_plugin):
    class Twin:
        @staticmethod
        @hookimpl
        def init_settings():
            return {"caseload": "[caseload]\nmax_people = 3\n"}

    register_plugin(Twin(), "twin")
    result = _init(tmp_path / "new")
    assert result.exit_code == 3
    assert "settings table 'caseload' is defined by two plugins: 'caseload' and 'twin'" in result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("name", ["../outside", "a/b", "..", "", "/abs"])
def test_a_folder_outside_the_workspace_is_refused(tmp_path, register_plugin, name):
    class Escapes:
        @staticmethod
        @hookimpl
        def init_folders():
            return [name]

    register_plugin(Escapes(), "escapes")
    result = _init(tmp_path / "new")
    assert result.exit_code == 3
    assert "plugin 'escapes' returned folder" in result.stderr and "from hook init_folders" in result.stderr
    assert not (tmp_path / "new").exists() and not (tmp_path / "outside").exists()
