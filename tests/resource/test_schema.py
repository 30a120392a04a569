"""Schema helpers of resources (PROTOCOL §6.6)."""
import colander
import pytest

from cliquet.resource import schema


@pytest.mark.parametrize("url", [
    "https://user:pass@myserver:9999/feeling.html#anchor",
    "http://localhost/",
    "ftp://files.example.org/a?b=c",
])
def test_url_accepts_absolute_urls(url):
    assert schema.URL().deserialize(f"  {url} ") == url


@pytest.mark.parametrize("url", [
    "myserver/feeling.html#anchor", "http://", "http://a:port/", "http://a b.org/",
    "http://x.org/" + "a" * 2048,
])
def test_url_rejects_what_is_not_an_absolute_url(url):
    with pytest.raises(colander.Invalid):
        schema.URL().deserialize(url)


def test_permissions_names_are_limited_by_known_perms():
    node = schema.PermissionsSchema()
    assert node.deserialize({"can_cook": ["mat"]}) == {"can_cook": ["mat"]}
    node.known_perms = ("can_sleep",)
    with pytest.raises(colander.Invalid):
        node.deserialize({"can_cook": ["mat"]})
    assert schema.PermissionsSchema(permissions=("read",)).known_perms == ("read",)


def test_old_schema_module_warns_with_the_3_1_message():
    from cliquet.schema import ResourceSchema

    with pytest.warns(DeprecationWarning, match=r"^cliquet\.schema is now deprecated\. Please use "
                                                r"`cliquet\.resource\.schema` instead$"):
        ResourceSchema()
