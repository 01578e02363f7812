"""A router's Telnet login: real IAC negotiation, then the vendor's prompts.

Options: ``flavor`` = yamaha (YAMAHA RTX: only "Password:", no username; a factory-fresh
unit has an empty password) | nec_ix (NEC UNIVERGE IX: "login:"/"Password:") | cisco
(Cisco IOS "User Access Verification"); ``password`` (empty = factory default: an
empty password logs in); ``model``/``firmware`` override the flavour's defaults;
``banner_first`` ("true") prints the banner's model/revision line before the prompt, as
a router whose login banner shows it ("RTX1210 Rev.14.01.38 (...)"): the version on
this port only, for the device-fusion twins (issue 15).
After a successful login it shows the vendor's banner and prompt and answers only its
show-version command, ``exit``/``quit``; anything else gets the vendor's error line.
Nothing is ever executed. Every login attempt is logged to stderr (never the password).
"""

from __future__ import annotations

import asyncio
import hmac

from kenshin.lab.emulators import settings
from kenshin.lab.emulators._appliance import fill
from kenshin.lab.emulators._common import choice, data, flag, log, send, serve_tcp
from kenshin.lab.emulators._telnet import TelnetSession, negotiation

NAME = "telnet_router"


async def serve(host: str, port: int, **options: str) -> None:
    opts = settings(NAME, options)
    flavors = data(NAME)["flavors"]
    flavor = flavors[choice(opts["flavor"], "flavor", flavors)]
    values = {
        "model": opts["model"] or str(flavor["model"]),
        "firmware": opts["firmware"] or str(flavor["firmware"]),
    }
    password = opts["password"]
    offered = negotiation(flavor["negotiation"])

    def text(key: str) -> bytes:
        return fill(str(flavor[key]), values).encode()

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        telnet = TelnetSession(reader, writer, offered)
        greeting = text("pre_login")
        if flag(opts["banner_first"], "banner_first"):
            first = next(line for line in text("banner").splitlines() if line.strip())
            greeting += first + b"\r\n"
        if not await send(writer, offered + greeting):
            return
        tries = int(flavor["tries"])
        asks_user = bool(flavor["username_prompt"])
        await send(writer, text("username_prompt" if asks_user else "password_prompt"))
        logged_in = False
        for attempt in range(1, tries + 1):
            if asks_user:
                if await telnet.read_line(echo=True) is None:
                    return
                await send(writer, text("password_prompt"))
            given = await telnet.read_line(echo=False)
            if given is None:
                return
            logged_in = hmac.compare_digest(given, password.encode())
            where = peer[0] if peer else "?"
            verdict = "accepted" if logged_in else "rejected"
            log(NAME, f"login attempt {attempt} from {where}: {verdict}")
            if logged_in:
                break
            if attempt < tries:
                await send(writer, text("failure"))
        if not logged_in:
            await send(writer, text("failure_final"))
            return
        await send(writer, b"\r\n" + text("banner") + text("prompt"))
        for _ in range(50):
            line = await telnet.read_line(echo=True, timeout=60.0)
            if line is None:
                return
            command = line.decode("latin-1").strip()
            if command in ("exit", "quit", "logout"):
                return
            if command == flavor["show_version_command"]:
                await send(writer, text("show_version"))
            elif command:
                await send(writer, text("unknown_command"))
            await send(writer, text("prompt"))

    await serve_tcp(NAME, host, port, session)
