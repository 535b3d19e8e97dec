"""The live dashboard for Exmc: anywidget + BokehJS, amber on true black.

``exmc_widgets.stream(ir, draws=500, chains=4)`` shows the dashboard and samples in the
background; ``exmc_widgets.dashboard(trace)`` shows a finished trace;
``exmc_widgets.save_dashboard(trace, path)`` writes it as one self-contained HTML file.
"""

from exmc_widgets.dashboard import Dashboard, dashboard, stream

__all__ = ["stream", "dashboard", "save_dashboard", "Dashboard", "load_ipython_extension"]


def __getattr__(name: str):
    # the HTML writer loads BokehJS's files: only when asked for
    if name == "save_dashboard":
        from exmc_widgets.html import save_dashboard

        return save_dashboard
    raise AttributeError(f"module 'exmc_widgets' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:
    """``%load_ext exmc_widgets``: registers the ``%exmc`` / ``%%exmc`` magics (exmc_widgets.magic)."""
    from exmc_widgets.magic import load_ipython_extension as load

    load(ipython)
