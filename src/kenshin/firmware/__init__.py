"""Firmware checks: device version strings and pasted outputs, checked against vulndb.

``parse_device_output(text)`` reads what a vendor pasted; ``check_engagement(engagement,
kb)`` turns every device of an engagement into findings (one per device and CVE, and
one configuration finding per device whose version was not obtained).
"""

from kenshin.firmware.check import check_device, check_engagement, missing_answer_severity
from kenshin.firmware.parsers import ParsedDeviceOutput, parse_device_output

__all__ = [
    "ParsedDeviceOutput",
    "check_device",
    "check_engagement",
    "missing_answer_severity",
    "parse_device_output",
]
