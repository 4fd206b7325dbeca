"""What every table shares: naming, connection, transactions, and the list of all models.

Tables are named ``TABLE_PREFIX + name`` (e.g. ``memberships-prod-bookings``). ``DYNAMODB_ENDPOINT``
points PynamoDB at DynamoDB Local or moto; unset means the real service in ``AWS_DEFAULT_REGION``.
"""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.attributes import AttributeContainer
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ...domain.errors import NotFoundError
from ...domain.paging import Page
from ..aws_config import pynamodb_meta

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from pynamodb.connection import Connection

    from ...domain.paging import PageRequest

M = TypeVar("M", bound=Model)
A = TypeVar("A", bound=AttributeContainer)
D = TypeVar("D")

ALL_MODELS: list[type[Model]] = []


def table_meta(name: str) -> Any:
    """A PynamoDB ``Meta`` for table ``name``; registers nothing, see ``register``."""
    attrs = {
        "table_name": os.environ.get("TABLE_PREFIX", "local-") + name,
        "region": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
        "host": os.environ.get("DYNAMODB_ENDPOINT") or None,
        "billing_mode": "PAY_PER_REQUEST",
        "max_pool_connections": 25,
        **pynamodb_meta(),  # retries and timeouts: see ``adapters/aws_config.py``
    }
    return type("Meta", (), attrs)


# One botocore client per endpoint for all tables. PynamoDB makes a session and a client per model
# class, and creating a client costs 40-80 ms: with ~20 tables that is most of a cold start.
_CLIENTS: dict[str | None, Any] = {}


def register(model: type[Model]) -> type[Model]:
    """Class decorator: the model's table is created locally, in tests and in infra/, and its
    connection shares the process's one DynamoDB client."""
    ALL_MODELS.append(model)
    own = model._get_connection

    def shared_connection() -> Any:
        connection = own()
        inner = connection.connection
        if inner._client is None:
            shared = _CLIENTS.get(model.Meta.host)
            if shared is None:
                _CLIENTS[model.Meta.host] = inner.client
            else:
                inner._client = shared
        return connection

    model._get_connection = staticmethod(shared_connection)  # type: ignore[method-assign]
    return model


def all_models() -> list[type[Model]]:
    """Every table's model. Adapters are imported lazily (cold start), so import them all first."""
    import importlib
    import pkgutil

    from . import __path__ as package_path

    for info in pkgutil.iter_modules(package_path):
        importlib.import_module(f"{__package__}.{info.name}")
    return list(ALL_MODELS)


def point_at(endpoint: str | None) -> None:
    """Re-point every model (tests switching between moto and DynamoDB Local)."""
    _CLIENTS.clear()
    for model in all_models():
        model.Meta.host = endpoint
        model._connection = None
        for index in model._indexes.values():
            index._connection = None  # type: ignore[attr-defined]


def create_missing_tables(wait: bool = True) -> list[str]:
    created = []
    for model in all_models():
        if not model.exists():
            model.create_table(wait=wait, billing_mode="PAY_PER_REQUEST")
            created.append(model.Meta.table_name)
    return created


def find(model: type[M], hash_key: Any, range_key: Any = None, *, consistent_read: bool = False) -> M | None:
    """The item with this key, or None."""
    try:
        return model.get(hash_key, range_key, consistent_read=consistent_read)
    except model.DoesNotExist:
        return None


def load(model: type[M], hash_key: Any, range_key: Any = None, *, missing: str, consistent_read: bool = False) -> M:
    """The item with this key, or ``NotFoundError(missing)`` (404: unknown or another tenant's id)."""
    item = find(model, hash_key, range_key, consistent_read=consistent_read)
    if item is None:
        raise NotFoundError(missing)
    return item


def to_model(model: type[A], obj: Any, **values: Any) -> A:
    """An item (or map) from a domain dataclass: every field the model also has, copied by name.

    ``values`` gives what differs: keys that are not fields, nested values in their map shape.
    """
    names = model.get_attributes()
    copied = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name in names}
    item: A = model(**{**copied, **values})
    return item


