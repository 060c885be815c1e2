"""Start the dashboard: `python -m ui.serve [streamlit options]` (what ./run.sh does).

Streamlit decides on the first script run of a server whether the app uses the old automatic
pages/ folder (`PagesManager.uses_pages_directory`). With st.navigation in app.py beside a pages/
folder, the first visitor of a deep link such as /imports then gets the folder's pages without
the entry script (no shared sidebar, wrong page list). Deciding it before any session starts
removes that glitch; `streamlit run app.py` still works, with the glitch on a fresh server.
Without accounts (no sign-in) the server listens on this computer only.
"""

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from engine import paths
from engine.accounts import account_source, kept_in_store
from engine.store import Store


def main() -> None:
    PagesManager.uses_pages_directory = False
    options = sys.argv[1:]
    # (a PostgreSQL store holds the accounts of every process over it; else the accounts file)
    accounts = account_source(Store() if kept_in_store() else None).load()
    if not accounts.sign_in_required and "--server.address" not in options:
        # Without accounts there is no sign-in: serve this computer only.
        options = ["--server.address", "127.0.0.1", *options]
    sys.argv = ["streamlit", "run", str(paths.ROOT / "app.py"), *options]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
