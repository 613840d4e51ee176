"""The app's pages by their address, so that one page can send the planner to another.

``app.py`` registers the pages it serves; a page run on its own (a test) has none registered,
and :func:`go_to` then says where to go instead.
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage

_PAGES: dict[str, StreamlitPage] = {}


def register(pages: list[StreamlitPage]) -> None:
    """The pages ``st.navigation`` serves, by their address."""
    _PAGES.update({page.url_path: page for page in pages})


def go_to(url_path: str, title: str) -> None:
    """Open the page at ``url_path`` (or, if none is registered, say to open ``title``)."""
    page = _PAGES.get(url_path)
    if page is None:
        st.info(f"Open the {title} page.")
        return
    st.switch_page(page)