def from_model(cls: type[D], item: AttributeContainer, **values: Any) -> D:
    """A domain dataclass from an item (or map): each field read by name, ``values`` for what differs.

    A field the item lacks or holds as None keeps the dataclass's default.
    """
    names = item.get_attributes()
    read = {f.name: getattr(item, f.name) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.name in names and f.name not in values and getattr(item, f.name) is not None}
    return cls(**read, **values)


def connection_of(model: type[Model]) -> Connection:
    return model._get_connection().connection


def transaction(model: type[Model], token: str | None = None) -> TransactWrite:
    """A TransactWrite on the models' shared connection, so call counters see it."""
    return TransactWrite(connection=connection_of(model), client_request_token=token)


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


def rewrite_in_one_transaction(model: type[M], found: Iterable[M], write: Callable[[TransactWrite, M], None]) -> int:
    """C6 moves: the items a bounded index query found are rewritten together or not at all; how many (0:
    none left). Each ``write`` carries its condition on the old owner, so a repeat finds only what is left."""
    items = list(found)
    if items:
        with transaction(model) as txn:
            for item in items:
                write(txn, item)
    return len(items)


def batch_get(requests: Iterable[tuple[type[Model], Any, Any]]) -> list[Model | None]:
    """Get items from several tables in one BatchGetItem; results in request order, None if absent."""
    reqs = list(requests)
    if not reqs:
        return []
    request_items: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for model, hash_key, range_key in reqs:
        keys = request_items.setdefault(model.Meta.table_name, {"Keys": []})["Keys"]
        key = _serialise_key(model, hash_key, range_key)
        if key not in keys:
            keys.append(key)
    client = connection_of(reqs[0][0]).client
    found: dict[str, list[dict[str, Any]]] = {}
    pending: dict[str, Any] = request_items
    while pending:
        resp = client.batch_get_item(RequestItems=pending)
        for table, items in resp.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        pending = resp.get("UnprocessedKeys") or {}
    out: list[Model | None] = []
    for model, hash_key, range_key in reqs:
        want = _serialise_key(model, hash_key, range_key)
        match = next(
            (it for it in found.get(model.Meta.table_name, []) if all(it.get(k) == v for k, v in want.items())),
            None,
        )
        out.append(model.from_raw_data(match) if match else None)
    return out


def _serialise_key(model: type[Model], hash_key: Any, range_key: Any) -> dict[str, Any]:
    h = model._hash_key_attribute()
    key = {h.attr_name: {h.attr_type: h.serialize(hash_key)}}
    r = model._range_key_attribute()
    if r is not None:
        key[r.attr_name] = {r.attr_type: r.serialize(range_key)}
    return key


def is_condition_failure(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def failed_conditions(txn: TransactWrite, exc: Exception) -> set[str]:
    """Names of the tables whose condition failed in a cancelled transaction.

    PynamoDB sends condition checks, deletes, puts, then updates, whatever order they were added
    in; the cancellation reasons follow that order, so they are matched back here.
    """
    sent = txn._condition_check_items + txn._delete_items + txn._put_items + txn._update_items
    reasons = getattr(exc, "cancellation_reasons", None) or []
    failed = set()
    for item, reason in zip(sent, reasons, strict=False):
        if reason is not None and getattr(reason, "code", None) == "ConditionalCheckFailed":
            failed.add(item["TableName"])
    return failed


def query_page(source: Any, hash_key: Any, convert: Callable[[Any], D], page: PageRequest,
               range_key_condition: Any = None, filter_condition: Any = None,
               scan_index_forward: bool | None = None) -> Page[D]:
    """One page of a Query on a model or an index (L1): at most ``page.limit`` items read, from
    ``page.start`` on. With a ``filter_condition`` DynamoDB drops items after reading them, so a page
    can be shorter than the limit while ``next_key`` is set; only ``next_key is None`` ends the list.
    """
    result = source.query(hash_key, range_key_condition, filter_condition=filter_condition, limit=page.limit,
                          page_size=page.limit, last_evaluated_key=page.start, scan_index_forward=scan_index_forward)
    items = [convert(item) for item in result]
    return Page(items, result.last_evaluated_key)
