"""The planners' what-if workbench: a Streamlit app over the public API of :mod:`twin`.

Start it with ``r2r dashboard`` or ``make dashboard``; ``app.py`` is the entry script and
``views/`` holds one module per page.
"""
