"""The code of the recipes (docs/recipes.rst), run by tests/test_docs.py."""
