"""The audit trail as a hash chain: every record carries the hash of the one before it.

The one way in is :func:`portal.services.audit_record` (which calls :func:`append`); nothing
else creates ``AuditEvent`` rows (``tests/test_architecture.py`` holds that), and the
database refuses UPDATE, DELETE and TRUNCATE on the table (django-pgtrigger triggers on the
model). Editing or deleting a record with the triggers disabled (someone with the table
owner's rights) breaks the chain from that record on, which ``manage.py audit_verify``
finds; re-chaining everything after it is caught by the daily anchors kept outside the
database (the daily brief, exported anchor files).

The canonical form (version 1)
------------------------------

A record's ``hash`` is the SHA-256, in lower-case hex, of the UTF-8 bytes of::

    json.dumps(
        {
            "v": 1,
            "seq": seq,                 # 1, 2, 3, ... with no gap
            "id": id,                   # the row's primary key
            "prev": prev_hash,          # hash of record seq - 1; 64 zeros for seq 1
            "at": "2026-11-01T03:04:05.123456Z",   # created_at in UTC, always 6 fraction digits
            "actor": actor_id,          # int or null
            "bureau": bureau_id,        # int or null
            "action": action, "target_type": target_type, "target_id": target_id,
            "from_state": from_state, "to_state": to_state, "comment": comment,
            "extra": extra,             # the JSON value as PostgreSQL's jsonb gives it back
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False,
    )

i.e. JSON with sorted keys, no whitespace, every non-ASCII character as ``\\uXXXX``, numbers
as Python's ``json`` writes them. ``extra`` is hashed after one trip through ``jsonb``
(:func:`append` asks the database for it) so that what is hashed is exactly what any later
read returns (jsonb rewrites ``1e+20`` as ``100000000000000000000``).

Appending
---------

:func:`append` runs inside the writer's transaction: it takes a transaction-level advisory
lock (``pg_advisory_xact_lock(CHAIN_LOCK)``), then reads the last record (``seq`` index,
one row) in a new statement, so it sees every append committed before the lock was granted,
and inserts the next one. The lock is held until the writer commits, so appends never fork;
``UNIQUE(seq)`` would refuse a fork anyway. ``created_at`` is the database's
``clock_timestamp()`` read under the lock, so time order and chain order agree.

The price: audited transactions commit one at a time from their first audit record on. Keep
the audit record the last write of a transaction (the workflow engine writes it after the
row; the series import writes its records after all the samples): a transaction that takes
further row locks after auditing may deadlock with another auditing transaction, which
PostgreSQL resolves by aborting one of them. The rows a record points at (its bureau and
person) are locked FOR KEY SHARE before the chain's lock, not by the deferred foreign-key
check at commit, for the same reason.

Anchors
-------

A day's anchor is the chain head (``seq``, ``hash``) at the end of that Beijing day. Anchors
are kept in ``AuditAnchor`` (append-only too), printed in each daily brief and exported by
``manage.py audit_anchors`` or the system page as a JSON file (:func:`anchors_document`);
``audit_verify --anchors FILE`` checks the chain against such a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import connection, transaction
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from .models import AuditEvent

VERSION = 1
GENESIS = "0" * 64
#: The advisory lock key of the chain's append (any bigint no other code uses: "ISPEC" in hex-ish).
CHAIN_LOCK = 0x15EC_A0D1
ANCHORS_FORMAT = "ispec-audit-anchors/1"

#: The columns a chain row is read with, in this order (``ChainRow``).
ROW_COLUMNS = (
    "id",
    "seq",
    "prev_hash",
    "hash",
    "created_at",
    "actor_id",
    "bureau_id",
    "action",
    "target_type",
    "target_id",
    "from_state",
    "to_state",
    "comment",
    "extra",
)


class ChainRow(NamedTuple):
    """One record's chained fields (a named tuple: a million of them are built in a walk)."""

    id: int
    seq: int
    prev_hash: str
    hash: str
    created_at: dt.datetime
    actor_id: int | None
    bureau_id: int | None
    action: str
    target_type: str
    target_id: str
    from_state: str
    to_state: str
    comment: str
    extra: Any


