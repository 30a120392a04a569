"""The documentation tells the truth: its examples run, its references are complete.

* The quickstart (docs/quickstart.rst) is followed from an empty folder: its
  files (docs/quickstart/, shown with ``literalinclude``) are installed, served
  by a real ``pserve`` process, and every ``curl`` command of the page is run
  and must answer what the page shows.
* The configuration reference documents every default setting, with its
  default value and its environment variable.
* The recipes' code (docs/recipes/, shown with ``literalinclude``) works.
"""
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import webtest

from cliquet._defaults import DEFAULT_SETTINGS
from tests.support import MEMORY_SETTINGS
from tests.processes import free_port, stop, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
BIN = os.path.dirname(sys.executable)
DOCUMENTED_PORT = "6543"


def read_doc(name: str) -> str:
    with open(os.path.join(DOCS, name), encoding="utf-8") as f:
        return f.read()


# Quickstart.


def console_blocks(text: str) -> list[list[str]]:
    """The lines of every ``.. code-block:: console`` block, dedented."""
    blocks = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.strip() != ".. code-block:: console":
            continue
        indent = len(line) - len(line.lstrip())
        body = []
        for following in lines[index + 1:]:
            stripped = following.strip()
            if stripped and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        margin = min(len(b) - len(b.lstrip()) for b in body if b.strip())
        blocks.append([b[margin:] for b in body])
    return blocks


def curl_examples(text: str) -> list[tuple[str, str]]:
    """``(command, expected output)`` of each ``$ curl`` of the console blocks."""
    examples = []
    for block in console_blocks(text):
        commands = []  # [command, output lines]
        for line in block:
            if commands and commands[-1][0].endswith("\\"):
                commands[-1][0] = commands[-1][0][:-1].rstrip() + " " + line.strip()
            elif line.startswith("$ "):
                commands.append([line[2:], []])
            elif commands:
                commands[-1][1].append(line)
        examples += [(c, "\n".join(o)) for c, o in commands if c.startswith("curl ")]
    return examples


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: Headers whose value changes at each run: only their presence is checked.
VARYING_HEADERS = {"etag", "last-modified", "date", "content-length"}


