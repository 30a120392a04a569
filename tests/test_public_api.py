"""Every public name of Cliquet 3.1.5 stays importable, with a compatible signature.

``data/cliquet_3_1_5_api.json`` lists them all (module, name, kind, and the
3.1.5 signature of functions and methods), as the 3.1.5 release binds them.
Code written for 3.1 imports them from those paths: a missing name breaks the
import of a whole downstream module.
"""
import ast
import importlib
import inspect
import json
import pathlib

import pytest

API = json.loads((pathlib.Path(__file__).parent / "data" / "cliquet_3_1_5_api.json").read_text())

# Names 3.1.5 happened to import that no code written for it should need:
# Python 2 compatibility, and libraries it no longer depends on.
NOT_PROVIDED = {
    ("*", "six"): "Python 2 compatibility",
    ("*", "absolute_import"): "Python 2 compatibility (__future__)",
    ("*", "unicode_literals"): "Python 2 compatibility (__future__)",
    ("*", "print_function"): "Python 2 compatibility (__future__)",
    ("*", "urlparse"): "Python 2 compatibility (six.moves.urllib)",
    ("*", "pkg_resources"): "deprecated by setuptools; the version comes from importlib.metadata",
    ("cliquet.utils", "compat"): "psycopg2cffi is not a dependency (psycopg2 is)",
    ("cliquet.logs", "colorama"): "colorama is not a dependency",
    ("cliquet.storage.postgresql.pool", "Queue"): "SQLAlchemy's private queue",
}


def _names(kind=None):
    for entry in API["names"]:
        if kind is None or entry["kind"] == kind:
            yield entry


def _provided(entry) -> bool:
    return (("*", entry["name"]) not in NOT_PROVIDED
            and (entry["module"], entry["name"]) not in NOT_PROVIDED)


def _id(entry) -> str:
    return f"{entry['module']}.{entry['name']}"


@pytest.mark.parametrize("module_name", API["modules"])
def test_every_module_of_3_1_is_importable(module_name):
    importlib.import_module(module_name)


@pytest.mark.parametrize("entry", [e for e in _names() if _provided(e)], ids=_id)
def test_every_public_name_of_3_1_is_importable(entry):
    module = importlib.import_module(entry["module"])
    assert hasattr(module, entry["name"]), f"{_id(entry)} is missing"


@pytest.mark.parametrize("entry", list(_names("class")), ids=_id)
def test_classes_keep_their_public_members(entry):
    cls = getattr(importlib.import_module(entry["module"]), entry["name"])
    # Colander moves the schema nodes of a class body out of the class (3.1 too).
    nodes = {node.name for node in getattr(cls, "__all_schema_nodes__", ())}
    missing = [m["name"] for m in entry["members"]
               if not hasattr(cls, m["name"]) and m["name"] not in nodes]
    assert missing == []


def _reference_parameters(signature: str) -> ast.arguments:
    return ast.parse(f"def f({signature}): pass").body[0].args


def _incompatibilities(ours: inspect.Signature, signature: str, bound: bool) -> list[str]:
    """Calls valid for the 3.1 ``signature`` that ``ours`` would refuse (empty when none).

    ``bound``: ``ours`` is the signature of a bound method (no ``cls``).
    """
    reference = _reference_parameters(signature)
    positional = [a.arg for a in reference.posonlyargs + reference.args]
    if bound:
        positional = positional[1:]
    with_default = set(positional[len(positional) - len(reference.defaults):]) \
        if reference.defaults else set()
    params = list(ours.parameters.values())
    kinds = inspect.Parameter
    var_positional = any(p.kind == kinds.VAR_POSITIONAL for p in params)
    var_keyword = any(p.kind == kinds.VAR_KEYWORD for p in params)
    our_positional = [p for p in params if p.kind in (kinds.POSITIONAL_ONLY,
                                                      kinds.POSITIONAL_OR_KEYWORD)]
    by_name = {p.name: p for p in params}
    problems = []
    for index, name in enumerate(positional):
        if index < len(our_positional):
            if our_positional[index].name != name and not (var_keyword and var_positional):
                problems.append(f"parameter {index} is {our_positional[index].name!r}, "
                                f"not {name!r}")
            elif name in with_default and our_positional[index].default is kinds.empty:
                problems.append(f"{name!r} has no default")
        elif not var_positional:
            problems.append(f"{name!r} is not accepted")
    for kwonly in reference.kwonlyargs:
        if kwonly.arg not in by_name and not var_keyword:
            problems.append(f"{kwonly.arg!r} is not accepted")
    if reference.vararg and not var_positional:
        problems.append("*args are not accepted")
    if reference.kwarg and not var_keyword:
        problems.append("**kwargs are not accepted")
    accepted = set(positional) | {a.arg for a in reference.kwonlyargs}
    for p in params:
        if p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) and \
                p.name not in accepted and p.default is kinds.empty:
            problems.append(f"{p.name!r} is required")
    return problems


@pytest.mark.parametrize("entry", list(_names("function")), ids=_id)
def test_functions_accept_the_calls_of_3_1(entry):
    function = getattr(importlib.import_module(entry["module"]), entry["name"])
    ours = inspect.signature(function)
    assert _incompatibilities(ours, entry["signature"], bound=False) == []


def _methods():
    for entry in _names("class"):
        for member in entry["members"]:
            if member["kind"] == "method" and "property" not in member["decorators"]:
                yield pytest.param(entry, member, id=f"{_id(entry)}.{member['name']}")


@pytest.mark.parametrize("entry, member", list(_methods()))
def test_methods_accept_the_calls_of_3_1(entry, member):
    cls = getattr(importlib.import_module(entry["module"]), entry["name"])
    method = getattr(cls, member["name"])
    if member["name"] == "__init__" and method is object.__init__:
        pytest.fail(f"{_id(entry)} takes no arguments")
    # Through the class, a plain method still takes ``self``; classmethods and
    # staticmethods do not (3.1 methods may have become static: same calls;
    # the 3.1 signature of a staticmethod has no ``self`` to drop).
    bound = inspect.ismethod(method) or (
        isinstance(inspect.getattr_static(cls, member["name"]), staticmethod)
        and "staticmethod" not in member.get("decorators", ()))
    assert _incompatibilities(inspect.signature(method), member["signature"], bound) == []


def test_version_continues_the_3_x_series():
    import cliquet

    major, minor = cliquet.__version__.split(".")[:2]
    assert (int(major), int(minor)) >= (3, 2)
    assert int(major) == 3
