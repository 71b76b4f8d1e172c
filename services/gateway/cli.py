"""`comptoir admin create-user EMAIL --role owner|adviser [--name NAME]`: a console login.

The password is read from standard input (first line), or asked twice on a terminal; it is never an
argument (it would stay in the shell history and the process list). An existing e-mail gets the new
name, role and password. Exit 0 and one line; bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from libs.common.db import create_pool
from libs.common.settings import get_settings
from services.gateway.console import users


def register(subparsers: Any) -> None:
    admin = subparsers.add_parser("admin", help="owner console administration")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    create = sub.add_parser("create-user", help="create (or reset) a console user; password from stdin or asked")
    create.add_argument("email", help="the login (an e-mail address)")
    create.add_argument("--role", required=True, choices=users.ROLES,
                        help="owner: every page; adviser: conversations, leads, quotes")
    create.add_argument("--name", help="the name visitors see (default: the e-mail's local part)")
    create.set_defaults(handler=_create_user)


def read_password(stdin: Any = None) -> str:
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise users.UserError("the two passwords differ")
        return first
    return str(stream.readline()).rstrip("\r\n")


async def _create_user(args: argparse.Namespace) -> int:
    try:
        password = read_password()
        users.check_new_user(args.email, args.role, args.name, password)
    except users.UserError as exc:
        print(f"comptoir: error: {exc}", file=sys.stderr)
        return 2
    pool = await create_pool(get_settings(), min_size=1, max_size=2)
    try:
        user, created = await users.create_user(pool, args.email, args.role, args.name, password)
    finally:
        await pool.close()
    print(f"{'created' if created else 'updated'} {user.role} {user.email} ({user.name})")
    return 0
