"""ViewSets: how a resource class becomes Cornice services.

See docs/resources.rst, "Registration and viewsets".

A viewset holds the paths, methods and Cornice arguments of the two
endpoints of a resource. Any attribute can be overridden at registration
(``register(collection_methods=('GET',))``).

As in Cliquet 3.1, the ``schema`` of a view is the request body: ``data``
(the resource mapping) and, for shareable resources, ``permissions``. Cornice
6 only validates a schema through an explicit validator: it is checked by
:func:`validate_request`, which reports errors exactly as Cliquet 3.1 did.
"""
import functools
from typing import Any

import colander
from pyramid.settings import asbool

from cliquet import authorization
from cliquet._defaults import setting_or_default
from cliquet._validation import json_body, timestamp_problem
from cliquet.resource.schema import PermissionsSchema
from cliquet.utils import DeprecatedMeta, json  # noqa: F401  (DeprecatedMeta: a 3.1 name)

__all__ = ["CONTENT_TYPES", "ViewSet", "ShareableViewSet", "ProtectedViewSet",
           "validate_request"]

CONTENT_TYPES = ["application/json"]

#: Where :func:`validate_request` stores the raw JSON body (``request.info``).
RAW_BODY_KEY = "cliquet.raw_body"


class _Payload(colander.MappingSchema):
    """Request body ``{data, permissions}``; unknown keys are rejected.

    ``optional_empty`` names the children that default to an empty object;
    ``timestamp_field`` the record field of a client timestamp that the
    resource keeps (``None``: dropped by the schema, not checked).
    """

    optional_empty: tuple[str, ...] = ()
    timestamp_field: str | None = None


def _validate_timestamp(request, node, validated: dict) -> None:
    """A client ``last_modified`` the resource keeps is a timestamp the protocol
    can store and render (``_validation.timestamp_problem``)."""
    field = getattr(node, "timestamp_field", None)
    data = validated.get("data")
    if field is None or not isinstance(data, dict) or field not in data:
        return
    problem = timestamp_problem(data[field])
    if problem is not None:
        request.errors.add("body", f"data.{field}", problem)


def _validate_payload(request, node, payload: dict) -> dict:
    errors = request.errors
    optional_empty = getattr(node, "optional_empty", ())
    children = {child.name: child for child in node.children}
    for key in payload:
        if key not in children:
            errors.add("body", key, f"{key} is not allowed")
    validated = {}
    for name, child in children.items():
        if name not in payload:
            if name in optional_empty:
                value = {}
            elif child.required:
                errors.add("body", name, f"{name} is missing")
                continue
            else:
                continue
        else:
            value = payload[name]
        try:
            validated[name] = child.deserialize(value)
        except colander.Invalid as invalid:
            for field, message in invalid.asdict().items():
                errors.add("body", field, message)
    return validated


def validate_request(request, schema=None, **kwargs):
    """Cornice validator of POST/PUT/PATCH (docs/protocol.rst, "Records", "Errors").

    ``schema`` is the request body. Errors: ``Invalid JSON request body: ...``,
    ``<key> is not allowed`` (unknown payload keys and any querystring
    parameter), ``<name> is missing`` and the Colander messages under dotted
    names (``data.title``). The validated payload keys land in
    ``request.validated``; the raw JSON body is kept in ``request.info``
    (:data:`RAW_BODY_KEY`).
    """
    if schema is None:
        return
    payload = json_body(request, loads=json.loads, object_only=True)
    request.info[RAW_BODY_KEY] = payload
    validated = _validate_payload(request, schema, payload)
    _validate_timestamp(request, schema, validated)
    request.validated.update(validated)
    for name in dict.fromkeys(request.GET):
        request.errors.add("querystring", name, f"{name} is not allowed")


def require_body(request, **kwargs):
    """Validator: an empty body is rejected (shareable PATCH)."""
    if not request.body:
        request.errors.add("body", "data", "Provide at least one of data or permissions")


def _keeps_field(mapping, field: str) -> bool:
    """Whether records validated by ``mapping`` keep a client ``field``."""
    if any(child.name == field for child in mapping.children):
        return True
    return getattr(getattr(mapping, "typ", None), "unknown", None) == "preserve"


def _accepts_empty(mapping) -> bool:
    try:
        mapping.deserialize({})
    except colander.Invalid:
        return False
    return True


