"""mozartc: map Mixture-of-Experts training onto the Mozart 3.5D wafer-scale chiplet system.

Importing the package is cheap: torch, OR-Tools and matplotlib load only when a command needs them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