def assert_json_matches(actual, expected, path="body"):
    """Equal, except that ids and timestamps only need to look like ones."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), (path, actual)
        for key, value in expected.items():
            if key == "last_modified":
                assert isinstance(actual[key], int) and actual[key] > 0, (path, actual)
            elif key == "id" and isinstance(value, str) and UUID.match(value):
                assert UUID.match(actual[key]), (path, actual)
            else:
                assert_json_matches(actual[key], value, f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (path, actual)
        for index, (got, want) in enumerate(zip(actual, expected)):
            assert_json_matches(got, want, f"{path}[{index}]")
    else:
        assert actual == expected, (path, actual, expected)


def check_curl_output(command: str, actual: str, expected: str) -> None:
    actual = actual.replace("\r\n", "\n")
    if expected.startswith("HTTP/"):
        actual_head, _, actual_body = actual.partition("\n\n")
        expected_head, _, expected_body = expected.partition("\n\n")
        actual_lines = actual_head.splitlines()
        expected_lines = expected_head.splitlines()
        assert actual_lines[0].split()[1] == expected_lines[0].split()[1], (command, actual)
        headers = {}
        for line in actual_lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        for line in expected_lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            assert name in headers, (command, name, actual_head)
            if name not in VARYING_HEADERS:
                assert headers[name] == value.strip(), (command, name, headers[name])
    else:
        actual_body, expected_body = actual, expected
    assert_json_matches(json.loads(actual_body), json.loads(expected_body))


def test_the_quickstart_examples_are_found():
    examples = curl_examples(read_doc("quickstart.rst"))
    commands = [command for command, _ in examples]
    assert len(examples) >= 10, commands
    assert all(output.strip() for _, output in examples), examples
    assert any("-X POST" in c for c in commands) and any("-X PATCH" in c for c in commands)


@pytest.fixture
def curl():
    path = shutil.which("curl")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("curl is needed to follow the quickstart")
        pytest.skip("curl is needed to follow the quickstart")
    return path


def test_quickstart_from_an_empty_folder(tmp_path, curl):
    text = read_doc("quickstart.rst")
    # The files of step 2, as the page includes them.
    included = re.findall(r"\.\. literalinclude:: quickstart/(\S+)", text)
    assert sorted(included) == ["app.ini", "myproject/__init__.py", "myproject/views.py",
                                "pyproject.toml"]
    project = tmp_path / "myproject-service"
    shutil.copytree(os.path.join(DOCS, "quickstart"), project,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    # ``pip install -e .`` of the page, without touching the shared virtualenv.
    site = tmp_path / "site"
    subprocess.run(
        [os.path.join(BIN, "pip"), "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), "."],
        cwd=project, check=True, capture_output=True)
    port = str(free_port())
    ini = (project / "app.ini").read_text()
    assert f"listen = localhost:{DOCUMENTED_PORT}" in ini
    (project / "app.ini").write_text(ini.replace(DOCUMENTED_PORT, port))

    env_path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    process = subprocess.Popen(
        [os.path.join(BIN, "pserve"), "app.ini"], cwd=project,
        env=dict(os.environ, PYTHONPATH=env_path, PYTHONUNBUFFERED="1"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://localhost:{port}/v1/__lbheartbeat__", process)
        for command, expected in curl_examples(text):
            command = command.replace(f"localhost:{DOCUMENTED_PORT}", f"localhost:{port}")
            argv = shlex.split(command)
            result = subprocess.run([curl] + argv[1:], capture_output=True, text=True,
                                    timeout=30)
            assert result.returncode == 0, (command, result.stderr)
            expected = expected.replace(f"localhost:{DOCUMENTED_PORT}", f"localhost:{port}")
            check_curl_output(command, result.stdout, expected)
    finally:
        stop(process)


# Configuration reference.


def list_table_rows(text: str) -> list[list[str]]:
    """Cells of every row of the ``list-table`` directives (continuation lines joined)."""
    rows, in_table = [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(".. list-table::"):
            in_table = True
        elif in_table and stripped and not line.startswith("   "):
            in_table = False
        elif in_table and stripped.startswith("* - "):
            rows.append([stripped[4:]])
        elif in_table and rows and stripped.startswith("- "):
            rows[-1].append(stripped[2:])
        elif in_table and rows and stripped and not stripped.startswith(":"):
            rows[-1][-1] += " " + stripped
    return rows


def documented_default(value) -> str:
    return "``''``" if value == "" else f"``{value}``"


def test_every_default_setting_is_documented_with_its_default_and_variable():
    text = read_doc("configuration.rst")
    rows = {row[0]: row for row in list_table_rows(text) if len(row) == 4}
    for key, default in DEFAULT_SETTINGS.items():
        row = rows.get(f"``{key}``")
        assert row is not None, f"setting {key} missing from docs/configuration.rst"
        _, documented, variable, meaning = row
        if isinstance(default, tuple):
            for step in default:
                assert f"``{step}``" in text, step
        else:
            assert documented == documented_default(default), (key, documented)
        expected_variable = "CLIQUET_" + key.upper().replace(".", "_").replace("-", "_")
        assert variable == f"``{expected_variable}``", (key, variable)
        assert meaning.strip(), key
    documented_keys = {name.strip("`") for name in rows} - {"Setting"}
    assert documented_keys <= set(DEFAULT_SETTINGS), documented_keys - set(DEFAULT_SETTINGS)


def test_documented_environment_variables_override_settings(monkeypatch):
    from pyramid.config import Configurator

    from cliquet.initialization import load_default_settings

    config = Configurator(settings={"project_name": "myproject"})
    environ = {"BACKOFF": "10", "MYPROJECT_BACKOFF": "20", "CLIQUET_BACKOFF": "30",
               "MULTIAUTH_POLICIES": "token basicauth", "CLIQUET_USERID_HMAC_SECRET": "123",
               "CLIQUET_HTTP_API_VERSION": "9.9"}
    load_default_settings(config, DEFAULT_SETTINGS, environ=environ)
    settings = config.get_settings()
    assert settings["backoff"] == 30  # later wins, coerced
    assert settings["multiauth.policies"] == "token basicauth"
    assert settings["userid_hmac_secret"] == "123"  # text default: stays text
    assert "http_api_version" not in settings  # no default and not in the .ini: ignored


# Recipes: the modules of docs/recipes/ (package ``myservice``), shown by
# ``literalinclude`` in docs/recipes.rst.

RECIPES = os.path.join(DOCS, "recipes")
if RECIPES not in sys.path:
    sys.path.insert(0, RECIPES)

from test_journal_storage import TestJournalStorage  # noqa: E402, F401 (the suite runs here)

ALICE = {"Authorization": "Basic YWxpY2U6c2VjcmV0"}  # alice:secret
BOB = {"Authorization": "Basic Ym9iOnNlY3JldA=="}  # bob:secret


def recipe_app(scan=None, **settings):
    import cliquet
    from pyramid.config import Configurator

    config = Configurator(settings=dict(MEMORY_SETTINGS, **settings))
    cliquet.initialize(config, "1.0", "myservice")
    if scan:
        config.scan(scan)
    return webtest.TestApp(config.make_wsgi_app())


def ini_settings(name: str) -> dict:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(RECIPES, name))
    return {k: v for k, v in parser["app:main"].items() if k != "use"}


def test_the_recipes_show_the_tested_files():
    text = read_doc("recipes.rst")
    included = set(re.findall(r"\.\. literalinclude:: recipes/(\S+)", text))
    assert included == {"auth.ini", "myservice/auth.py", "myservice/journal.py",
                        "test_journal_storage.py", "myservice/scores.py",
                        "myservice/notes.py", "myservice/views.py"}


def test_recipe_custom_authentication_policy():
    app = recipe_app(**ini_settings("auth.ini"))
    hello = app.get("/v1/", headers={"Authorization": "Bearer 3f1e2d4c"}).json
    assert hello["user"]["id"] == "apikey:alice"
    # Unknown keys are anonymous; Basic Auth still works after it.
    assert "user" not in app.get("/v1/", headers={"Authorization": "Bearer nope"}).json
    assert app.get("/v1/", headers=ALICE).json["user"]["id"].startswith("basicauth:")


def test_recipe_custom_authentication_challenges_and_protects():
    app = recipe_app(scan="myservice.notes", **ini_settings("auth.ini"))
    response = app.get("/v1/notes", status=401)
    assert 'Bearer realm="Mushrooms"' in response.headers.getall("WWW-Authenticate")
    app.post_json("/v1/notes", {"data": {"title": "a"}},
                  headers={"Authorization": "Bearer 9a8b7c6d"}, status=201)
    assert len(app.get("/v1/notes", headers={"Authorization": "Bearer 9a8b7c6d"})
               .json["data"]) == 1
    assert app.get("/v1/notes", headers={"Authorization": "Bearer 3f1e2d4c"}).json == \
        {"data": []}


def test_recipe_custom_backend_journals_every_write(tmp_path):
    journal = tmp_path / "journal.jsonl"
    app = recipe_app(scan="myservice.notes", storage_backend="myservice.journal",
                     storage_journal=str(journal))
    record = app.post_json("/v1/notes", {"data": {"title": "a"}}, headers=ALICE).json["data"]
    app.delete(f"/v1/notes/{record['id']}", headers=ALICE)
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    actions = [(line["action"], line["collection"], line["record"]["id"]) for line in lines
               if line["collection"] == "note"]
    assert actions == [("create", "note", record["id"]), ("delete", "note", record["id"])]


def test_recipe_custom_urls_scope_records_per_game():
    app = recipe_app(scan="myservice.scores")
    chess = app.post_json("/v1/games/chess/scores", {"data": {"player": "al", "points": 3}},
                          headers=ALICE, status=201).json["data"]
    app.post_json("/v1/games/go/scores", {"data": {"player": "al", "points": 5}},
                  headers=ALICE, status=201)
    assert [r["points"] for r in app.get("/v1/games/chess/scores", headers=ALICE)
            .json["data"]] == [3]
    assert app.get("/v1/games/chess/scores", headers=BOB).json == {"data": []}
    app.get(f"/v1/games/chess/scores/{chess['id']}", headers=ALICE, status=200)
    app.get(f"/v1/games/go/scores/{chess['id']}", headers=ALICE, status=404)
    app.patch_json(f"/v1/games/chess/scores/{chess['id']}", {"data": {"points": 4}},
                   headers=ALICE, status=405)
    app.delete("/v1/games/chess/scores", headers=ALICE, status=405)
    response = app.post_json("/v1/games/chess/scores", {"data": {"player": "al", "points": -1}},
                             headers=ALICE, status=400)
    assert response.json["details"][0]["name"] == "data.points"


def test_recipe_schemaless_resource_keeps_unknown_fields():
    app = recipe_app(scan="myservice.notes")
    record = app.post_json("/v1/notes", {"data": {"title": "a", "tags": ["x"], "n": 1}},
                           headers=ALICE).json["data"]
    assert record["tags"] == ["x"] and record["n"] == 1
    assert app.get("/v1/notes?title=a", headers=ALICE).json["data"][0]["n"] == 1
    response = app.get("/v1/notes?n=1", headers=ALICE, status=400)
    assert response.json["message"] == "Unknown filter field 'n'"


def test_recipe_custom_view_with_service():
    app = recipe_app(scan="myservice.views")
    record = app.post_json("/v1/score/chess", {"value": 42}, headers=ALICE).json
    assert record["value"] == 42 and record["id"]
    user_id = app.get("/v1/", headers=ALICE).json["user"]["id"]
    storage = app.app.registry.storage
    assert storage.get("scores-chess", user_id, record["id"])["value"] == 42
    app.post_json("/v1/score/chess", {"value": 42}, status=401)
    response = app.post_json("/v1/score/chess", {"value": "x"}, headers=ALICE, status=400)
    assert response.json["errno"] == 107


def test_the_protocol_reference_lists_every_errno():
    from cliquet.errors import ERRORS

    rows = {row[0]: row for row in list_table_rows(read_doc("protocol.rst")) if len(row) == 4}
    for error in ERRORS:
        row = rows.get(str(error.value))
        assert row is not None, f"errno {error.value} missing from docs/protocol.rst"
        assert row[1] == f"``{error.name}``", row


# References from the code to the documentation.

#: ``docs/<page>.rst`` followed by the quoted titles of its sections, as in
#: ``(docs/protocol.rst, "Filtering", "Sorting")``.
DOC_REFERENCE = re.compile(r'docs/([\w/-]+)\.rst((?:, "[^"]+")*)')
UNDERLINE = re.compile(r'^([=\-~^#*+`:.\'"_])\1+$')


def section_titles(page: str) -> set[str]:
    """Titles of the sections of ``docs/<page>.rst`` (text above an underline)."""
    lines = read_doc(f"{page}.rst").splitlines()
    return {title.strip() for title, line in zip(lines, lines[1:])
            if title.strip() and UNDERLINE.match(line) and len(line) >= len(title.strip())}


def source_files() -> dict[str, str]:
    """Text of each module of ``cliquet/``, comment and docstring lines joined."""
    sources = {}
    for folder, _, names in os.walk(os.path.join(ROOT, "cliquet")):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                # A reference may be wrapped over comment or docstring lines.
                sources[os.path.relpath(path, ROOT)] = re.sub(r"\s*\n\s*#?\s*", " ", text)
    return sources


def test_code_points_to_the_repository_docs_not_to_an_outside_document():
    offenders = sorted(path for path, text in source_files().items()
                       if "PROTOCOL §" in text or "PROTOCOL.md" in text or "§" in text)
    assert offenders == []


def test_the_sections_the_code_points_to_exist():
    references = 0
    for path, text in source_files().items():
        for page, titles in DOC_REFERENCE.findall(text):
            assert os.path.exists(os.path.join(DOCS, f"{page}.rst")), (path, page)
            existing = section_titles(page)
            for title in re.findall(r'"([^"]+)"', titles):
                references += 1
                assert title in existing, f'{path}: no section "{title}" in docs/{page}.rst'
    assert references >= 25


def test_the_architecture_page_maps_every_part_of_the_package():
    parts = " ".join(row[0] for row in list_table_rows(read_doc("architecture.rst"))
                     if len(row) == 3)
    for name in sorted(os.listdir(os.path.join(ROOT, "cliquet"))):
        if name.endswith(".py"):
            assert f"``{name}``" in parts, f"cliquet/{name} missing from docs/architecture.rst"
        elif os.path.exists(os.path.join(ROOT, "cliquet", name, "__init__.py")):
            assert f"``{name}/" in parts, f"cliquet/{name}/ missing from docs/architecture.rst"


def _settings_read_by_name(path: str) -> set:
    """Literal names of the settings a module reads: ``settings["x"]``,
    ``settings.get("x")`` (``pop``, ``setdefault``), ``setting_or_default(s, "x")``."""
    import ast

    with open(path, encoding="utf-8") as source:
        tree = ast.parse(source.read(), path)

    def is_settings(node) -> bool:
        return (node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)) \
            == "settings"

    def literal(node):
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) \
            else None

    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and is_settings(node.value):
            names.add(literal(node.slice))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") \
                    and is_settings(func.value):
                names.add(literal(node.args[0]))
            elif getattr(func, "id", None) == "setting_or_default" and len(node.args) > 1:
                names.add(literal(node.args[1]))
    return names - {None}


def test_every_setting_read_has_a_default_or_is_documented_without_one():
    text = read_doc("configuration.rst")
    without_default = text.split("Settings without a default\n")[1].split("\n====")[0]
    documented = set(re.findall(r"^   \* - ``([^`<]+)``", without_default, re.MULTILINE))
    # Set for Cornice (documented with the Pyramid and Cornice settings); a spelling;
    # pyramid_tm's, which the request transaction honours (same section).
    others = {"handle_exceptions", "cliquet.project_name", "tm.commit_veto",
              "pyramid_tm.commit_veto", "tm.activate_hook", "tm.manager_hook"}
    package = os.path.join(os.path.dirname(DOCS), "cliquet")
    read = {name: path for path in glob.glob(os.path.join(package, "**", "*.py"), recursive=True)
            for name in _settings_read_by_name(path)}
    unknown = {name: os.path.relpath(path, package) for name, path in read.items()
               if name not in DEFAULT_SETTINGS and name not in documented | others}
    assert unknown == {}