class ViewSet:
    """Paths, methods and Cornice arguments of a resource's two endpoints.

    :param kwargs: any attribute to override, e.g. ``collection_path``,
        ``record_path``, ``collection_methods``, ``record_methods``,
        ``default_arguments``, ``service_arguments``...
    """

    service_name = "{resource_name}-{endpoint_type}"
    collection_path = "/{resource_name}s"
    record_path = "/{resource_name}s/{{id}}"

    collection_methods = ("GET", "POST", "DELETE")
    record_methods = ("GET", "PUT", "PATCH", "DELETE")
    validate_schema_for = ("POST", "PUT", "PATCH")
    readonly_methods = ("GET", "OPTIONS", "HEAD")

    service_arguments = {"description": "Collection of {resource_name}"}

    default_arguments = {"permission": "private", "accept": CONTENT_TYPES}
    default_post_arguments = {"content_type": CONTENT_TYPES}
    default_put_arguments = {"content_type": CONTENT_TYPES}
    default_patch_arguments = {"content_type": CONTENT_TYPES}
    default_collection_arguments: dict[str, Any] = {}
    default_record_arguments: dict[str, Any] = {}
    collection_get_arguments = {
        "cors_headers": ("Next-Page", "Total-Records", "Last-Modified", "ETag",
                         "Cache-Control", "Expires", "Pragma"),
    }
    record_get_arguments = {
        "cors_headers": ("Last-Modified", "ETag", "Cache-Control", "Expires", "Pragma"),
    }

    def __init__(self, **kwargs):
        self.update(**kwargs)
        self.record_arguments = functools.partial(self.get_view_arguments, "record")
        self.collection_arguments = functools.partial(self.get_view_arguments, "collection")

    def update(self, **kwargs) -> None:
        """Override attributes."""
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _validates(self, method: str) -> bool:
        return method.upper() in {m.upper() for m in self.validate_schema_for}

    def get_view_arguments(self, endpoint_type: str, resource_cls, method: str) -> dict:
        """Cornice arguments of a view, from the least to the most specific.

        ``default_arguments``, ``default_<endpoint_type>_arguments``,
        ``default_<method>_arguments``, ``<endpoint_type>_<method>_arguments``;
        plus the ``schema`` of :meth:`get_record_schema`, and ``validators``
        for the methods that validate their payload.
        """
        method = method.lower()
        args = dict(self.default_arguments)
        for attribute in (f"default_{endpoint_type}_arguments", f"default_{method}_arguments",
                          f"{endpoint_type}_{method}_arguments"):
            args.update(getattr(self, attribute, {}))
        args["schema"] = self.get_record_schema(resource_cls, method)
        if self._validates(method):
            args["validators"] = list(args.get("validators", ())) + self.get_validators(method)
        return args

    def get_validators(self, method: str) -> list:
        """Validators of a method validating its payload."""
        return [validate_request]

    def get_record_schema(self, resource_cls, method: str) -> colander.SchemaNode:
        """Request body schema of ``method``.

        Methods not validated get a mapping schema that Cliquet does not use
        (views without validators are registered without schema).

        Its ``data`` is the resource mapping (any object for PATCH, whose
        changes are validated once merged into the record).
        """
        method = method.lower()
        if not self._validates(method):
            return colander.MappingSchema(unknown="preserve")
        payload = _Payload()
        model = getattr(resource_cls, "default_model", None)
        payload.timestamp_field = getattr(model, "modified_field", "last_modified")
        if method == "patch":
            payload.add(colander.SchemaNode(colander.Mapping(unknown="preserve"), name="data"))
            if not _keeps_field(resource_cls.mapping, payload.timestamp_field):
                payload.timestamp_field = None  # dropped once merged into the record
        else:
            record_mapping = resource_cls.mapping
            record_mapping.name = "data"
            payload.add(record_mapping)
            if _accepts_empty(record_mapping):
                payload.optional_empty = ("data",)
        return payload

    def get_view(self, endpoint_type: str, method: str) -> str:
        """Name of the resource method serving ``method`` on ``endpoint_type``."""
        if endpoint_type == "record":
            return method.lower()
        return f"collection_{method.lower()}"

    def get_name(self, resource_cls) -> str:
        """Registered name: ``name`` argument, non-callable class ``name``, class name."""
        name = getattr(self, "name", None)
        if name:
            return name
        name = getattr(resource_cls, "name", None)
        if name and not callable(name):
            return name
        return resource_cls.__name__.lower()

    def get_service_name(self, endpoint_type: str, resource_cls) -> str:
        """``<resource_name>-<endpoint_type>``."""
        return self.service_name.format(resource_name=self.get_name(resource_cls),
                                        endpoint_type=endpoint_type)

    def get_service_arguments(self) -> dict:
        """Cornice arguments of both services (a copy)."""
        return dict(self.service_arguments)

    def is_endpoint_enabled(self, endpoint_type: str, resource_name: str, method: str,
                            settings) -> bool:
        """``readonly`` keeps the read methods only; ``<type>_<name>_<method>_enabled``."""
        if asbool(setting_or_default(settings, "readonly")):
            readonly = {m.lower() for m in self.readonly_methods}
            if method.lower() not in readonly:
                return False
        setting = f"{endpoint_type}_{resource_name}_{method.lower()}_enabled"
        return asbool(settings.get(setting, True))


class ShareableViewSet(ViewSet):
    """Viewset of shareable resources: dynamic permissions and ``permissions`` payloads."""

    def get_view_arguments(self, endpoint_type, resource_cls, method):
        args = super().get_view_arguments(endpoint_type, resource_cls, method)
        args["permission"] = "dynamic"
        return args

    def get_validators(self, method):
        validators = super().get_validators(method)
        if method.lower() == "patch":
            validators.insert(0, require_body)
        return validators

    def get_record_schema(self, resource_cls, method):
        schema = super().get_record_schema(resource_cls, method)
        method = method.lower()
        if not self._validates(method):
            return schema
        if method == "patch":
            schema["data"].missing = colander.drop
        schema.add(PermissionsSchema(name="permissions", missing=colander.drop,
                                     permissions=resource_cls.permissions))
        return schema

    def get_service_arguments(self):
        args = super().get_service_arguments()
        args["factory"] = authorization.RouteFactory
        return args


class ProtectedViewSet(ShareableViewSet):
    """Deprecated alias of :class:`ShareableViewSet`."""

    def __init__(self, *args, **kwargs):
        from cliquet.resource.model import _warn_deprecated

        _warn_deprecated("ProtectedViewSet", "ShareableViewSet")
        super().__init__(*args, **kwargs)
