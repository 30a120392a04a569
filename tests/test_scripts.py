"""The `cliquet` console script, run for real against PostgreSQL."""
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import sqlalchemy

import cliquet
from cliquet.scripts import cliquet as script
from tests import servers
from tests.pg_scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent

INI = """
[app:main]
use = egg:cliquet#demo
cliquet.userid_hmac_secret = 1234
cliquet.readonly = {readonly}
cliquet.storage_backend = cliquet.storage.postgresql
cliquet.storage_url = {url}
cliquet.cache_backend = cliquet.cache.postgresql
cliquet.cache_url = {url}
cliquet.permission_backend = cliquet.permission.postgresql
cliquet.permission_url = {url}
"""


def run(*args, warnings="default"):
    return subprocess.run(
        [sys.executable, "-W", warnings, "-m", "cliquet.scripts.cliquet", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


class TestMigrate:
    def setup_method(self, method=None):
        servers.require_postgresql()
        self.url = scratch_database("scripts")
        self.engine = sqlalchemy.create_engine(
            self.url.replace("postgres://", "postgresql+psycopg2://"))

    def teardown_method(self, method=None):
        self.engine.dispose()

    def write_ini(self, tmp_path, readonly=False):
        ini = tmp_path / "app.ini"
        ini.write_text(INI.format(url=self.url, readonly=str(readonly).lower()))
        return str(ini)

    def tables(self):
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        return {row[0] for row in rows}

    def test_migrate_creates_every_schema_and_can_run_again(self, tmp_path):
        ini = self.write_ini(tmp_path)
        result = run("--ini", ini, "migrate")
        assert result.returncode == 0, result.stderr
        assert {"records", "deleted", "timestamps", "metadata", "cache",
                "user_principals", "access_control_entries"} <= self.tables()
        again = run("--ini", ini, "migrate")
        assert again.returncode == 0, again.stderr

    def test_dry_run_prints_the_sql_and_changes_nothing(self, tmp_path):
        result = run("--ini", self.write_ini(tmp_path), "migrate", "--dry-run")
        assert result.returncode == 0, result.stderr
        assert "CREATE TABLE IF NOT EXISTS records" in result.stdout + result.stderr
        assert self.tables() == set()

    def test_readonly_skips_storage_and_permission(self, tmp_path):
        result = run("--ini", self.write_ini(tmp_path, readonly=True), "migrate")
        assert result.returncode == 0, result.stderr
        output = result.stdout + result.stderr
        assert "Cannot migrate the storage backend while in readonly mode." in output
        assert "Cannot migrate the permission backend while in readonly mode." in output
        assert self.tables() == {"cache"}

    def test_init_is_a_deprecated_alias(self, tmp_path):
        result = run("--ini", self.write_ini(tmp_path), "init", warnings="always")
        assert result.returncode == 0, result.stderr
        assert "DeprecationWarning" in result.stderr
        assert "records" in self.tables()


def test_version():
    result = run("--version")
    assert (result.returncode, result.stdout.strip()) == (0, cliquet.__version__)
    assert run("-v").stdout.strip() == cliquet.__version__


def test_ini_is_required():
    result = run("migrate")
    assert result.returncode == 2 and "--ini" in result.stderr


def test_migrate_calls_backends_in_order():
    calls = []
    registry = mock.Mock(spec=["settings", "cache", "storage", "permission"])
    registry.settings = {"readonly": "false"}
    for name in ("permission", "storage", "cache"):
        backend = mock.Mock()
        backend.initialize_schema.side_effect = lambda dry_run, name=name: calls.append(
            (name, dry_run))
        setattr(registry, name, backend)
    script.init_schema({"registry": registry}, dry_run=True)
    assert calls == [("cache", True), ("storage", True), ("permission", True)]


def test_init_warns_in_process(tmp_path):
    with mock.patch.object(script, "bootstrap") as bootstrap, \
            mock.patch.object(script, "init_schema") as init_schema, \
            pytest.warns(DeprecationWarning):
        assert script.main(["--ini", str(tmp_path / "x.ini"), "init"]) == 0
    bootstrap.assert_called_once_with(str(tmp_path / "x.ini"))
    assert init_schema.call_args.kwargs == {"dry_run": False}


def test_main_reads_the_command_line_and_bootstrap_may_give_no_closer(tmp_path, monkeypatch):
    registry = mock.Mock(spec=["settings", "storage"])
    registry.settings = {"readonly": "true"}
    monkeypatch.setattr(script.sys, "argv", ["cliquet", "--ini", str(tmp_path / "x.ini"),
                                             "migrate"])
    with mock.patch.object(script, "bootstrap", return_value={"registry": registry}), \
            pytest.warns(UserWarning, match="Cannot migrate the storage backend while in "
                                            "readonly mode."):
        assert script.main() == 0
    registry.storage.initialize_schema.assert_not_called()


def test_deprecated_init_is_init_schema_with_a_warning():
    registry = mock.Mock(spec=["settings", "cache"])
    registry.settings = {}
    with pytest.warns(DeprecationWarning):
        script.deprecated_init({"registry": registry})
    registry.cache.initialize_schema.assert_called_once_with(dry_run=False)
