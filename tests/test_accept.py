"""``request.accept``: parsed once per distinct value, answering as WebOb's."""
import pytest
from pyramid.request import Request
from webob.acceptparse import create_accept_header

from cliquet import _accept

OFFERS = ["application/json", "text/plain"]


class MemoRequest(Request):
    accept = _accept.accept_property()


@pytest.mark.parametrize("value", [None, "*/*", "text/html", "application/json; q=0.9, */*;q=0.1",
                                   "text/*", "invalid;;;", ""])
def test_answers_as_webob(value):
    headers = {} if value is None else {"Accept": value}
    request = MemoRequest.blank("/", headers=headers)
    expected = create_accept_header(value).acceptable_offers(OFFERS)
    assert request.accept.acceptable_offers(OFFERS) == expected
    assert MemoRequest.blank("/", headers=headers).accept.acceptable_offers(OFFERS) == expected


def test_a_value_is_parsed_once_and_its_answers_are_copies():
    first = MemoRequest.blank("/", headers={"Accept": "text/plain"})
    second = MemoRequest.blank("/", headers={"Accept": "text/plain"})
    assert first.accept is second.accept
    answer = first.accept.acceptable_offers(OFFERS)
    answer.clear()
    assert second.accept.acceptable_offers(OFFERS) == [("text/plain", 1.0)]


def test_settable_as_webob():
    request = MemoRequest.blank("/", headers={"Accept": "text/plain"})
    request.accept = "application/json"
    assert request.environ["HTTP_ACCEPT"] == "application/json"
    assert request.accept.acceptable_offers(OFFERS) == [("application/json", 1.0)]


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(_accept, "MAX_VALUES", 3)

    class Small(Request):
        accept = _accept.accept_property()

    first = Small.blank("/", headers={"Accept": "text/a"}).accept
    for n in range(5):
        Small.blank("/", headers={"Accept": f"text/{n}"}).accept  # noqa: B018
    assert Small.blank("/", headers={"Accept": "text/a"}).accept is not first
