"""View dispatch without an exception for each view that does not match.

Cornice registers one Pyramid view per method (and per content type) on each
route. Pyramid's ``MultiView`` calls them in turn, and each one whose
predicates fail raises a ``PredicateMismatch``, a 404 response built for
nothing: four of them before a record's GET view is reached. Once the
application is created, every multi-view checks a view's predicates before
calling it. The view chosen is the same; only the exceptions are saved.
"""
from pyramid.config.views import MultiView
from pyramid.events import ApplicationCreated
from pyramid.exceptions import PredicateMismatch
from pyramid.interfaces import IMultiView


class PredicateCheckingMultiView(MultiView):
    """A ``MultiView`` that skips the views whose predicates fail without calling them."""

    def __call__(self, context, request):
        for _, view, _ in self.get_views(request):
            predicated = getattr(view, "__predicated__", None)
            if predicated is not None and not predicated(context, request):
                continue
            try:
                return view(context, request)
            except PredicateMismatch:
                continue
        raise PredicateMismatch(self.name)


def _check_predicates_first(event) -> None:
    for registration in event.app.registry.registeredAdapters():
        view = registration.factory
        if registration.provided is IMultiView and type(view) is MultiView:
            view.__class__ = PredicateCheckingMultiView


def setup_multiviews(config) -> None:
    """Step ``cliquet.initialization.setup_multiviews``: multi-views check predicates first.

    Once the application is created, the class of each Pyramid ``MultiView``
    registered becomes :class:`PredicateCheckingMultiView`. Dropping the step
    from ``initialization_sequence`` keeps Pyramid's dispatch (same views chosen).
    """
    config.add_subscriber(_check_predicates_first, ApplicationCreated)
