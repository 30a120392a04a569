"""Who may do what on shared records, through HTTP, on every permission backend (§3, §5.3).

Serves ``/memos`` (a ``ProtectedResource``, the deprecated alias of
``ShareableResource``) from ``tests.testapp.resources``.
"""
import pytest
import transaction

from cliquet.testing import get_user_headers

ALICE, BOB, CAROL = (get_user_headers(name) for name in ("alice", "bob", "carol"))
UNKNOWN_ID = "4d5a7d2c-5a2b-4e9d-9a6c-8d0c3f1e2b7a"


@pytest.fixture
def make_app(make_backend_app):
    """Apps serving ``/memos``, any authenticated user may create (unless overridden)."""

    def factory(**settings):
        settings = {"memo_create_principals": "system.Authenticated", **settings}
        app = make_backend_app(settings, scan="tests.testapp")
        with transaction.manager:
            for kind in ("storage", "permission", "cache"):
                getattr(app.app.registry, kind).initialize_schema()
        return app

    return factory


@pytest.fixture
def app(make_app):
    return make_app()


def user_id(app, headers) -> str:
    return app.get("/v1/", headers=headers).json["user"]["id"]


def create(app, headers=ALICE, permissions=None, **data) -> str:
    body = {"data": data, **({"permissions": permissions} if permissions else {})}
    return app.post_json("/v1/memos", body, headers=headers, status=201).json["data"]["id"]


def listed(app, headers=None, status=200) -> list:
    response = app.get("/v1/memos", headers=headers or {}, status=status)
    return sorted(r["id"] for r in response.json["data"]) if status == 200 else response


def backend_write(app, method, *args):
    """A write straight to the permission backend, committed (as an admin script would)."""
    with transaction.manager:
        getattr(app.app.registry.permission, method)(*args)


def test_protected_resource_serves_the_shareable_protocol(app):
    alice = user_id(app, ALICE)
    body = app.post_json("/v1/memos", {"data": {"title": "a"},
                                       "permissions": {"read": [alice]}}, headers=ALICE).json
    assert body["permissions"] == {"read": [alice], "write": [alice]}
    url = f"/v1/memos/{body['data']['id']}"
    assert app.get(url, headers=ALICE).json == body
    assert listed(app, ALICE) == [body["data"]["id"]]
    replaced = app.put_json(url, {"data": {"title": "b"}, "permissions": {"write": [alice]}},
                            headers=ALICE).json
    assert replaced["permissions"] == {"write": [alice]}  # PUT resets `read`
    app.get(url, headers=ALICE, status=403)
    app.patch_json(url, {"permissions": {"read": ["system.Everyone"]}}, headers=ALICE)
    assert app.get(url).json["data"]["title"] == "b"
    app.get(url, headers=BOB)
    app.patch_json(url, {"data": {"title": "c"}}, headers=BOB, status=403)
    app.patch_json(url, {"data": {"title": "c"}}, status=401)
    app.get(f"/v1/memos/{UNKNOWN_ID}", headers=BOB, status=403)
    app.delete(url, headers=ALICE)
    assert app.app.registry.permission.object_permissions(url[3:]) == {}


def test_groups_of_the_permission_backend_grant_their_permissions(app):
    bob = user_id(app, BOB)
    record = create(app, permissions={"read": ["group:readers"], "write": ["group:editors"]})
    url = f"/v1/memos/{record}"
    app.get(url, headers=BOB, status=403)
    listed(app, BOB, status=403)

    backend_write(app, "add_user_principal", bob, "group:readers")
    assert app.get(url, headers=BOB).json["data"]["id"] == record
    assert listed(app, BOB) == [record]
    app.patch_json(url, {"data": {"title": "x"}}, headers=BOB, status=403)

    backend_write(app, "add_user_principal", bob, "group:editors")
    app.patch_json(url, {"data": {"title": "x"}}, headers=BOB)
    listed(app, CAROL, status=403)  # a group of Bob's is not Carol's

    backend_write(app, "remove_principal", "group:readers")
    app.get(url, headers=BOB, status=403)
    app.delete(url, headers=BOB)


def test_groups_grant_the_create_permission(make_app):
    app = make_app(memo_create_principals="")
    app.post_json("/v1/memos", {"data": {}}, headers=BOB, status=403)
    backend_write(app, "add_principal_to_ace", "/memos", "memo:create", "group:authors")
    backend_write(app, "add_user_principal", user_id(app, BOB), "group:authors")
    app.post_json("/v1/memos", {"data": {}}, headers=BOB, status=201)
    app.post_json("/v1/memos", {"data": {}}, headers=CAROL, status=403)
    app.post_json("/v1/memos", {"data": {}}, status=401)


