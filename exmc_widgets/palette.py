"""The seed's palette: amber on true black (seed section X).

True black on every surface (off pixels on OLED screens); warm colours that keep night
vision; red marks divergences, blue the energy transitions, white the forest plot's means.
The front end receives these in the dashboard's spec, so the colours live in one place.
"""

from __future__ import annotations

BACKGROUND = "#000000"
AMBER = "#FFB000"
TEXT = "#FFD9A0"  # warm off-white for labels and numbers
MUTED = "#8A6A3A"  # axes, grid lines, warmup shading
GRID = "#2A1E0E"
RED = "#FF3B30"
BLUE = "#4DA3FF"
WHITE = "#FFFFFF"

# Ten chain colours through the warm spectrum, amber first.
CHAINS = (
    "#FFB000",  # amber
    "#FF6A00",  # deep orange
    "#FFE45C",  # gold (light, apart from amber)
    "#B33C00",  # burnt orange (dark, apart from deep orange)
    "#FF9F1C",  # tangerine
    "#FFE066",  # pale gold
    "#E2725B",  # terracotta
    "#FFC04D",  # light amber
    "#B8860B",  # dark goldenrod
    "#FF8C69",  # salmon
)


def chain_colour(chain: int) -> str:
    """Chain ``chain``'s colour; the ten colours cycle for more chains."""
    return CHAINS[chain % len(CHAINS)]


def as_dict() -> dict[str, object]:
    return {
        "background": BACKGROUND, "amber": AMBER, "text": TEXT, "muted": MUTED, "grid": GRID,
        "red": RED, "blue": BLUE, "white": WHITE, "chains": list(CHAINS),
    }
