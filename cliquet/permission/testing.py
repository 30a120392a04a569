"""Conformance suite every permission backend passes.

A backend's test is a few lines::

    class TestMyPermission(PermissionTest):
        backend = mypackage.permission
        settings = {"permission_url": "..."}

``backend`` is a module exposing ``load_from_config(config)``; ``settings``
override Cliquet's defaults. The suite is a plain class, so pytest collects it
only through such a subclass.
"""
from typing import Any

from pyramid import testing

from cliquet._defaults import DEFAULT_SETTINGS
from cliquet.permission import PermissionBase, heartbeat

COLLECTIONS = "/buckets/b1/collections/*"


def get_bound_permissions(object_id, permission):
    """``write`` implies ``read``, and the bucket's ``write`` grants everything."""
    pairs = [(object_id, permission), ("/buckets/b1", "write")]
    if permission == "read":
        pairs.append((object_id, "write"))
    return pairs


class PermissionTest:
    backend: Any = None  # the backend module under test
    settings: dict = {}

    def setup_method(self, method):
        self.config = testing.setUp(settings={**DEFAULT_SETTINGS, **self.settings})
        self.permission = self.backend.load_from_config(self.config)
        self.permission.initialize_schema()
        self.permission.flush()

    def teardown_method(self, method):
        self.permission.flush()
        testing.tearDown()
        del self.permission, self.config  # pytest keeps test instances: free the connections

    def ping(self, readonly=False):
        self.config.registry.settings["readonly"] = readonly
        request = testing.DummyRequest()
        request.registry = self.config.registry
        return heartbeat(self.permission)(request)

    def grant(self, object_id, permission, *principals):
        for principal in principals:
            self.permission.add_principal_to_ace(object_id, permission, principal)

    def test_backend_is_a_permission_backend(self):
        assert isinstance(self.permission, PermissionBase)

    def test_initialize_schema_is_idempotent(self):
        self.permission.initialize_schema()
        self.permission.initialize_schema(dry_run=True)
        self.grant("/a", "read", "alice")
        assert self.permission.object_permission_principals("/a", "read") == {"alice"}

    def test_heartbeat_succeeds_and_leaves_no_trace(self):
        assert self.ping() is True
        assert self.permission.user_principals("__heartbeat__") == set()

    def test_heartbeat_only_reads_in_readonly_mode(self):
        assert self.ping(readonly=True) is True

    # User principals.

    def test_user_principals_is_empty_for_unknown_users(self):
        assert self.permission.user_principals("alice") == set()

    def test_add_user_principal_is_idempotent(self):
        self.permission.add_user_principal("alice", "group:admins")
        self.permission.add_user_principal("alice", "group:admins")
        self.permission.add_user_principal("alice", "group:ops")
        assert self.permission.user_principals("alice") == {"group:admins", "group:ops"}

    def test_remove_user_principal(self):
        self.permission.add_user_principal("alice", "group:admins")
        self.permission.add_user_principal("alice", "group:ops")
        self.permission.remove_user_principal("alice", "group:admins")
        assert self.permission.user_principals("alice") == {"group:ops"}
        self.permission.remove_user_principal("alice", "group:ops")
        assert self.permission.user_principals("alice") == set()

    def test_remove_user_principal_ignores_unknown_ones(self):
        self.permission.remove_user_principal("alice", "group:admins")
        assert self.permission.user_principals("alice") == set()

    def test_remove_principal_removes_it_from_every_user_only(self):
        self.permission.add_user_principal("alice", "group:admins")
        self.permission.add_user_principal("alice", "group:ops")
        self.permission.add_user_principal("bob", "group:admins")
        self.grant("/a", "read", "group:admins")
        self.permission.remove_principal("group:admins")
        assert self.permission.user_principals("alice") == {"group:ops"}
        assert self.permission.user_principals("bob") == set()
        assert self.permission.object_permission_principals("/a", "read") == {"group:admins"}

    # ACEs.

    def test_object_permission_principals_is_empty_for_unknown_aces(self):
        assert self.permission.object_permission_principals("/a", "read") == set()

    def test_add_principal_to_ace(self):
        self.grant("/a", "read", "alice", "bob", "alice")
        self.grant("/a", "write", "carol")
        self.grant("/b", "read", "dave")
        assert self.permission.object_permission_principals("/a", "read") == {"alice", "bob"}
        assert self.permission.object_permission_principals("/a", "write") == {"carol"}

    def test_remove_principal_from_ace(self):
        self.grant("/a", "read", "alice", "bob")
        self.grant("/a", "write", "alice")
        self.permission.remove_principal_from_ace("/a", "read", "alice")
        self.permission.remove_principal_from_ace("/a", "read", "unknown")
        self.permission.remove_principal_from_ace("/unknown", "read", "alice")
        assert self.permission.object_permission_principals("/a", "read") == {"bob"}
        assert self.permission.object_permission_principals("/a", "write") == {"alice"}

    def test_removing_the_last_principal_removes_the_permission(self):
        self.grant("/a", "read", "alice")
        self.permission.remove_principal_from_ace("/a", "read", "alice")
        assert self.permission.object_permissions("/a") == {}

    def test_object_ids_may_contain_colons(self):
        self.grant("/a", "read", "alice")
        self.grant("/a:b", "read", "bob")
        self.grant("/a:write", "read", "carol")
        assert self.permission.object_permissions("/a") == {"read": {"alice"}}
        self.permission.delete_object_permissions("/a")
        assert self.permission.object_permissions("/a:b") == {"read": {"bob"}}
        assert self.permission.object_permissions("/a:write") == {"read": {"carol"}}

    def test_permission_names_may_contain_colons(self):
        self.grant("/a", "record:create", "alice")
        self.grant("/a:b", "read", "bob")
        assert self.permission.object_permissions("/a") == {"record:create": {"alice"}}
        assert self.permission.principals_accessible_objects(["alice"], "record:create") == {
            "/a"}
        self.permission.replace_object_permissions("/a", {"obj:del": ["carol"]})
        assert self.permission.object_permissions("/a") == {
            "record:create": {"alice"}, "obj:del": {"carol"}}
        self.permission.delete_object_permissions("/a")
        assert self.permission.object_permissions("/a") == {}
        assert self.permission.object_permissions("/a:b") == {"read": {"bob"}}

    # Authorized principals and checks.

    def test_authorized_principals_without_bound_permissions(self):
        self.grant("/a", "read", "alice")
        self.grant("/a", "write", "bob")
        authorized = self.permission.object_permission_authorized_principals("/a", "read")
        assert authorized == {"alice"}

    def test_authorized_principals_union_every_bound_permission(self):
        record = "/buckets/b1/collections/c1"
        self.grant(record, "read", "alice")
        self.grant(record, "write", "bob")
        self.grant("/buckets/b1", "write", "carol")
        self.grant("/buckets/b1", "read", "dave")
        authorized = self.permission.object_permission_authorized_principals(
            record, "read", get_bound_permissions
        )
        assert authorized == {"alice", "bob", "carol"}

    def test_authorized_principals_with_no_bound_permission_is_empty(self):
        self.grant("/a", "read", "alice")
        authorized = self.permission.object_permission_authorized_principals(
            "/a", "read", lambda object_id, permission: []
        )
        assert authorized == set()

    def test_check_permission(self):
        self.grant("/a", "read", "alice")
        assert self.permission.check_permission("/a", "read", {"alice", "bob"})
        assert self.permission.check_permission("/a", "read", ["alice"])
        assert not self.permission.check_permission("/a", "read", {"bob"})
        assert not self.permission.check_permission("/a", "write", {"alice"})
        assert not self.permission.check_permission("/a", "read", set())

    def test_check_permission_follows_bound_permissions(self):
        self.grant("/buckets/b1", "write", "carol")
        assert self.permission.check_permission(
            "/buckets/b1/collections/c1", "read", {"carol"}, get_bound_permissions
        )
        assert not self.permission.check_permission(
            "/buckets/b1/collections/c1", "read", {"carol"}
        )

    # Accessible objects.

    def test_accessible_objects_default_to_every_object(self):
        self.grant("/a", "read", "alice")
        self.grant("/b/c", "read", "group:x")
        self.grant("/d", "read", "bob")
        self.grant("/e", "write", "alice")
        accessible = self.permission.principals_accessible_objects({"alice", "group:x"}, "read")
        assert accessible == {"/a", "/b/c"}

    def test_accessible_objects_match_the_whole_pattern(self):
        self.grant("/buckets/b1/collections/c1", "read", "alice")
        self.grant("/buckets/b1/collections/c2", "read", "alice")
        self.grant("/buckets/b1/collections/c1/records/r1", "read", "alice")
        self.grant("/buckets/b2/collections/c3", "read", "alice")
        self.grant("/buckets/b1", "read", "alice")
        accessible = self.permission.principals_accessible_objects(
            ["alice"], "read", object_id_match="/buckets/*/collections/*"
        )
        assert accessible == {
            "/buckets/b1/collections/c1",
            "/buckets/b1/collections/c2",
            "/buckets/b1/collections/c1/records/r1",
            "/buckets/b2/collections/c3",
        }
        exact = self.permission.principals_accessible_objects(
            ["alice"], "read", object_id_match="/buckets/b1/collections/c1"
        )
        assert exact == {"/buckets/b1/collections/c1"}

    def test_accessible_objects_patterns_have_no_other_special_character(self):
        for object_id in ("/a.b", "/axb", "/a%b", "/a_b", "/a[b]", "/a?b", "/a\\b"):
            self.grant(object_id, "read", "alice")
        for pattern in ("/a.b", "/a%b", "/a_b", "/a[b]", "/a?b", "/a\\b"):
            accessible = self.permission.principals_accessible_objects(
                ["alice"], "read", object_id_match=pattern
            )
            assert accessible == {pattern}

    def test_accessible_objects_without_principals_is_empty(self):
        self.grant("/a", "read", "alice")
        assert self.permission.principals_accessible_objects([], "read") == set()

    def test_accessible_objects_follow_bound_permissions_ending_with_the_pattern(self):
        self.grant("/buckets/b1/collections/c1", "read", "alice")
        self.grant("/buckets/b1/collections/c2", "write", "alice")
        self.grant("/buckets/b1/collections/c3", "create", "alice")
        self.grant("/buckets/b1", "write", "alice")  # a parent: not an object of the pattern
        accessible = self.permission.principals_accessible_objects(
            ["alice"], "read", COLLECTIONS, get_bound_permissions
        )
        assert accessible == {"/buckets/b1/collections/c1", "/buckets/b1/collections/c2"}

    # Object permissions.

    def test_object_permissions_lists_every_permission(self):
        self.grant("/a", "read", "alice", "bob")
        self.grant("/a", "write", "alice")
        self.grant("/ab", "write", "carol")
        assert self.permission.object_permissions("/a") == {
            "read": {"alice", "bob"},
            "write": {"alice"},
        }

    def test_object_permissions_can_be_restricted(self):
        self.grant("/a", "read", "alice")
        self.grant("/a", "write", "bob")
        assert self.permission.object_permissions("/a", ["write", "create"]) == {"write": {"bob"}}
        assert self.permission.object_permissions("/a", []) == {}

    def test_object_permissions_of_unknown_objects_is_empty(self):
        assert self.permission.object_permissions("/unknown") == {}

    def test_replace_object_permissions(self):
        self.grant("/a", "read", "alice", "bob")
        self.grant("/a", "write", "alice")
        self.grant("/a", "create", "carol")
        self.grant("/b", "read", "dave")
        self.permission.replace_object_permissions(
            "/a", {"read": ["bob", "erin"], "write": [], "delete": ["frank"]}
        )
        assert self.permission.object_permissions("/a") == {
            "read": {"bob", "erin"},
            "create": {"carol"},
            "delete": {"frank"},
        }
        assert self.permission.object_permissions("/b") == {"read": {"dave"}}

    def test_replace_object_permissions_of_a_new_object(self):
        self.permission.replace_object_permissions("/a", {"read": ("alice", "alice")})
        assert self.permission.object_permissions("/a") == {"read": {"alice"}}

    def test_replace_object_permissions_with_nothing_changes_nothing(self):
        self.grant("/a", "read", "alice")
        self.permission.replace_object_permissions("/a", {})
        assert self.permission.object_permissions("/a") == {"read": {"alice"}}

    def test_delete_object_permissions(self):
        self.grant("/a", "read", "alice")
        self.grant("/a", "write", "alice")
        self.grant("/a/b", "read", "bob")
        self.grant("/c", "read", "carol")
        self.grant("/d", "read", "dave")
        self.permission.delete_object_permissions("/a", "/c", "/unknown")
        self.permission.delete_object_permissions()
        assert self.permission.object_permissions("/a") == {}
        assert self.permission.object_permissions("/c") == {}
        assert self.permission.object_permissions("/a/b") == {"read": {"bob"}}
        assert self.permission.object_permissions("/d") == {"read": {"dave"}}

    def test_flush_removes_everything(self):
        self.permission.add_user_principal("alice", "group:admins")
        self.grant("/a", "read", "alice")
        self.permission.flush()
        assert self.permission.user_principals("alice") == set()
        assert self.permission.object_permissions("/a") == {}
