"""Imports among the core modules flow one way: no cycle, hidden or not.

``utils`` and the leaves (``_cors``, ``_version``) import nothing of the
package; ``logs`` builds on ``utils``; the error channel (``errors``) on
``logs``, ``utils`` and ``_cors``; the service (``_service``) on ``errors``
and ``_cors``. Views and the OpenAPI generator read the protocol version
from ``_version``, not from the package root.
"""
import ast
import glob
import os

import pytest

import cliquet
from cliquet._cors import CorsService
from cliquet._service import Service

PACKAGE_DIR = os.path.dirname(cliquet.__file__)
CORE = ("utils", "_cors", "_version", "logs", "errors", "_service")
#: Package modules each core module may import (at any depth of its code).
ALLOWED = {
    "utils": {"_cors"},  # only in ``__getattr__``: the 3.1 name ``reapply_cors``
    "_cors": set(),
    "_version": set(),
    "logs": {"utils"},
    "errors": {"_cors", "logs", "utils"},
    "_service": {"_cors", "errors"},
}


def _module_path(name: str) -> str:
    return os.path.join(PACKAGE_DIR, *name.split(".")) + ".py"


def _is_submodule(name: str) -> bool:
    path = os.path.join(PACKAGE_DIR, *name.split("."))
    return os.path.exists(path + ".py") or os.path.isdir(path)


def package_imports(path: str) -> list[tuple[str, bool, str | None]]:
    """``(module, at_top_level, enclosing_function)`` of each import of the package.

    ``module`` is relative to the package (``""`` for its root); names imported
    with ``from cliquet import x`` count as the submodule ``x`` when there is one.
    """
    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == "cliquet" or alias.name.startswith("cliquet."):
                        found.append((alias.name[len("cliquet."):], function is None, function))
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module and (
                    child.module == "cliquet" or child.module.startswith("cliquet.")):
                base = child.module[len("cliquet."):] if child.module != "cliquet" else ""
                for alias in child.names:
                    candidate = f"{base}.{alias.name}" if base else alias.name
                    module = candidate if _is_submodule(candidate) else base
                    found.append((module, function is None, function))
            visit(child, inner)

    visit(tree, None)
    return found


@pytest.mark.parametrize("name", CORE)
def test_core_modules_import_only_the_modules_below_them(name):
    imported = {module for module, _, _ in package_imports(_module_path(name))}
    assert imported <= ALLOWED[name], (name, imported - ALLOWED[name])


def test_the_allowed_imports_form_no_cycle():
    visiting, done = set(), set()

    def walk(name, path):
        assert name not in visiting, " -> ".join(path + [name])
        if name in done:
            return
        visiting.add(name)
        for target in ALLOWED[name]:
            walk(target, path + [name])
        visiting.discard(name)
        done.add(name)

    for name in CORE:
        walk(name, [])


def test_utils_imports_nothing_of_the_package_when_loaded():
    imports = package_imports(_module_path("utils"))
    assert [module for module, top, _ in imports if top] == []
    # The one deferred import resolves the 3.1 names moved out of utils.
    assert {function for _, _, function in imports} <= {"__getattr__"}


@pytest.mark.parametrize("name", ["errors", "_service", "_cors", "logs"])
def test_no_import_of_the_package_is_hidden_in_a_function(name):
    hidden = [(module, function) for module, top, function
              in package_imports(_module_path(name)) if not top]
    assert hidden == []


def test_views_and_openapi_import_nothing_from_the_package_root():
    paths = glob.glob(os.path.join(PACKAGE_DIR, "views", "*.py"))
    paths += glob.glob(os.path.join(PACKAGE_DIR, "openapi", "*.py"))
    offenders = [(os.path.relpath(path, PACKAGE_DIR), function)
                 for path in paths
                 for module, _, function in package_imports(path) if module == ""]
    assert offenders == []


def test_the_3_1_names_of_the_moved_code_are_the_same_objects():
    from cliquet import PROTOCOL_VERSION, __version__, _cors, _version, errors, utils

    assert utils.reapply_cors is _cors.reapply_cors
    assert errors.reapply_cors is _cors.reapply_cors
    assert PROTOCOL_VERSION == _version.PROTOCOL_VERSION == "2"
    assert __version__ == _version.__version__
    assert issubclass(Service, CorsService)
    assert Service.default_cors_headers == (
        "Backoff", "Retry-After", "Alert", "Content-Length", "Vary")
    with pytest.raises(AttributeError):
        utils.no_such_name  # noqa: B018


