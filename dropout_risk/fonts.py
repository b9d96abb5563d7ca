"""Chinese names in matplotlib charts (townships, reasons): the first CJK font installed."""

from __future__ import annotations

CJK_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "SimHei", "PingFang SC")


def plot_style() -> str | None:
    """Let matplotlib draw Chinese names (townships, reasons): the first CJK font installed.

    Returns the font family used, or None when none is installed (names then show as boxes).
    """
    import glob

    import matplotlib
    from matplotlib import font_manager

    # Matplotlib's cache may predate the fonts (Debian's fonts-noto-cjk ships .ttc files).
    for path in glob.glob("/usr/share/fonts/**/*CJK*.tt[cf]", recursive=True):
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in installed:
            matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["axes.unicode_minus"] = False
            return family
    return None
