"""Single-leg stance analyzer: which hip abductor (gluteus medius) is weak, from a video."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stance")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
