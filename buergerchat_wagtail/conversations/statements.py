"""The statements of a stored message, compiled once per database connection.

Storing a message runs three statements: lock the conversation (with its department),
insert the message unless its client id is stored already, update the conversation.
Through the ORM each of them is compiled from a queryset on every message, and that
compilation was the largest part of a message's CPU time (docs/performance.md). Here
Django compiles each statement once per connection (the SQL is the ORM's own, for
the connection's database); the rows are turned into model instances with Django's
own converters and related-object populators, and the model signals are sent as
``save()`` would send them.

- ``LOCK_CONVERSATION.fetch(pk)``: ``Conversation.objects.lock(pk)`` (``SELECT … FOR
  UPDATE`` where the database has row locks), department included.
- ``insert_unless_stored(message)``: ``INSERT … ON CONFLICT (conversation, client id)
  DO NOTHING RETURNING id``: idempotency by the unique constraint, one round trip.
- ``update_fields(instance, fields)``: ``UPDATE … SET … WHERE id = …``.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save

from buergerchat_wagtail.models import Conversation, Message

#: Attribute on a connection object that holds its compiled statements.
_CACHE = "_buergerchat_statements"
#: Stands for the parameter while a statement is compiled (checked to be the only one).
_PLACEHOLDER = -7_340_987


def _cache(connection):
    return connection.__dict__.setdefault(_CACHE, {})


class CompiledSelect:
    """A one-row SELECT of model instances (``select_related`` included), compiled from
    ``build(placeholder)`` once per connection, then executed with the real parameter."""

    def __init__(self, build):
        self.build = build

    def _compiled(self, connection):
        compiled = _cache(connection).get(self)
        if compiled is None:
            queryset = self.build(_PLACEHOLDER)
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            if tuple(params) != (_PLACEHOLDER,):
                raise ValueError(f"a compiled select takes exactly one parameter, not {params!r}")
            klass_info = compiler.klass_info
            first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            compiled = _cache(connection)[self] = (
                compiler,
                sql,
                klass_info["model"],
                [column[0].target.attname for column in compiler.select[first:last]],
                (first, last),
                get_related_populators(klass_info, compiler.select, connection.alias),
            )
        return compiled

    def fetch(self, value, using=DEFAULT_DB_ALIAS):
        """The instance for ``value`` or ``None``."""
        connection = connections[using]
        compiler, sql, model, attnames, (first, last), populators = self._compiled(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, (value,))
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        row = next(iter(compiler.results_iter([rows])))
        instance = model.from_db(connection.alias, attnames, row[first:last])
        for populator in populators:
            populator.populate(row, instance)
        return instance


#: ``Conversation.objects.lock(pk)``, compiled once per connection.
LOCK_CONVERSATION = CompiledSelect(
    lambda pk: Conversation.objects.select_for_update(of=("self",)).select_related("department").filter(pk=pk)[:1]
)


def _insert_statement(connection, model, conflict_fields):
    key = ("insert", model, conflict_fields)
    compiled = _cache(connection).get(key)
    if compiled is None:
        quote = connection.ops.quote_name
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        conflict = ", ".join(quote(model._meta.get_field(name).column) for name in conflict_fields)
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(model._meta.pk.column)}"
        )
        compiled = _cache(connection)[key] = (fields, sql)
    return compiled


def insert_unless_stored(message, using=DEFAULT_DB_ALIAS):
    """Insert ``message`` unless a message with its conversation and client id exists.
    Returns True if it was inserted (its ``pk`` is set, ``post_save`` sent)."""
    connection = connections[using]
    fields, sql = _insert_statement(connection, Message, ("conversation", "client_id"))
    pre_save.send(sender=Message, instance=message, raw=False, using=using, update_fields=None)
    params = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    message.pk = row[0]
    message._state.adding = False
    message._state.db = using
    post_save.send(sender=Message, instance=message, created=True, update_fields=None, raw=False, using=using)
    return True


def update_fields(instance, names, using=DEFAULT_DB_ALIAS):
    """``instance.save(update_fields=names)`` with the UPDATE compiled once per connection."""
    connection = connections[using]
    model = type(instance)
    names = tuple(names)
    key = ("update", model, names)
    compiled = _cache(connection).get(key)
    if compiled is None:
        quote = connection.ops.quote_name
        fields = [model._meta.get_field(name) for name in names]
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
            f"WHERE {quote(model._meta.pk.column)} = %s"
        )
        compiled = _cache(connection)[key] = (fields, sql)
    fields, sql = compiled
    update_fields = frozenset(names)
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=update_fields)
    params = [field.get_db_prep_save(field.pre_save(instance, False), connection) for field in fields]
    params.append(model._meta.pk.get_db_prep_value(instance.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    post_save.send(sender=model, instance=instance, created=False, update_fields=update_fields, raw=False, using=using)