def test_special_principals_in_aces(app):
    public = create(app, permissions={"read": ["system.Everyone"]})
    members = create(app, permissions={"read": ["system.Authenticated"]})
    create(app)  # shared with nobody
    assert app.get(f"/v1/memos/{public}").status_code == 200
    app.get(f"/v1/memos/{members}", status=401)
    assert listed(app) == [public]
    assert listed(app, BOB) == sorted([public, members])


def test_legacy_principal_form_is_accepted(app):
    raw = user_id(app, BOB).split(":", 1)[1]
    record = create(app, permissions={"read": [f"basicauth_{raw}"]})
    app.get(f"/v1/memos/{record}", headers=BOB)
    app.get(f"/v1/memos/{record}", headers=CAROL, status=403)


def test_create_principals_setting(make_app):
    bob = user_id(make_app(), BOB)
    app = make_app(memo_create_principals=f"group:authors  {bob}")
    app.post_json("/v1/memos", {"data": {}}, headers=BOB, status=201)
    app.put_json(f"/v1/memos/{UNKNOWN_ID}", {"data": {}}, headers=BOB, status=201)
    app.post_json("/v1/memos", {"data": {}}, headers=ALICE, status=403)
    app.post_json("/v1/memos", {"data": {}}, status=401)
    backend_write(app, "add_user_principal", user_id(app, ALICE), "group:authors")
    app.post_json("/v1/memos", {"data": {}}, headers=ALICE, status=201)


def test_read_principals_setting(make_app):
    app = make_app(memo_read_principals="system.Everyone")
    first, second = create(app), create(app, headers=BOB)
    assert listed(app) == sorted([first, second])
    app.get(f"/v1/memos/{first}", status=200)
    app.get(f"/v1/memos/{UNKNOWN_ID}", status=404)
    app.patch_json(f"/v1/memos/{first}", {"data": {"title": "x"}}, status=401)
    app.delete("/v1/memos", status=401)
    app.delete(f"/v1/memos/{first}", headers=BOB, status=403)


def test_write_principals_setting_decides_alone(make_app):
    carol = user_id(make_app(), CAROL)
    app = make_app(memo_write_principals=f"{carol} group:admins")
    mine = create(app)  # Alice is given `write` on it, but the setting decides alone
    app.patch_json(f"/v1/memos/{mine}", {"data": {"title": "x"}}, headers=ALICE, status=403)
    app.patch_json(f"/v1/memos/{mine}", {"data": {"title": "x"}}, headers=CAROL)
    app.put_json(f"/v1/memos/{mine}", {"data": {"title": "y"}}, headers=CAROL)
    create(app, headers=BOB)
    # Denied by the setting, a collection DELETE still reaches the records on
    # which the user holds `write` in the backend (§3.4 step 6).
    assert [r["id"] for r in app.delete("/v1/memos", headers=ALICE).json["data"]] == [mine]
    create(app)
    backend_write(app, "add_user_principal", user_id(app, BOB), "group:admins")
    assert len(app.delete("/v1/memos", headers=BOB).json["data"]) == 2
    assert listed(app, CAROL, status=403).json["errno"] == 121


def test_write_does_not_imply_read_by_default(app):
    record = create(app)
    app.get(f"/v1/memos/{record}", headers=ALICE, status=403)
    listed(app, ALICE, status=403)


def test_bound_permissions_of_an_application_policy(make_app):
    app = make_app(**{"multiauth.authorization_policy":
                      "tests.testapp.auth.WriteImpliesReadPolicy"})
    mine = create(app, title="a")
    shared = create(app, headers=BOB, permissions={"write": [user_id(app, ALICE)]})
    create(app, headers=BOB)
    assert app.get(f"/v1/memos/{mine}", headers=ALICE).json["data"]["title"] == "a"
    assert listed(app, ALICE) == sorted([mine, shared])
    app.get(f"/v1/memos/{mine}", headers=BOB, status=403)
    # Bound permissions widen `read` only: `write` still needs `write`.
    app.patch_json(f"/v1/memos/{mine}", {"permissions": {"read": [user_id(app, CAROL)]}},
                   headers=ALICE)
    app.patch_json(f"/v1/memos/{mine}", {"data": {"title": "b"}}, headers=CAROL, status=403)
    app.get(f"/v1/memos/{mine}", headers=CAROL)
