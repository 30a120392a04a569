"""View dispatch without an exception for each view that does not match.

Cornice registers one Pyramid view per method (and per content type) on each
route. Pyramid's ``MultiView`` calls them in turn, and each one whose
predicates fail raises a ``PredicateMismatch``, a 404 response built for
nothing: four of them before a record's GET view is reached. Once the
application is created, every multi-view checks a view's predicates before
calling it, looks only at the views of the request's method, and checks the
predicates of the view it calls once. The view chosen is the same; only the
exceptions and the repeated checks are saved.
"""
from pyramid.config.views import MultiView
from pyramid.events import ApplicationCreated
from pyramid.exceptions import PredicateMismatch
from pyramid.interfaces import IMultiView
from pyramid.predicates import RequestMethodPredicate


class PredicateCheckingMultiView(MultiView):
    """A ``MultiView`` that skips the views whose predicates fail without calling them."""

    #: ``{(request method, Accept header): [(predicates, view)]}``: the views a
    #: request may get, in order, with the predicates left to check.
    _candidates: dict

    def __call__(self, context, request):
        key = (request.method, request.environ.get("HTTP_ACCEPT"))
        candidates = self._candidates.get(key)
        if candidates is None:
            if len(self._candidates) >= _MAX_CANDIDATE_LISTS:
                self._candidates.clear()
            candidates = self._candidates[key] = _candidates(
                self.get_views(request), request.method)
        for predicates, view in candidates:
            if predicates:
                for predicate in predicates:
                    if not predicate(context, request):
                        break
                else:
                    predicates = None
                if predicates is not None:
                    continue
            try:
                return view(context, request)
            except PredicateMismatch:
                continue
        raise PredicateMismatch(self.name)


# Distinct (method, Accept) pairs remembered per multi-view.
_MAX_CANDIDATE_LISTS = 256


def _candidates(views, method: str) -> list:
    """The views a request of ``method`` may get, with the predicates left to check.

    A view made by Pyramid's view derivers (``attr_view`` around
    ``predicate_wrapper``) is called below the predicate wrapper once its
    predicates passed; any other view with predicates is called as it is.
    """
    candidates = []
    for _, view, _ in views:
        predicates = getattr(view, "__predicates__", None)
        if predicates is None:
            predicated = getattr(view, "__predicated__", None)
            candidates.append(((), view if predicated is None else _checked(view)))
            continue
        if any(isinstance(p, RequestMethodPredicate) and method not in p.val
               for p in predicates):
            continue
        inner = _below_predicate_wrapper(view)
        if inner is None:
            candidates.append(((), _checked(view)))
        else:
            others = tuple(p for p in predicates if not isinstance(p, RequestMethodPredicate))
            candidates.append((others, inner))
    return candidates


def _below_predicate_wrapper(view):
    """What ``view`` calls once its predicates passed, when it is Pyramid's
    ``attr_view`` around its ``predicate_wrapper``; else ``None``."""
    wrapper = getattr(view, "__wraps__", None)
    if _code_name(view) != "attr_view" or _code_name(wrapper) != "predicate_wrapper":
        return None
    return getattr(wrapper, "__wraps__", None)


def _code_name(function) -> str | None:
    """The name a function was defined with (``__name__`` may have been changed)."""
    code = getattr(function, "__code__", None)
    return code.co_name if code is not None else None


def _checked(view):
    """``view`` called only when its ``__predicated__`` check passes."""
    predicated = view.__predicated__

    def checked(context, request):
        if not predicated(context, request):
            raise PredicateMismatch(getattr(view, "__name__", repr(view)))
        return view(context, request)

    return checked


def _check_predicates_first(event) -> None:
    for registration in event.app.registry.registeredAdapters():
        view = registration.factory
        if registration.provided is IMultiView and type(view) is MultiView:
            view.__class__ = PredicateCheckingMultiView
            view._candidates = {}


def setup_multiviews(config) -> None:
    """Step ``cliquet.initialization.setup_multiviews``: multi-views check predicates first.

    Once the application is created, the class of each Pyramid ``MultiView``
    registered becomes :class:`PredicateCheckingMultiView`, which remembers
    the views of each request method and ``Accept`` header (at most 256
    pairs per multi-view) and checks a view's predicates once. Dropping the step
    from ``initialization_sequence`` keeps Pyramid's dispatch (same views chosen).
    """
    config.add_subscriber(_check_predicates_first, ApplicationCreated)