_ZERO = dt.timedelta(0)
_text = json.encoder.encode_basestring_ascii  # C: a JSON string, ASCII only


def utc_text(value: dt.datetime) -> str:
    """``created_at`` as the canonical form writes it: UTC, microseconds, a ``Z``."""
    if value.utcoffset() != _ZERO:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _int(value: int | None) -> str:
    return "null" if value is None else str(int(value))


def canonical_reference(row: ChainRow) -> bytes:
    """The canonical form as the module docstring defines it, written the plain way (the tests
    hold :func:`canonical`, its fast equivalent, to it)."""
    document = {
        "v": VERSION,
        "seq": row.seq,
        "id": row.id,
        "prev": row.prev_hash,
        "at": utc_text(row.created_at),
        "actor": row.actor_id,
        "bureau": row.bureau_id,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "comment": row.comment,
        "extra": row.extra,
    }
    return _json(document).encode("ascii")


def canonical(row: ChainRow) -> bytes:
    """The bytes a record's hash is taken over (version 1, see the module docstring): the same
    bytes as :func:`canonical_reference`, the keys written in their sorted order by hand (a
    verification hashes a million records; this is three times faster)."""
    extra = row.extra
    return (
        f'{{"action":{_text(row.action)},"actor":{_int(row.actor_id)},"at":"{utc_text(row.created_at)}",'
        f'"bureau":{_int(row.bureau_id)},"comment":{_text(row.comment)},'
        f'"extra":{"{}" if extra == {} else _json(extra)},"from_state":{_text(row.from_state)},'
        f'"id":{_int(row.id)},"prev":{_text(row.prev_hash)},"seq":{_int(row.seq)},'
        f'"target_id":{_text(row.target_id)},"target_type":{_text(row.target_type)},'
        f'"to_state":{_text(row.to_state)},"v":{VERSION}}}'
    ).encode("ascii")


def record_hash(row: ChainRow) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


# --- appending -----------------------------------------------------------------------------


def append(
    *,
    actor_id: int | None,
    bureau_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    extra: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one record to the chain, in the caller's transaction (or its own)."""
    from .models import AuditEvent, Bureau, User

    table, bureaus, people = AuditEvent._meta.db_table, Bureau._meta.db_table, User._meta.db_table
    payload = json.dumps(dict(extra or {}), allow_nan=False)
    # savepoint=False: a failed append fails the change it records, never only itself
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(
                # The rows the record points at (bureau, person) are locked FOR KEY SHARE first,
                # as the foreign-key check would at commit: a transaction holding one of them
                # FOR UPDATE and waiting for the chain would otherwise deadlock with us then.
                # The aggregates finish (rows locked) before the outer select takes the lock.
                f"SELECT pg_advisory_xact_lock(%s) FROM"  # noqa: S608 - the table names are the models'
                f" (SELECT count(*) FROM (SELECT 1 FROM {bureaus} WHERE id = %s FOR KEY SHARE) AS b) AS rb,"
                f" (SELECT count(*) FROM (SELECT 1 FROM {people} WHERE id = %s FOR KEY SHARE) AS p) AS rp",
                [CHAIN_LOCK, bureau_id, actor_id],
            )
            # A statement of its own after the lock: its snapshot has every earlier append.
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence(%s, 'id')), clock_timestamp(), %s::jsonb::text,"  # noqa: S608 - the table name is the model's
                f" last.seq, last.hash FROM (SELECT 1) AS one LEFT JOIN LATERAL"
                f" (SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1) AS last ON true",
                [table, payload],
            )
            pk, at, extra_text, last_seq, last_hash = cursor.fetchone()
        row = ChainRow(
            id=pk,
            seq=(last_seq or 0) + 1,
            prev_hash=last_hash or GENESIS,
            hash="",
            created_at=at,
            actor_id=actor_id,
            bureau_id=bureau_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            extra=json.loads(extra_text),
        )
        event = AuditEvent(
            id=row.id,
            seq=row.seq,
            prev_hash=row.prev_hash,
            hash=record_hash(row),
            created_at=row.created_at,
            actor_id=actor_id,
            bureau_id=bureau_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
            extra=row.extra,
        )
        event.save(force_insert=True)
    return event


