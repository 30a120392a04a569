"""SQL of the PostgreSQL storage, and the translation of filters and sorts.

JSON fields compare as JSONB values (the order the memory backend mimics,
see :mod:`cliquet.storage._jsonorder`); ``id`` and ``last_modified`` use their
columns when the compared values have the column's type.
"""
from cliquet.utils import COMPARISON, json

BASE = "parent_id = :parent_id AND collection_id = :collection_id"

# Conflicting records of one unique field, ranked by declaration order.
CONFLICT = """(SELECT {rank} AS rank, id, last_modified, data FROM records
   WHERE {base} AND {condition}{exclude} LIMIT 1)"""

# Insert a record with a new id, removing any tombstone.
CREATE_NEW = """
WITH del AS (DELETE FROM deleted WHERE {base} AND id = :object_id)
INSERT INTO records (id, parent_id, collection_id, last_modified, data)
VALUES (:object_id, :parent_id, :collection_id, CAST(:forced AS BIGINT), CAST(:data AS JSONB))
RETURNING NULL::INT AS rank, NULL::TEXT AS id, last_modified, NULL::JSONB AS data
"""

# Insert a record, removing its tombstone, unless a unique value is taken.
CREATE = """
WITH conflict AS ({conflicts}),
del AS (
    DELETE FROM deleted WHERE {base} AND id = :object_id
       AND NOT EXISTS (SELECT 1 FROM conflict)
),
ins AS (
    INSERT INTO records (id, parent_id, collection_id, last_modified, data)
    SELECT :object_id, :parent_id, :collection_id, CAST(:forced AS BIGINT),
           CAST(:data AS JSONB)
     WHERE NOT EXISTS (SELECT 1 FROM conflict)
    RETURNING last_modified
)
SELECT NULL::INT AS rank, NULL::TEXT AS id, last_modified, NULL::JSONB AS data FROM ins
UNION ALL
SELECT rank, id, last_modified, data FROM conflict
"""

# Replace a record (or create it), unless a unique value is taken.
UPDATE = """
WITH conflict AS ({conflicts}),
upd AS (
    UPDATE records SET data = CAST(:data AS JSONB), last_modified = CAST(:forced AS BIGINT)
     WHERE {base} AND id = :object_id AND NOT EXISTS (SELECT 1 FROM conflict)
    RETURNING last_modified
),
ins AS (
    INSERT INTO records (id, parent_id, collection_id, last_modified, data)
    SELECT :object_id, :parent_id, :collection_id, CAST(:forced AS BIGINT),
           CAST(:data AS JSONB)
     WHERE NOT EXISTS (SELECT 1 FROM upd) AND NOT EXISTS (SELECT 1 FROM conflict)
    RETURNING last_modified
)
SELECT NULL::INT AS rank, NULL::TEXT AS id, last_modified, NULL::JSONB AS data FROM upd
UNION ALL
SELECT NULL::INT, NULL::TEXT, last_modified, NULL::JSONB FROM ins
UNION ALL
SELECT rank, id, last_modified, data FROM conflict
"""

# Replace an existing record (no unique field to check): cheaper to plan.
UPDATE_EXISTING = """
UPDATE records SET data = CAST(:data AS JSONB), last_modified = CAST(:forced AS BIGINT)
 WHERE {base} AND id = :object_id
RETURNING NULL::INT AS rank, NULL::TEXT AS id, last_modified, NULL::JSONB AS data
"""

NO_CONFLICT = "SELECT NULL::INT AS rank, NULL AS id, NULL::BIGINT AS last_modified, " \
              "NULL::JSONB AS data WHERE FALSE"

# Move matching records to tombstones, each with its own new timestamp.
DELETE_WITH_TOMBSTONES = """
WITH del AS (
    DELETE FROM records WHERE {base}{where} RETURNING id, parent_id, collection_id
)
INSERT INTO deleted (id, parent_id, collection_id, last_modified)
SELECT id, parent_id, collection_id, CAST(:forced AS BIGINT) FROM del
ON CONFLICT (parent_id, collection_id, id)
    DO UPDATE SET last_modified = CAST(:forced AS BIGINT)
RETURNING id, last_modified
"""

