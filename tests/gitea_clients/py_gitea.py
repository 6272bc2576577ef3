"""Drives mirrorforge with `py-gitea`, an independent, hand-written Gitea client: a
migration as a mirror and a mirror-sync, as a backup script written with it does.

Environment: MF_BASE, MF_TOKEN, MF_UPSTREAM, MF_NAME (the repository to make).
Prints one JSON object of what it saw.
"""
import json
import os
import sys

from gitea import Gitea, Repository

base, name = os.environ["MF_BASE"], os.environ["MF_NAME"]
gitea = Gitea(base, token_text=os.environ["MF_TOKEN"])
me = gitea.get_user()
repo = Repository.migrate_repo(
    gitea,
    service="git",
    clone_addr=os.environ["MF_UPSTREAM"],
    repo_name=name,
    mirror=True,
    mirror_interval="10m",
    description="kept by py-gitea",
)
if repo.name != name or not repo.mirror:
    print(f"migrate_repo: unexpected {repo!r}", file=sys.stderr)
    sys.exit(1)
gitea.requests_post(f"/repos/{me.username}/{name}/mirror-sync", {})
print(json.dumps({"version": gitea.get_version(), "login": me.username, "mirror_interval": repo.mirror_interval}))
