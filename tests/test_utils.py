"""Helpers of cliquet.utils that applications written for Cliquet 3.1 use."""
import warnings

import pytest

from cliquet import utils


def test_subclassing_a_deprecated_class_warns():
    class Old(metaclass=utils.DeprecatedMeta):
        __deprecation_warning__ = "Old is deprecated, use New"

    class Plain(metaclass=utils.DeprecatedMeta):
        pass

    with pytest.warns(DeprecationWarning, match="Old is deprecated, use New"):
        class Derived(Old):
            pass

    with pytest.warns(DeprecationWarning, match="Plain is deprecated"):
        class OtherDerived(Plain):
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Derived()  # instances do not warn


def test_json_serializer_and_decode64_keep_the_3_1_parameter_names():
    assert utils.json_serializer(v={"a": "/"}) == '{"a":"/"}'
    assert utils.decode64(encoded_content=utils.encode64("é")) == "é"


def test_accepts_keyword_reads_signatures_of_functions_and_methods():
    from cliquet.utils import accepts_keyword

    class Backend31:
        def get_all(self, collection_id, parent_id, filters=None, auth=None):
            """Cliquet 3.1's signature: no ``count``."""

    class Lenient:
        def get_all(self, *args, **kwargs):
            """Takes anything."""

    assert not accepts_keyword(Backend31().get_all, "count")
    assert accepts_keyword(Backend31().get_all, "auth")
    assert accepts_keyword(Lenient().get_all, "count")
    assert not accepts_keyword(len, "count")
