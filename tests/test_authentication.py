"""Authentication is pluggable from the settings alone."""
import base64

import transaction

from cliquet.utils import hmac_digest
from tests.support import MEMORY_SETTINGS, make_app

CUSTOM = dict(MEMORY_SETTINGS, **{
    "multiauth.policies": "token basicauth",
    "multiauth.policy.token.use": "tests.testapp.auth.TokenAuthenticationPolicy",
    "multiauth.policy.token.realm": "Games",
})


def basic(credentials: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_basicauth_user_id_is_hmac_of_credentials():
    app = make_app(dict(MEMORY_SETTINGS, userid_hmac_secret="secret"))
    user = app.get("/v1/", headers=basic("alice:pw")).json["user"]["id"]
    assert user == "basicauth:" + hmac_digest("secret", "alice:pw")
    other = app.get("/v1/", headers=basic("alice:other")).json["user"]["id"]
    assert other != user  # changing the password changes the user


def test_empty_password_is_allowed_but_empty_username_is_anonymous():
    app = make_app(MEMORY_SETTINGS)
    assert "user" in app.get("/v1/", headers=basic("alice:")).json
    assert "user" not in app.get("/v1/", headers=basic(":pw")).json


def test_non_utf8_and_huge_credentials_are_anonymous_or_users_never_500():
    app = make_app(MEMORY_SETTINGS)
    raw = base64.b64encode(b"\xff\xfe:\xff").decode()
    app.get("/v1/", headers={"Authorization": f"Basic {raw}"}, status=200)
    app.get("/v1/", headers=basic("a" * 100_000 + ":b"), status=200)


def test_custom_policy_plugged_by_dotted_name():
    app = make_app(CUSTOM)
    body = app.get("/v1/", headers={"Authorization": "Token alice"}).json
    assert body["user"] == {"id": "token:alice"}
    # The next policy of the list still works.
    body = app.get("/v1/", headers=basic("bob:pw")).json
    assert body["user"]["id"].startswith("basicauth:")


def test_challenges_of_every_policy_on_401():
    app = make_app(CUSTOM, scan="tests.testapp.views")
    response = app.get("/v1/private", status=401)
    challenges = response.headers.getall("WWW-Authenticate")
    assert 'Token realm="Games"' in challenges
    assert 'Basic realm="Realm"' in challenges
    app.get("/v1/private", headers={"Authorization": "Token alice"}, status=200)


def test_policies_from_environment(monkeypatch):
    monkeypatch.setenv("MULTIAUTH_POLICIES", "token")
    app = make_app(CUSTOM)
    assert "user" not in app.get("/v1/", headers=basic("bob:pw")).json
    assert app.get("/v1/", headers={"Authorization": "Token x"}).json["user"]["id"] == "token:x"


def test_identity_of_requests_and_groups_of_the_permission_backend(make_backend_app):
    settings = {key: value for key, value in CUSTOM.items() if key.startswith("multiauth")}
    app = make_backend_app(dict(settings, userid_hmac_secret="s"), scan="tests.testapp")
    with transaction.manager:
        app.app.registry.permission.initialize_schema()
        app.app.registry.permission.add_user_principal("token:alice", "group:players")
    token = app.get("/v1/whoami", headers={"Authorization": "Token alice"}).json
    assert token == {"authenticated_userid": "alice", "prefixed_userid": "token:alice",
                     "authn_type": "token",
                     "principals": ["alice", "group:players", "system.Authenticated",
                                    "system.Everyone"]}
    raw = hmac_digest("s", "bob:pw")
    basic_user = app.get("/v1/whoami", headers=basic("bob:pw")).json
    assert basic_user == {"authenticated_userid": raw, "prefixed_userid": f"basicauth:{raw}",
                          "authn_type": "basicauth",
                          "principals": sorted([raw, "system.Authenticated",
                                                "system.Everyone"])}
    assert app.get("/v1/whoami").json == {"authenticated_userid": None,
                                          "prefixed_userid": None, "authn_type": None,
                                          "principals": ["system.Everyone"]}


def test_custom_policy_users_hold_permissions(make_backend_app):
    settings = dict(CUSTOM, memo_create_principals="group:players")
    app = make_backend_app(settings, scan="tests.testapp")
    with transaction.manager:
        for kind in ("storage", "permission", "cache"):
            getattr(app.app.registry, kind).initialize_schema()
        app.app.registry.permission.add_user_principal("token:alice", "group:players")
    alice, bob = {"Authorization": "Token alice"}, {"Authorization": "Token bob"}
    body = app.post_json("/v1/memos", {"data": {}, "permissions": {"read": ["token:alice"]}},
                         headers=alice, status=201).json
    assert body["permissions"] == {"read": ["token:alice"], "write": ["token:alice"]}
    app.post_json("/v1/memos", {"data": {}}, headers=bob, status=403)
    app.get(f"/v1/memos/{body['data']['id']}", headers=alice, status=200)
    app.get(f"/v1/memos/{body['data']['id']}", headers=bob, status=403)
    record = app.post_json("/v1/todos", {"data": {"title": "t"}}, headers=alice).json["data"]
    assert app.app.registry.storage.get("todo", "token:alice", record["id"])["title"] == "t"


def test_basic_auth_callback_accepts_any_credentials_unless_checked():
    from pyramid.testing import DummyRequest

    from cliquet.authentication import BasicAuthAuthenticationPolicy

    request = DummyRequest(headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})  # alice:secret
    assert BasicAuthAuthenticationPolicy().callback("alice", request) == []
    checked = []

    def check(username, password, request):
        checked.append((username, password))
        return None  # refused

    assert BasicAuthAuthenticationPolicy(check=check).callback("alice", request) is None
    assert checked == [("alice", "secret")]
