"""The versions of a scheme kept in the store: which one is in use, adopting a scenario."""

from __future__ import annotations

import pandas as pd

from engine.schemes.edit import from_toml, to_toml, with_version
from engine.schemes.scheme import Scheme, SchemeError
from engine.store import Store

# ------------------------------------------------------------------ versions in the store


def versions(store: Store, file_scheme: Scheme) -> pd.DataFrame:
    """Every version of a scheme, newest first: the store's adopted versions and the file's
    version when the store does not hold that number; `active` marks the one in use."""
    kept = store.scheme_versions(file_scheme.id).assign(origin="store")
    if file_scheme.version not in set(kept["version"]):
        row = {
            "version": file_scheme.version,
            "created_at": pd.NaT,
            "note": file_scheme.source,
            "origin": "file",
        }
        kept = pd.concat([kept, pd.DataFrame([row])], ignore_index=True)
    kept = kept.sort_values("version", ascending=False, ignore_index=True)
    return kept.assign(active=kept.index == 0)


def scheme_version(store: Store, file_scheme: Scheme, version: int) -> Scheme:
    """One version of a scheme: from the store, else the file when it has that number."""
    text = store.scheme_version_text(file_scheme.id, version)
    if text is not None:
        return from_toml(text, f"{file_scheme.id} v{version}")
    if version == file_scheme.version:
        return file_scheme
    raise SchemeError(file_scheme.id, [f"version {version} is not kept"])


def active_scheme(store: Store, file_scheme: Scheme) -> Scheme:
    """The version in use: the highest number among the store's adopted versions and the file."""
    newest = versions(store, file_scheme)["version"].iloc[0]
    return scheme_version(store, file_scheme, int(newest))


def adopt(store: Store, file_scheme: Scheme, scenario: Scheme, note: str) -> Scheme:
    """Keep a scenario as the scheme's next version (the file's version is kept first, once)."""
    newest = int(versions(store, file_scheme)["version"].iloc[0])
    number = newest + 1
    text = to_toml(
        with_version(scenario.raw, number),
        f"{scenario.name_zh} · {scenario.name_en} v{number}\n{note}".strip(),
    )
    checked = from_toml(text, f"{file_scheme.id} v{number}")
    baseline = None
    if file_scheme.raw and store.scheme_version_text(file_scheme.id, file_scheme.version) is None:
        baseline = (file_scheme.version, to_toml(file_scheme.raw, file_scheme.source))
    store.add_scheme_version(file_scheme.id, number, text, note, baseline=baseline)
    return checked