# No row is inserted, so the cached timestamps are flushed explicitly.
DELETE_WITHOUT_TOMBSTONES = """
WITH del AS (DELETE FROM records WHERE {base}{where} RETURNING id)
SELECT id, bump_collection_timestamp(:parent_id, :collection_id, CAST(:forced AS BIGINT))
       AS last_modified
  FROM del
"""

FLUSH_TIMESTAMPS = "SELECT flush_collection_timestamps()"

GET = f"SELECT last_modified, data FROM records WHERE {BASE} AND id = :object_id"

# Hold a record id until the transaction ends (get_for_update). A transaction
# advisory lock rather than SELECT ... FOR UPDATE: it also holds ids that no
# record has (yet), which a PUT creates. Sent before GET in the same round trip:
# under READ COMMITTED, GET (a statement of its own) then sees what the previous
# holder committed.
LOCK = "SELECT pg_advisory_xact_lock(CAST(:lock AS BIGINT))"

GET_TIMESTAMP = "SELECT collection_timestamp(:parent_id, :collection_id) AS last_modified"

CREATE_TIMESTAMP = """
INSERT INTO timestamps (parent_id, collection_id, last_modified)
VALUES (:parent_id, :collection_id, clock_msec())
ON CONFLICT (parent_id, collection_id) DO NOTHING
RETURNING last_modified
"""

# Hold a collection until the transaction ends (collection_timestamp_for_update):
# its row of timestamps is locked, as the first write of a transaction in a
# collection locks it. The locked row's own column is returned (under READ
# COMMITTED, the version committed by the writer waited for), unless this
# transaction already wrote to the collection (its cached value).
HOLD_TIMESTAMP = CREATE_TIMESTAMP.replace("RETURNING last_modified", "") + """;
SELECT COALESCE(
         (NULLIF(current_setting('cliquet.timestamps', TRUE), '')::JSONB
            ->> jsonb_build_array(:parent_id, :collection_id)::TEXT)::BIGINT,
         last_modified)
  FROM timestamps WHERE parent_id = :parent_id AND collection_id = :collection_id
   FOR UPDATE
"""

PURGE = f"DELETE FROM deleted WHERE {BASE}"

FLUSH = "DELETE FROM records; DELETE FROM deleted; DELETE FROM timestamps;"

# Sources of a page: live records, and tombstones (``live`` false).
TOMBSTONES = f"""SELECT id, last_modified, jsonb_build_object(:deleted_field, TRUE) AS data,
       FALSE AS live
  FROM deleted WHERE {BASE}"""

RECORDS = f"SELECT id, last_modified, data, TRUE AS live FROM records WHERE {BASE}"

# A page and its total. Without filters the total is counted apart, from the
# primary key index alone; with filters the matching rows are read once for
# both (a window count over them, before the pagination rules). The data comes
# as text (what the driver would decode row by row), decoded at once.
PAGE = """
SELECT id, last_modified, data::text,
       (SELECT COUNT(*) FROM records WHERE {base}) AS total
  FROM ({source}) AS r
 WHERE TRUE{rules}
 ORDER BY {order}
 LIMIT :limit
"""

FILTERED_PAGE = """
SELECT id, last_modified, data::text, total
  FROM (SELECT id, last_modified, data, COUNT(*) FILTER (WHERE live) OVER () AS total
          FROM ({source}) AS r
         WHERE TRUE{filters}) AS m
 WHERE TRUE{rules}
 ORDER BY {order}
 LIMIT :limit
"""

# A page alone (its total known otherwise): only the rows the order reaches.
PAGE_WITHOUT_TOTAL = """
SELECT id, last_modified, data::text, NULL AS total
  FROM ({source}) AS r
 WHERE TRUE{filters}{rules}
 ORDER BY {order}
 LIMIT :limit
"""

# A page and the collection timestamp, in one statement (one snapshot): one
# row (NULL page columns) when the page is empty. ``OFFSET 0`` keeps the
# timestamp a one-row subquery (read once, not once per record); joined ON
# TRUE, the only plan is a nested loop over that row, which returns the page
# in its order. The first row alone carries the timestamp (the driver would
# convert it on every row).
PAGE_WITH_TIMESTAMP = """
SELECT p.*, CASE WHEN row_number() OVER () = 1 THEN t.collection_timestamp END
  FROM (SELECT collection_timestamp(:parent_id, :collection_id) OFFSET 0) AS t
  LEFT JOIN ({page}) AS p ON TRUE
"""

