"""What the services' command-line modules share: a request to a service that turns the service's
refusals of bad input into a usage error (exit 2 with the reason), and printing an answer as JSON or
as lines. Used by `services.<name>.cli` modules; the composition root (comptoir/cli.py) runs them."""

from __future__ import annotations

import argparse
import json
import uuid
from collections.abc import Collection

from pydantic import BaseModel

from libs.common.errors import RemoteError, UsageError
from libs.common.messages import Message
from libs.common.rpc import ReplyT, RpcClient
from libs.common.settings import get_settings


async def ask(body: Message, reply: type[ReplyT], bad_input: Collection[str], *, timeout: float | None = None,
              writes: bool = False) -> ReplyT:
    """One request from the command line. `writes`: under a fresh request id (the service's request
    log makes a redelivery act once); a refusal whose code is in `bad_input` is a UsageError."""
    async with RpcClient(get_settings(), source="cli") as rpc:
        try:
            return await rpc.request(body.TYPE, body, reply, timeout=timeout,
                                     request_id=uuid.uuid4() if writes else None)
        except RemoteError as exc:
            if exc.code in bad_input:
                raise UsageError(f"{exc.code}: {exc.message}") from None
            raise


def show(args: argparse.Namespace, model: BaseModel, lines: list[str]) -> int:
    """The answer as indented JSON with `--json`, else as the given lines; exit code 0."""
    print(json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=2) if args.json else "\n".join(lines))
    return 0
