"""bench/load.py's simulated managers against one real dashboard process on the demo data: they
speak Streamlit's websocket protocol, sign in through the form and are served pages."""

from __future__ import annotations

import asyncio
import math

from bench import load
from tests.apptest import demo_store


def test_managers_sign_in_and_are_served_pages_without_errors(tmp_path):
    store = str(demo_store(tmp_path))
    accounts = tmp_path / "accounts.toml"
    users = load.manager_accounts(store, accounts, 2)
    assert users == ["manager01", "manager02"]

    async def one_tab(base: str) -> list[load.RunResult]:
        client = load.Client(base)
        await client.connect()
        try:
            form = await client.run("")
            signed = await client.sign_in(users[0], load.PASSWORD)
            ranking = await client.run(signed.pages["ranking"])
            period = client.widget("考核期间", sidebar=True)
            client.set_value(period, period.options[-1])  # the oldest month, not the newest
            older = await client.run()
            return [form, signed, ranking, older]
        finally:
            await client.close()

    with load.servers(store, 1, accounts, tmp_path) as addresses:
        form, signed, ranking, older = asyncio.run(one_tab(addresses[0][0]))
        measured = asyncio.run(
            load.measure_once(addresses, users, 2, 8, 0, only=["", "ranking"], warm=False)
        )
    # Signed out: the form (every page routed, hidden); signed in: the manager's pages only.
    assert {"用户名", "密码"} <= {w.label for w in form.widgets} and "imports" in form.pages
    assert "ranking" in signed.pages and "imports" not in signed.pages
    assert any("排名" in title for title in ranking.titles) and not ranking.errors
    # The period the client chose is the one the server drew the page with.
    assert "排名 · 2026-10" in ranking.titles
    assert "排名 · 2025-11" in older.titles and not older.errors

    assert measured.errors == []
    assert [s.action for s in measured.samples].count("sign-in") == 2
    assert measured.clicks  # pages opened or filters changed after signing in
    assert all(math.isfinite(s.seconds) and 0 < s.seconds < 60 for s in measured.samples)
    assert measured.peak_mb[0] > 50
