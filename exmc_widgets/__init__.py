"""The live dashboard for Exmc (anywidget + BokehJS). Arrives with a later issue."""


def load_ipython_extension(ipython) -> None:
    """``%load_ext exmc_widgets``: registers the ``%exmc`` / ``%%exmc`` magics (exmc_widgets.magic)."""
    from exmc_widgets.magic import load_ipython_extension as load

    load(ipython)
