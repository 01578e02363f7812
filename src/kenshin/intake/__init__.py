"""Taking information in: engagement files, hearing sheets, vendor answers."""

from kenshin.intake.engagement_file import (
    IntakeError,
    Problem,
    date_of,
    dump_text,
    parse_bytes,
    parse_text,
    read_file,
    to_document,
    validate_document,
)

__all__ = [
    "IntakeError",
    "Problem",
    "date_of",
    "dump_text",
    "parse_bytes",
    "parse_text",
    "read_file",
    "to_document",
    "validate_document",
]