COUNT = "SELECT COUNT(*) FROM records WHERE {base}{filters}"

_OPERATORS = {
    COMPARISON.EQ: "=", COMPARISON.NOT: "<>", COMPARISON.LT: "<", COMPARISON.GT: ">",
    COMPARISON.MIN: ">=", COMPARISON.MAX: "<=",
}


class QueryBuilder:
    """Accumulates bind parameters while translating filters and sorts to SQL."""

    def __init__(self, id_field: str, modified_field: str, **params):
        self.id_field = id_field
        self.modified_field = modified_field
        self.params = params

    def bind(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _column(self, field: str, value) -> str | None:
        """The column holding ``field`` if ``value`` (or its items) has the column type."""
        values = value if isinstance(value, (list, tuple)) else [value]
        if field == self.id_field and all(isinstance(v, str) for v in values):
            return "id"
        if field == self.modified_field and all(
                isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "last_modified"
        return None

    def expression(self, field: str) -> str:
        """SQL of a field's JSONB value (NULL when missing)."""
        if field == self.id_field:
            return "to_jsonb(id)"
        if field == self.modified_field:
            return "to_jsonb(last_modified)"
        return f"(data -> {self.bind(field)})"

    def condition(self, flt, pagination: bool = False) -> str:
        """SQL of one filter.

        In ``pagination`` mode a missing value is greater than every value, as
        in the ascending sort order.
        """
        field, value, operator = flt
        operator = COMPARISON(operator)
        column = self._column(field, value)
        if operator in (COMPARISON.IN, COMPARISON.EXCLUDE):
            values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
            if column == "id":
                sql = f"id = ANY(CAST({self.bind(values)} AS TEXT[]))"
            elif column:
                sql = f"last_modified = ANY(CAST({self.bind(values)} AS BIGINT[]))"
            else:
                items = self.bind([json.dumps(v) for v in values])
                sql = f"{self.expression(field)} = ANY(CAST({items} AS JSONB[]))"
            return sql if operator == COMPARISON.IN else f"({sql}) IS NOT TRUE"
        if column:
            return f"{column} {_OPERATORS[operator]} {self.bind(value)}"
        if operator in (COMPARISON.EQ, COMPARISON.NOT):
            if not pagination and field not in (self.id_field, self.modified_field) and \
                    not isinstance(value, (dict, list, tuple)):
                # Scalar equality as containment, which the GIN index serves
                # (pagination rules are evaluated on the rows already found).
                sql = f"data @> CAST({self.bind(json.dumps({field: value}))} AS JSONB)"
            else:
                sql = f"{self.expression(field)} = CAST({self.bind(json.dumps(value))} AS JSONB)"
            return sql if operator == COMPARISON.EQ else f"({sql}) IS NOT TRUE"
        sql = f"{self.expression(field)} {_OPERATORS[operator]} " \
              f"CAST({self.bind(json.dumps(value))} AS JSONB)"
        if pagination and operator in (COMPARISON.GT, COMPARISON.MIN):
            sql = f"({sql}) IS NOT FALSE"  # NULL when the field is missing
        return sql

    def filters(self, filters) -> str:
        """`` AND ...`` for every filter, or an empty string."""
        return "".join(f" AND {self.condition(f)}" for f in filters or ())

    def rules(self, pagination_rules) -> str:
        """`` AND (rule OR rule ...)`` for the pagination rules, or an empty string."""
        if not pagination_rules:
            return ""
        ored = " OR ".join(
            "(" + (" AND ".join(self.condition(f, pagination=True) for f in rule) or "TRUE") + ")"
            for rule in pagination_rules)
        return f" AND ({ored})"

    def order(self, sorting) -> str:
        """``ORDER BY`` items; missing values sort last ascending, first descending."""
        items = []
        for field, direction in sorting or ():
            if field == self.id_field:
                expression = "id"
            elif field == self.modified_field:
                expression = "last_modified"
            else:
                expression = self.expression(field)
            items.append(f"{expression} {'ASC' if direction > 0 else 'DESC'}")
        return ", ".join(items or ["last_modified DESC"])
