"""The live dashboard for Exmc (anywidget + BokehJS). Arrives with a later issue."""
