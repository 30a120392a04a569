"""Sphinx configuration of Cliquet's documentation."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "Cliquet"
author = "Cliquet contributors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
master_doc = "index"
exclude_patterns = ["_build"]
html_theme = "alabaster"
autodoc_member_order = "bysource"
nitpicky = False
autodoc_inherit_docstrings = False
