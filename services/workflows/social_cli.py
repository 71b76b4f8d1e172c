"""`comptoir social list [--status S] [--json] | approve ID | reject ID [--reason R]`.

Asks the running workflows service (`social.*` requests, libs/common/events/social.py). An unknown
id or a post that is no longer pending exits with 2 and the reason.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, get_args

from libs.common import cli
from libs.common.errors import UsageError
from libs.common.events.social import (
    ApproveSocialPost,
    ListSocialPosts,
    PostStatus,
    RejectSocialPost,
    SocialPost,
    SocialPostList,
    SocialPostReply,
)

USAGE_CODES = frozenset({"not_found", "invalid_state", "invalid_post", "bad_request"})


def register(subparsers: Any) -> None:
    social = subparsers.add_parser("social", help="the social publication queue (Facebook, Instagram)")
    sub = social.add_subparsers(dest="social_command", required=True)
    listing = sub.add_parser("list", help="queued posts, newest first")
    listing.add_argument("--status", choices=get_args(PostStatus), help="only posts in this status")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="one JSON object per post")
    listing.set_defaults(handler=list_command)
    approve = sub.add_parser("approve", help="approve a pending post (it is then published)")
    approve.add_argument("id", help="the queued post's id (see `comptoir social list`)")
    approve.add_argument("--by", default="cli", help="who approves (default cli)")
    approve.set_defaults(handler=approve_command)
    reject = sub.add_parser("reject", help="reject a pending post")
    reject.add_argument("id", help="the queued post's id (see `comptoir social list`)")
    reject.add_argument("--reason", default="", help="why (kept with the post)")
    reject.add_argument("--by", default="cli", help="who rejects (default cli)")
    reject.set_defaults(handler=reject_command)


def line(post: SocialPost) -> str:
    when = f" at {post.scheduled_at}" if post.scheduled_at else ""
    media = f" [{post.media_type}]" if post.media_url else ""
    text = post.content.replace("\n", " ")
    text = text if len(text) <= 60 else text[:59] + "…"
    extra = f" — {post.error_message}" if post.error_message else ""
    return f"{post.id}  {post.status:<9} {','.join(post.platforms):<18}{media}{when}  {text}{extra}"


async def _ask(body: Any, reply: type[Any]) -> Any:
    return await cli.ask(body, reply, USAGE_CODES, writes=True)


async def list_command(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 500:
        raise UsageError("--limit must be between 1 and 500")
    result: SocialPostList = await _ask(ListSocialPosts(status=args.status, limit=args.limit),
                                        SocialPostList)
    for post in result.posts:
        print(json.dumps(post.model_dump(mode="json"), ensure_ascii=False) if args.json else line(post))
    return 0


async def approve_command(args: argparse.Namespace) -> int:
    reply: SocialPostReply = await _ask(ApproveSocialPost(id=args.id, approved_by=args.by),
                                        SocialPostReply)
    print(line(reply.post))
    return 0


async def reject_command(args: argparse.Namespace) -> int:
    reply: SocialPostReply = await _ask(RejectSocialPost(id=args.id, reason=args.reason, rejected_by=args.by),
                                        SocialPostReply)
    print(line(reply.post))
    return 0
