"""The bank scenario against a real PostgreSQL: accounts whose balances change in transactions.

:func:`prepare` makes ``public.accounts`` (twenty accounts, ``ACC-100`` to ``ACC-119``, 350.00
each) if the database has no such table; :class:`BankWorkload` then moves money between two
accounts in one transaction, a few times a second, now and then taking one overdrawn, until
stopped. A capture of ``public.accounts`` turns each committed change into a ``ChangeEvent``
with the balance before and after: what the synthetic ``bank`` scenario imitates.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import psycopg2

TABLE = "public.accounts"
ACCOUNTS = [f"ACC-{n}" for n in range(100, 120)]
OPENING_BALANCE = Decimal("350.00")
CONNECT_TIMEOUT_S = 10


class BankError(Exception):
    """The database cannot be used for the bank demo (the message says why)."""


def prepare(dsn: str) -> None:
    """Create and fill ``public.accounts`` unless it exists.

    Raises:
        BankError: if the database cannot be reached or the table cannot be made.
    """
    try:
        conn = psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS public.accounts (id text PRIMARY KEY, "
                "owner text NOT NULL, balance numeric(14, 2) NOT NULL, "
                "updated_at timestamptz NOT NULL DEFAULT now())"
            )
            cur.executemany(
                "INSERT INTO public.accounts (id, owner, balance) VALUES (%s, %s, %s) "
                "ON CONFLICT (id) DO NOTHING",
                [(a, f"owner of {a}", OPENING_BALANCE) for a in ACCOUNTS],
            )
        conn.close()
    except psycopg2.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BankError(f"cannot prepare {TABLE}: {reason}") from None


class BankWorkload:
    """Transfers between accounts, ``rate`` transactions a second, on a thread of its own."""

    def __init__(self, dsn: str, rate: float = 5.0, seed: int | None = None) -> None:
        self.dsn = dsn
        self.rate = rate
        self.transactions = 0
        self.problem = ""
        self._random = random.Random(seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bank-workload", daemon=True)

    def start(self) -> None:
        """Start moving money."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the transaction under way."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def transfer(self, cur: psycopg2.extensions.cursor) -> None:
        """One transfer: from one account to another; now and then more than it holds."""
        source, target = self._random.sample(ACCOUNTS, 2)
        amount = Decimal(self._random.randint(100, 9500)) / 100
        if self._random.random() < 0.05:
            amount += Decimal(400)  # an overdraft
        cur.execute(
            "UPDATE public.accounts SET balance = balance - %s, updated_at = now() WHERE id = %s",
            (amount, source),
        )
        cur.execute(
            "UPDATE public.accounts SET balance = balance + %s, updated_at = now() WHERE id = %s",
            (amount, target),
        )

    def _run(self) -> None:
        try:
            conn = psycopg2.connect(self.dsn, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg2.Error as exc:
            self.problem = str(exc).strip().splitlines()[0]
            return
        try:
            while not self._stop.wait(1.0 / self.rate):
                with conn, conn.cursor() as cur:
                    self.transfer(cur)
                self.transactions += 1
        except psycopg2.Error as exc:
            self.problem = str(exc).strip().splitlines()[0]
        finally:
            conn.close()