def _part_paths(part: str) -> list[str]:
    """The modules of a part: a package (``cache``) or a module (``logs.py``)."""
    path = os.path.join(PACKAGE_DIR, part)
    if part.endswith(".py"):
        return [path]
    return glob.glob(os.path.join(path, "**", "*.py"), recursive=True)


def _part_imports(part: str) -> set[str]:
    return {module for path in _part_paths(part) for module, _, _ in package_imports(path)}


#: The only modules importing names of the package root (``from cliquet import x``
#: where ``x`` is no submodule): the console script and the test helpers.
ROOT_IMPORTERS = {os.path.join("scripts", "cliquet.py"), "testing.py"}


def test_only_the_script_and_the_test_helpers_import_from_the_package_root():
    paths = glob.glob(os.path.join(PACKAGE_DIR, "**", "*.py"), recursive=True)
    importers = {os.path.relpath(path, PACKAGE_DIR) for path in paths
                 if any(module == "" for module, _, _ in package_imports(path))}
    assert importers <= ROOT_IMPORTERS, importers - ROOT_IMPORTERS


@pytest.mark.parametrize("part", ["cache", "permission", "listeners"])
def test_other_parts_take_the_connection_code_from_its_own_modules(part):
    storage = {module for module in _part_imports(part) if module.startswith("storage")}
    assert storage <= {"storage.exceptions"}


@pytest.mark.parametrize("name", ["_redis", "_postgresql"])
def test_the_connection_modules_import_no_backend(name):
    imported = {module for module, _, _ in package_imports(_module_path(name))}
    assert imported <= {"_transaction", "logs", "utils", "storage.exceptions"}


def test_authentication_does_not_import_authorization():
    assert "authorization" not in _part_imports("authentication.py")
    assert "authentication" in _part_imports("authorization.py")  # prefixed_userid, as in 3.1


def test_the_3_1_names_of_the_connection_code_are_the_same_objects():
    from cliquet import _postgresql, _redis, logs
    from cliquet.cache import postgresql as cache_postgresql, redis as cache_redis
    from cliquet.listeners import redis as listeners_redis
    from cliquet.permission import postgresql as permission_postgresql, redis as permission_redis
    from cliquet.storage import postgresql as storage_postgresql, redis as storage_redis
    from cliquet.storage.postgresql import client

    assert client is _postgresql  # what 3.1 code patches there is what runs
    for module in (cache_postgresql, permission_postgresql, storage_postgresql):
        assert module.create_from_config is _postgresql.create_from_config
        assert module.logger is logs.logger
    for module in (cache_redis, permission_redis, storage_redis, listeners_redis):
        assert module.create_from_config is _redis.create_from_config
    for module in (cache_redis, permission_redis, storage_redis):
        assert module.wrap_redis_error is _redis.wrap_redis_error
    assert client.logger is storage_redis.logger is listeners_redis.logger is logs.logger


def test_redis_backend_errors_are_logged_by_the_logger_of_the_backend_module():
    """Cliquet 3.1 code patches ``cliquet.storage.redis.logger`` to see them."""
    from unittest import mock

    import redis

    from cliquet.storage import redis as storage_redis
    from cliquet.storage.exceptions import BackendError

    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    storage = storage_redis.Storage(unreachable)
    with mock.patch.object(storage_redis, "logger") as logger:
        with pytest.raises(BackendError):
            storage.get_all("c", "p")
    assert logger.exception.called


def test_one_logger_convention():
    """``logger`` is always the shared one of ``cliquet.logs``; standard loggers
    are ``_log = logging.getLogger(__name__)`` (see the top of ``cliquet/logs.py``)."""
    offenders = []
    for path in glob.glob(os.path.join(PACKAGE_DIR, "**", "*.py"), recursive=True):
        if os.path.relpath(path, PACKAGE_DIR) == "logs.py":
            continue
        with open(path, encoding="utf-8") as source:
            tree = ast.parse(source.read(), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(target, ast.Name) and target.id == "logger"
                    for target in node.targets):
                offenders.append((path, node.lineno, "assigns logger"))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("getLogger", "get_logger"):
                by_name = [ast.unparse(arg) for arg in node.args] == ["__name__"]
                if node.func.attr == "get_logger" or not by_name:
                    offenders.append((path, node.lineno, ast.unparse(node)))
    assert offenders == []
