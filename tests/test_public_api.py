"""Names that applications written for Cliquet 3.1 import must stay importable."""
import importlib

import pytest

PUBLIC_NAMES = {
    "cliquet": [
        "__version__", "PROTOCOL_VERSION", "DEFAULT_SETTINGS", "initialize",
        "initialize_cliquet", "includeme", "install_middlewares", "load_default_settings",
        "Service", "follow_subrequest", "current_service", "current_resource_name", "logger",
    ],
    "cliquet.initialization": [
        "setup_request_bound_data", "setup_json_serializer", "setup_logging",
        "setup_storage", "setup_permission", "setup_cache", "setup_requests_scheme",
        "setup_vary_headers", "setup_version_redirection", "setup_deprecation",
        "setup_authentication", "setup_backoff", "setup_statsd", "setup_listeners",
        "initialize", "load_default_settings", "install_middlewares",
    ],
    "cliquet.authentication": ["prefixed_userid", "BasicAuthAuthenticationPolicy"],
    "cliquet.authorization": ["groupfinder", "AuthorizationPolicy", "DYNAMIC", "PRIVATE"],
    "cliquet.errors": ["ERRORS", "http_error", "json_error_handler", "raise_invalid",
                       "send_alert"],
    "cliquet.events": ["ACTIONS", "ResourceRead", "ResourceChanged", "AfterResourceRead",
                       "AfterResourceChanged", "setup_transaction_hook"],
    "cliquet.listeners": ["ListenerBase"],
    "cliquet.listeners.redis": ["Listener", "load_from_config"],
    "cliquet.logs": ["logger", "ClassicLogRenderer", "MozillaHekaRenderer"],
    "cliquet.statsd": ["Client", "statsd_count", "load_from_config"],
    "cliquet.utils": [
        "msec_time", "classname", "strip_whitespace", "merge_dicts", "random_bytes_hex",
        "native_value", "read_env", "encode64", "decode64", "hmac_digest", "dict_subset",
        "COMPARISON", "reapply_cors", "current_service", "current_resource_name",
        "follow_subrequest", "encode_header", "decode_header", "strip_uri_prefix",
        "json", "json_serializer",
    ],
    "cliquet.storage": ["StorageBase", "Filter", "Sort", "heartbeat", "DEFAULT_ID_FIELD",
                        "DEFAULT_MODIFIED_FIELD", "DEFAULT_DELETED_FIELD"],
    "cliquet.storage.exceptions": ["BackendError", "RecordNotFoundError", "IntegrityError",
                                   "UnicityError"],
    "cliquet.storage.generators": ["Generator", "UUID4"],
    "cliquet.storage.memory": ["MemoryBasedStorage", "Storage", "load_from_config"],
    "cliquet.storage.redis": ["Storage", "create_from_config", "wrap_redis_error",
                              "load_from_config"],
    "cliquet.storage.postgresql": ["Storage", "load_from_config"],
    "cliquet.cache": ["CacheBase", "heartbeat"],
    "cliquet.cache.memory": ["Cache", "load_from_config"],
    "cliquet.cache.redis": ["Cache", "load_from_config"],
    "cliquet.cache.postgresql": ["Cache", "load_from_config"],
    "cliquet.permission": ["PermissionBase", "heartbeat"],
    "cliquet.permission.memory": ["Permission", "load_from_config"],
    "cliquet.permission.redis": ["Permission", "load_from_config"],
    "cliquet.permission.postgresql": ["Permission", "load_from_config"],
    "cliquet.scripts.cliquet": ["main"],
    "cliquet.testing": [
        "BaseWebTest", "get_user_headers", "DummyRequest", "get_request_class",
        "FormattedErrorMixin", "authorize", "AllowAuthorizationPolicy", "ThreadMixin",
        "skip_if_no_postgresql", "USER_PRINCIPAL", "StorageTest", "CacheTest",
        "PermissionTest",
    ],
    "cliquet.tests.support": [
        "BaseWebTest", "get_user_headers", "DummyRequest", "get_request_class",
        "FormattedErrorMixin", "authorize", "AllowAuthorizationPolicy", "ThreadMixin",
        "skip_if_no_postgresql", "USER_PRINCIPAL",
    ],
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC_NAMES))
def test_public_names_are_importable(module_name):
    module = importlib.import_module(module_name)
    missing = [name for name in PUBLIC_NAMES[module_name] if not hasattr(module, name)]
    assert missing == []


def test_version_continues_the_3_x_series():
    import cliquet

    major, minor = cliquet.__version__.split(".")[:2]
    assert (int(major), int(minor)) >= (3, 2)
    assert int(major) == 3


def test_errno_table():
    from cliquet.errors import ERRORS

    assert {e.name: e.value for e in ERRORS} == {
        "MISSING_AUTH_TOKEN": 104, "INVALID_AUTH_TOKEN": 105, "BADJSON": 106,
        "INVALID_PARAMETERS": 107, "MISSING_PARAMETERS": 108, "INVALID_POSTED_DATA": 109,
        "INVALID_RESOURCE_ID": 110, "MISSING_RESOURCE": 111, "MISSING_CONTENT_LENGTH": 112,
        "REQUEST_TOO_LARGE": 113, "MODIFIED_MEANWHILE": 114, "METHOD_NOT_ALLOWED": 115,
        "VERSION_NOT_AVAILABLE": 116, "CLIENT_REACHED_CAPACITY": 117, "FORBIDDEN": 121,
        "CONSTRAINT_VIOLATED": 122, "BACKEND": 201, "SERVICE_DEPRECATED": 202,
        "UNDEFINED": 999,
    }
