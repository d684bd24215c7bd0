"""EnSQL: Ensign's SQL-like language for querying the events of one topic.

:func:`parse_query` parses a query and compiles its WHERE clause into closures once; the
:class:`EnsqlQuery` it returns then filters (:meth:`EnsqlQuery.matches`) and projects
(:meth:`EnsqlQuery.project`) stored events cheaply. Nothing here does I/O.

Grammar (keywords are case-insensitive; a trailing ``;`` and ``--`` comments are allowed)::

    SELECT * | field [AS alias] [, field [AS alias] ...]
    FROM topic[.TypeName[.version]]          -- version: v1, v1.2, v1.2.0, 1.2.0 (a prefix)
    [WHERE condition]
    [OFFSET n] [LIMIT n]                     -- either order; n: integer or parameter

Topic and field names are identifiers (letters, digits, ``_``, ``-``) or ``"quoted"`` /
```quoted``` names (needed for names with dots or spaces, or named like a keyword).

Fields: ``metadata.<key>``, ``data.<field>[.<field>...]`` (JSON data, parsed only when
referenced), ``data`` (raw bytes), ``type`` / ``type.name``, ``version`` / ``type.version``
(compared as versions: ``version >= '1.2'``), ``type.major`` / ``type.minor`` / ``type.patch``,
``mimetype`` (compared with ``'application/json'`` or ``'APPLICATION_JSON'``), ``offset``,
``timestamp`` / ``committed`` and ``created`` (ms since the epoch; also compared with ISO-8601
strings), ``id`` (compared with 20 hex digits or 16 base32 characters). Any other name is the
metadata key of that name if the event has it, otherwise the JSON data field; a quoted name is
always looked up that way. A missing key or field is NULL.

Conditions: ``= == != <> < <= > >=``, ``[NOT] LIKE`` / ``[NOT] ILIKE`` (``%``, ``_``, ``\\``
escapes), ``[NOT] IN (...)``, ``[NOT] BETWEEN a AND b``, ``IS [NOT] NULL``, ``NOT``, ``AND``,
``OR`` (binding in that order, tightest first), parentheses, and a bare field (true when it is
true or ``'true'``). Values: ``'strings'`` (``''`` escapes a quote), integers, decimals, TRUE,
FALSE, NULL and parameters ``:name``, ``$name`` or ``@name``.

Comparisons convert a string to a number (or boolean) when the other side is one; values that
cannot be compared, and any comparison with NULL, are false, so ``NOT`` of them is true.
"""

from __future__ import annotations

# ``ensql.json`` is the json module that rows parse event data with, as when EnSQL was one module.
import json as json

from embedded_broker.core.ensql.errors import InvalidQuery
from embedded_broker.core.ensql.parser import MAX_QUERY_LENGTH as MAX_QUERY_LENGTH
from embedded_broker.core.ensql.parser import parse_query
from embedded_broker.core.ensql.query import EnsqlQuery

__all__ = ["EnsqlQuery", "InvalidQuery", "parse_query"]
