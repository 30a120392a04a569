"""The ``cliquet`` console script.

::

    cliquet --ini app.ini migrate [--dry-run]   create or upgrade the backends' schemas
    cliquet --ini app.ini init                  deprecated alias of migrate
    cliquet -v | --version
"""
import argparse
import configparser
import logging
import sys
import warnings

from pyramid.paster import bootstrap, setup_logging
from pyramid.settings import asbool

import cliquet
from cliquet._defaults import setting_or_default
from cliquet.sentry import raven_handler_error

# Names Cliquet 3.1 code imports from cliquet.scripts.cliquet.
import textwrap  # noqa: F401

from cliquet import __version__  # noqa: F401

# Backends migrated, in this order; the ones that write are skipped when readonly.
_BACKENDS = ("cache", "storage", "permission")
_WRITABLE_ONLY = ("storage", "permission")


def init_schema(env: dict, dry_run: bool = False) -> None:
    """Call ``initialize_schema`` on the configured backends of a bootstrapped app.

    In ``readonly`` mode, the storage and permission backends are skipped with
    a warning.

    :param env: the environment returned by :func:`pyramid.paster.bootstrap`.
    :param dry_run: only log the SQL that would run.
    """
    registry = env["registry"]
    readonly = asbool(setting_or_default(registry.settings, "readonly"))
    for name in _BACKENDS:
        backend = getattr(registry, name, None)
        if backend is None:
            continue
        if readonly and name in _WRITABLE_ONLY:
            warnings.warn(f"Cannot migrate the {name} backend while in readonly mode.")  # noqa: B028
            continue
        backend.initialize_schema(dry_run=dry_run)


def deprecated_init(env: dict, dry_run: bool = False) -> None:
    """``cliquet init``: :func:`init_schema`, with a ``DeprecationWarning``."""
    warnings.warn("`cliquet init` is deprecated, use `cliquet migrate` instead.",
                  DeprecationWarning, stacklevel=2)
    init_schema(env, dry_run=dry_run)


def _setup_logging(ini_file: str) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ini_file)
    raven_error = raven_handler_error(parser)
    if raven_error:
        raise SystemExit(f"{ini_file}: {raven_error}")
    if parser.has_section("loggers"):
        setup_logging(ini_file)
    else:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")


def main(args: list[str] | None = None) -> int:
    """Entry point of the ``cliquet`` console script."""
    parser = argparse.ArgumentParser(prog="cliquet", description="Cliquet commands")
    parser.add_argument("--ini", dest="ini_file", required=True,
                        help="the application configuration file")
    parser.add_argument("-v", "--version", action="version", version=cliquet.__version__)
    subcommands = parser.add_subparsers(dest="subcommand", required=True)
    for name, description in (("migrate", "create or upgrade the backends' schemas"),
                              ("init", "deprecated alias of migrate")):
        subparser = subcommands.add_parser(name, help=description)
        subparser.add_argument("--dry-run", action="store_true",
                               help="show the SQL that would run, change nothing")
    options = parser.parse_args(sys.argv[1:] if args is None else args)

    _setup_logging(options.ini_file)
    env = bootstrap(options.ini_file)
    command = deprecated_init if options.subcommand == "init" else init_schema
    try:
        command(env, dry_run=options.dry_run)
    finally:
        closer = env.get("closer")
        if closer is not None:
            closer()
    return 0


if __name__ == "__main__":  # pragma: no cover - `python -m cliquet.scripts.cliquet`
    sys.exit(main())