def chain_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[ChainRow]:
    """``ChainRow`` s from tuples read in ``ROW_COLUMNS`` order (``extra`` as jsonb text or value)."""
    loads = json.loads
    for values in rows:
        extra = values[13]
        yield ChainRow._make((*values[:13], loads(extra) if isinstance(extra, str) else extra))


def link(
    rows: Iterable[ChainRow], *, after: tuple[int, str] = (0, GENESIS)
) -> Iterator[tuple[int, str, str]]:
    """(seq, prev_hash, hash) for rows in order, chained after ``after`` = (seq, hash): how the
    migration chains the records written before the chain existed, and the benchmark its
    generated ones. Each row's ``seq``, ``prev_hash`` and ``hash`` fields are ignored."""
    seq, previous = after
    for row in rows:
        seq += 1
        digest = record_hash(row._replace(seq=seq, prev_hash=previous, hash=""))
        yield seq, previous, digest
        previous = digest


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    day: dt.date | None  # None: the chain's head when a file was exported
    seq: int
    hash: str
    source: str  # where the anchor comes from ("the database", a file name)

    @property
    def label(self) -> str:
        if self.day:
            return _("the anchor of %(day)s (%(source)s)") % {
                "day": self.day.isoformat(),
                "source": self.source,
            }
        return _("the chain's head when %(source)s was exported") % {"source": self.source}


@dataclass(frozen=True)
class Break:
    """The first record that does not fit, and why (``kind``: missing, edited, unlinked, anchor)."""

    kind: str
    seq: int
    id: int | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "seq": self.seq, "id": self.id, "message": self.message}


@dataclass
class Walk:
    """Where a walk of the chain got to: the last record that fits, or the first that does not."""

    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS
    last_id: int | None = None
    anchors_checked: int = 0
    first_break: Break | None = None
    _anchors: dict[int, list[Anchor]] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.first_break is None


def walk(
    rows: Iterable[ChainRow],
    *,
    anchors: Iterable[Anchor] = (),
    progress: Callable[[Walk], None] | None = None,
    every: int = 50_000,
) -> Walk:
    """Check ``rows`` (in ``seq`` order, from seq 1) and stop at the first that does not fit.

    A record fits when its ``seq`` follows the one before (a gap: deleted records), its fields
    hash to its ``hash`` (otherwise it was edited) and its ``prev_hash`` is the hash of the
    one before (otherwise the one before was rewritten, re-hashed, or this one inserted). Each
    anchor's record must carry the anchor's hash; an anchor past the end means records were
    deleted from the end.
    """
    state = Walk()
    for anchor in anchors:
        state._anchors.setdefault(anchor.seq, []).append(anchor)
    for row in rows:
        expected = state.last_seq + 1
        if row.seq != expected:
            where = {
                "first": expected,
                "last": row.seq - 1,
                "before": state.last_seq,
                "seq": row.seq,
                "id": row.id,
            }
            state.first_break = Break(
                "missing",
                expected,
                row.id,
                (
                    _(
                        "Record %(first)d is missing (deleted): the chain goes from record %(before)d "
                        "to record %(seq)d (id %(id)d)."
                    )
                    if row.seq == expected + 1
                    else _(
                        "Records %(first)d–%(last)d are missing (deleted): the chain goes from record "
                        "%(before)d to record %(seq)d (id %(id)d)."
                    )
                )
                % where,
            )
            break
        if record_hash(row) != row.hash:
            state.first_break = Break(
                "edited",
                row.seq,
                row.id,
                _(
                    "Record %(seq)d (id %(id)d, %(action)s %(target)s) was changed after it was "
                    "written: its fields no longer give its hash."
                )
                % {
                    "seq": row.seq,
                    "id": row.id,
                    "action": row.action,
                    "target": f"{row.target_type}#{row.target_id}",
                },
            )
            break
        if row.prev_hash != state.last_hash:
            state.first_break = Break(
                "unlinked",
                row.seq,
                row.id,
                _(
                    "Record %(seq)d (id %(id)d) does not follow record %(before)d: the hash it names "
                    "as previous is not that record's (record %(before)d was rewritten, or "
                    "record %(seq)d inserted)."
                )
                % {"seq": row.seq, "id": row.id, "before": state.last_seq},
            )
            break
        for anchor in state._anchors.get(row.seq, ()):
            state.anchors_checked += 1
            if anchor.hash != row.hash:
                state.first_break = Break(
                    "anchor",
                    row.seq,
                    row.id,
                    _(
                        "Record %(seq)d (id %(id)d) does not carry the hash of %(anchor)s: the chain "
                        "was rewritten up to here."
                    )
                    % {"seq": row.seq, "id": row.id, "anchor": anchor.label},
                )
                break
        if state.first_break is not None:
            break
        state.checked += 1
        state.last_seq, state.last_hash, state.last_id = row.seq, row.hash, row.id
        if progress is not None and state.checked % every == 0:
            progress(state)
    if state.first_break is None:
        beyond = sorted(
            ((seq, a) for seq, listed in state._anchors.items() if seq > state.last_seq for a in listed),
            key=lambda pair: pair[0],
        )
        if beyond:
            seq, anchor = beyond[0]
            state.first_break = Break(
                "missing",
                state.last_seq + 1,
                None,
                _(
                    "The chain ends at record %(last)d, but %(anchor)s names record %(seq)d: records "
                    "were deleted from the end."
                )
                % {"last": state.last_seq, "anchor": anchor.label, "seq": seq},
            )
    return state


