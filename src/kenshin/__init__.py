"""kenshin (健診): a security check-up of a hospital's external connection points and terminals."""

__version__ = "0.1.0"
