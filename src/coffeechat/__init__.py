"""coffeechat: an assistant for informational interviews and networking."""

__version__ = "0.1.0"
