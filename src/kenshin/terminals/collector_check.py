"""The collector's static check (PSScriptAnalyzer cannot run here; this can).

It proves, from the script's text, that:

- every section of the ``kenshin.terminal/1`` payload has a ``# == section: NAME ==``
  block in the script, the block names the commands/registry keys the schema's
  ``x-kenshin-source`` lists, and it assigns every field the schema requires;
- every cmdlet the script calls is in ``data/ps51_cmdlets.yaml`` (cmdlets present in
  Windows PowerShell 5.1), and none is a PowerShell 7-only cmdlet;
- cmdlets marked ``guarded`` (``Get-MpComputerStatus``, absent on Windows 7) are only
  called after a ``Get-Command`` check;
- every ``Get-WmiObject`` call sits inside a ``try`` block (a broken WMI repository must
  cost one item, not the whole file);
- no value Windows may leave empty is cast with ``[bool]`` (which turns "unknown" into
  "no"): ``ConvertTo-BoolOrNull`` keeps it null.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from kenshin.terminals.knowledge import load_data
from kenshin.terminals.parse import schema

_VERBS = (
    "Add|Clear|Close|Compare|Complete|Compress|Confirm|Connect|ConvertFrom|ConvertTo|Copy|"
    "Debug|Disable|Disconnect|Dismount|Enable|Enter|Exit|Expand|Export|Find|ForEach|Format|"
    "Get|Grant|Group|Hide|Import|Initialize|Install|Invoke|Join|Limit|Lock|Measure|Merge|"
    "Mount|Move|New|Open|Out|Ping|Pop|Protect|Publish|Push|Read|Receive|Register|Remove|"
    "Rename|Repair|Request|Reset|Resize|Resolve|Restart|Restore|Resume|Revoke|Save|Search|"
    "Select|Send|Set|Show|Skip|Sort|Split|Start|Step|Stop|Submit|Suspend|Switch|Sync|Tee|"
    "Test|Trace|Unblock|Undo|Uninstall|Unlock|Unprotect|Unpublish|Unregister|Update|Use|"
    "Wait|Watch|Where|Write"
)
_CMDLET = re.compile(rf"(?<![\w$-])(?:{_VERBS})-[A-Z][A-Za-z0-9]+\b")
_FUNCTION = re.compile(r"^\s*function\s+([\w-]+)", re.MULTILINE | re.IGNORECASE)
_SECTION = re.compile(
    r"^# == section: (?P<name>\w+) ==(?P<header>.*?)$(?P<body>.*?)^# == end ==",
    re.MULTILINE | re.DOTALL,
)


@cache
def allowlist() -> dict[str, Any]:
    return load_data("ps51_cmdlets.yaml")


def script_product_filter(script: str) -> str:
    """The regular expression the collector uses to keep antivirus/device-control programs."""
    found = re.search(r"^\$productFilter = '([^']+)'", script, re.MULTILINE)
    if found is None:
        raise ValueError("the collector has no $productFilter line")
    return found.group(1)


def strip_comments_and_strings(script: str) -> str:
    """The script's code only: block and line comments and string literals blanked."""
    without_blocks = re.sub(r"<#.*?#>", " ", script, flags=re.DOTALL)
    lines = []
    for line in without_blocks.splitlines():
        code = re.sub(r"'[^']*'", "''", line)
        code = re.sub(r'"(?:[^"`]|`.)*"', '""', code)
        code = code.split("#", 1)[0]
        lines.append(code)
    return "\n".join(lines)


def script_cmdlets(script: str) -> set[str]:
    """Cmdlets the script calls (its own functions excluded)."""
    code = strip_comments_and_strings(script)
    own = {name.casefold() for name in _FUNCTION.findall(code)}
    return {c for c in _CMDLET.findall(code) if c.casefold() not in own}


def script_sections(script: str) -> dict[str, str]:
    """Section name -> the text of its block (header comment included)."""
    return {m["name"]: m["header"] + m["body"] for m in _SECTION.finditer(script)}


def _source_words(source: str) -> list[str]:
    """``Get-WmiObject -Namespace X Class`` -> the words that must appear in the block."""
    return [w for w in source.split() if not w.startswith("-")]


