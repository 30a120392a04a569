"""``request.accept`` parsed once per distinct ``Accept`` value.

Each request reads its ``Accept`` header three or four times: the ``accept``
predicates of Cornice's views, Pyramid's multi-view ordering, the renderer's
choice of content type. WebOb parses the header anew on every access, and the
offers on every ``acceptable_offers()`` call. Clients send few distinct
values: each one is parsed once per application, with the answers to the
offers asked, and shared by the requests sending it (the objects are never
modified).
"""
from webob.acceptparse import create_accept_header
from webob.request import BaseRequest

#: Distinct ``Accept`` values kept; the memo starts afresh beyond (hostile clients).
MAX_VALUES = 512


def accept_property() -> property:
    """A ``request.accept`` property memoizing parsed headers; settable as WebOb's."""
    parsed: dict = {}

    def accept(request):
        value = request.environ.get("HTTP_ACCEPT")
        header = parsed.get(value)
        if header is None:
            header = _memoizing(create_accept_header(value))
            if len(parsed) >= MAX_VALUES:
                parsed.clear()
            parsed[value] = header
        return header

    webob_accept = BaseRequest.accept
    return property(accept, webob_accept.fset, webob_accept.fdel, webob_accept.__doc__)


def _memoizing(header):
    """``header`` whose ``acceptable_offers()`` computes each answer once."""
    compute = header.acceptable_offers
    answers: dict = {}

    def acceptable_offers(offers):
        key = tuple(offers)
        answer = answers.get(key)
        if answer is None:
            answer = answers[key] = compute(key)
        return list(answer)

    header.acceptable_offers = acceptable_offers
    return header