# --- the anchors file -----------------------------------------------------------------------


def anchors_document(anchors: Iterable[Anchor], *, exported_at: dt.datetime, head: tuple[int, str]) -> str:
    """The export: JSON text a person can sign and keep outside the database."""
    document = {
        "format": ANCHORS_FORMAT,
        "what": "ISPEC portal audit chain: the last record (seq, SHA-256) at the end of each Beijing day",
        "exported_at": utc_text(exported_at),
        "head": {"seq": head[0], "hash": head[1]},
        "anchors": [{"day": a.day.isoformat(), "seq": a.seq, "hash": a.hash} for a in anchors if a.day],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


class AnchorsFileError(ValueError):
    pass


def read_anchors(text: str, *, source: str) -> list[Anchor]:
    """The anchors of an exported file; ``AnchorsFileError`` names what is wrong with it."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnchorsFileError(f"{source}: not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != ANCHORS_FORMAT:
        raise AnchorsFileError(f"{source}: not an anchors file (format {ANCHORS_FORMAT} expected)")
    anchors: list[Anchor] = []
    for index, item in enumerate(document.get("anchors") or []):
        try:
            day = dt.date.fromisoformat(item["day"])
            seq = int(item["seq"])
            digest = str(item["hash"])
        except (KeyError, TypeError, ValueError):
            raise AnchorsFileError(f"{source}: anchor {index + 1} needs day, seq and hash") from None
        if len(digest) != 64 or seq < 1:
            raise AnchorsFileError(f"{source}: anchor {index + 1} ({item.get('day')}) is malformed")
        anchors.append(Anchor(day=day, seq=seq, hash=digest, source=source))
    head = document.get("head")
    if isinstance(head, dict) and head.get("seq"):
        # the head at export time is an anchor too: nothing up to it may change afterwards
        try:
            seq, digest = int(head["seq"]), str(head["hash"])
        except (KeyError, TypeError, ValueError):
            raise AnchorsFileError(f"{source}: the head needs seq and hash") from None
        if len(digest) != 64 or seq < 1:
            raise AnchorsFileError(f"{source}: the head is malformed")
        anchors.append(Anchor(day=None, seq=seq, hash=digest, source=source))
    return anchors