def unbalanced(code: str) -> list[str]:
    """Brackets that do not pair up in code (comments and strings already blanked)."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    problems = []
    for number, line in enumerate(code.splitlines(), start=1):
        for char in line:
            if char in "([{":
                stack.append((char, number))
            elif char in pairs:
                if not stack or stack[-1][0] != pairs[char]:
                    problems.append(f"line {number}: unexpected {char!r}")
                    return problems
                stack.pop()
    problems += [f"line {number}: {char!r} is never closed" for char, number in stack]
    return problems


def unguarded_wmi_calls(script: str) -> list[int]:
    """Line numbers of ``Get-WmiObject`` calls outside any ``try { }`` block."""
    code = strip_comments_and_strings(script)
    found = []
    depth_of_try: list[int] = []
    depth = 0
    pending_try = False
    for number, line in enumerate(code.splitlines(), start=1):
        if re.search(r"\btry\s*\{?", line):
            pending_try = True
        for index, char in enumerate(line):
            if char == "{":
                depth += 1
                if pending_try:
                    depth_of_try.append(depth)
                    pending_try = False
            elif char == "}":
                if depth_of_try and depth_of_try[-1] == depth:
                    depth_of_try.pop()
                depth -= 1
            elif line.startswith("Get-WmiObject", index) and not depth_of_try:
                found.append(number)
    return found


# A [bool] cast is fine on values that always exist (IsInRole's answer, a comparison).
_BOOL_CAST = re.compile(r"\[bool\]\s*\$(?!principal\b)\w+\.(?!Disabled\b)\w+")


def bool_casts_of_optional_values(script: str) -> list[int]:
    """Line numbers where a WMI/cmdlet property is cast with [bool] (unknown -> false)."""
    code = strip_comments_and_strings(script)
    return [n for n, line in enumerate(code.splitlines(), start=1) if _BOOL_CAST.search(line)]


def check_collector(script: str) -> list[str]:
    """Problems found in the script (an empty list means it passes)."""
    problems: list[str] = list(unbalanced(strip_comments_and_strings(script)))
    allowed = {name.casefold() for name in allowlist()["cmdlets"]}
    ps7_only = {name.casefold() for name in allowlist()["powershell7_only"]}
    for cmdlet in sorted(script_cmdlets(script)):
        if cmdlet.casefold() in ps7_only:
            problems.append(
                f"{cmdlet} exists only in PowerShell 6/7, not in Windows PowerShell 5.1"
            )
        elif cmdlet.casefold() not in allowed:
            problems.append(f"{cmdlet} is not in the PowerShell 5.1 allowlist (ps51_cmdlets.yaml)")
    code = strip_comments_and_strings(script)
    for name, spec in allowlist()["cmdlets"].items():
        if not spec.get("guarded"):
            continue
        guard = re.search(rf"Get-Command\s+-Name\s+{re.escape(name)}", code)
        calls = [
            m.start()
            for m in re.finditer(re.escape(name), code)
            if guard is None or not guard.start() <= m.start() < guard.end()
        ]
        if calls and (guard is None or min(calls) < guard.start()):
            problems.append(f"{name} is called without a Get-Command guard")
    problems += [
        f"line {n}: Get-WmiObject outside a try block" for n in unguarded_wmi_calls(script)
    ]
    problems += [
        f"line {n}: [bool] cast of a value Windows may leave empty (use ConvertTo-BoolOrNull)"
        for n in bool_casts_of_optional_values(script)
    ]
    sections = script_sections(script)
    payload = schema()["$defs"]["payload"]
    for section in payload["required"]:
        if section == "schema":
            if not re.search(r"\$payload\['schema'\]\s*=", script):
                problems.append("the payload's schema field is not set")
            continue
        block = sections.get(section)
        if block is None:
            problems.append(f"no '# == section: {section} ==' block in the script")
            continue
        definition = payload["properties"][section]
        for source in definition.get("x-kenshin-source", []):
            for word in _source_words(source):
                if word not in block:
                    problems.append(f"section {section}: source {source!r} is not used ({word})")
        for field in definition.get("required", []):
            if not re.search(rf"\['{re.escape(field)}'\]\s*=", block):
                problems.append(f"section {section}: required field {field!r} is never assigned")
        if not re.search(rf"\$payload\['{section}'\]\s*=", script):
            problems.append(f"section {section} is not put into the payload")
    return problems
