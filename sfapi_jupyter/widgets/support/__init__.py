"""What the widgets share and the notebook layer uses: no widget lives here.

* :mod:`.mainthread` — the dispatcher: every widget change runs on the kernel's main thread;
* :mod:`.formatting` — the palette (``states.json``, ``status_colours.json``), durations, times;
* :mod:`.static_html` — the building blocks of the static HTML saved with a notebook;
* :mod:`.lines` — a bounded buffer of output lines, and text as a terminal shows it.

Importing this package imports none of them: ``%load_ext sfapi_jupyter`` needs only the
dispatcher.
"""
