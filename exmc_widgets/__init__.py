"""The live dashboard for Exmc: anywidget + BokehJS, amber on true black.

``exmc_widgets.stream(ir, draws=500, chains=4)`` shows the dashboard and samples in the
background; ``exmc_widgets.dashboard(trace)`` shows a finished trace.
"""

from exmc_widgets.dashboard import Dashboard, dashboard, stream

__all__ = ["stream", "dashboard", "Dashboard", "load_ipython_extension"]


def load_ipython_extension(ipython) -> None:
    """``%load_ext exmc_widgets``: registers the ``%exmc`` / ``%%exmc`` magics (exmc_widgets.magic)."""
    from exmc_widgets.magic import load_ipython_extension as load

    load(ipython)
