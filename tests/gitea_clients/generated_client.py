"""Drives mirrorforge with `gitea-api-client`, the client generated from Gitea's OpenAPI
document, through what a migration tool does. Every answer is parsed by the client's own
models; any error, refusal or unexpected value exits non-zero with the step named.

Environment: MF_BASE (http://127.0.0.1:PORT), MF_TOKEN, MF_UPSTREAM (a clone URL),
MF_PUSH_TARGET (a URL to push to; MF_PUSH_USER and MF_PUSH_PASSWORD sign in there),
MF_ORG (the organisation to make).
Prints one JSON object of what it saw.
"""
import asyncio
import json
import os
import sys

import gitea_api_client as g


def need(condition, step, seen):
    if not condition:
        print(f"step {step}: unexpected {seen!r}", file=sys.stderr)
        sys.exit(1)


async def main():
    base, org = os.environ["MF_BASE"], os.environ["MF_ORG"]
    config = g.Configuration(host=base + "/api/v1")
    config.api_key["AuthorizationHeaderToken"] = os.environ["MF_TOKEN"]
    config.api_key_prefix["AuthorizationHeaderToken"] = "token"
    seen = {}
    async with g.ApiClient(config) as client:
        misc, users = g.MiscellaneousApi(client), g.UserApi(client)
        orgs, repos = g.OrganizationApi(client), g.RepositoryApi(client)

        version = await misc.get_version()
        need("+mirrorforge." in (version.version or ""), "version", version)
        seen["version"] = version.version

        me = await users.user_get_current()
        need(me.login and me.id, "user_get_current", me)
        seen["login"] = me.login

        made = await orgs.org_create(
            g.CreateOrgOption(username=org, full_name="Mirrors of upstream", visibility="private")
        )
        need(made.name == org and made.visibility == "private", "org_create", made)

        scratch = await repos.create_current_user_repo(
            g.CreateRepoOption(name="scratch", auto_init=True, default_branch="main", private=True)
        )
        need(
            scratch.owner.login == me.login and not scratch.empty and scratch.default_branch == "main",
            "create_current_user_repo",
            scratch,
        )
        in_org = await orgs.create_org_repo(org, g.CreateRepoOption(name="notes", auto_init=False))
        need(in_org.owner.login == org and in_org.empty, "create_org_repo", in_org)


        migrated = await repos.repo_migrate(
            g.MigrateRepoOptions(
                clone_addr=os.environ["MF_UPSTREAM"],
                repo_name="mirrored",
                repo_owner=org,
                mirror=True,
                mirror_interval="8h0m0s",
                service="git",
                wiki=True,
                issues=True,
            )
        )
        need(migrated.mirror and migrated.owner.login == org, "repo_migrate", migrated)
        seen["mirror_interval"] = migrated.mirror_interval

        for _ in range(600):
            got = await repos.repo_get(org, "mirrored")
            if not got.empty:
                break
            await asyncio.sleep(0.1)
        need(not got.empty, "repo_get until not empty", got)
        need(got.permissions.admin and got.permissions.push, "repo_get permissions", got)
        seen["default_branch"] = got.default_branch

        await repos.repo_mirror_sync(org, "mirrored")

        edited = await repos.repo_edit(
            org,
            "mirrored",
            g.EditRepoOption(mirror_interval="2h30m", description="kept by mirrorforge", has_wiki=False),
        )
        need(edited.mirror_interval == "2h30m0s", "repo_edit", edited)
        seen["edited_interval"] = edited.mirror_interval

        listed = await orgs.org_list_repos(org, page=1, limit=10)
        need(
            [r.full_name for r in listed] == [f"{org}/notes", f"{org}/mirrored"], "org_list_repos", listed
        )

        added = await repos.repo_add_push_mirror(
            org,
            "mirrored",
            g.CreatePushMirrorOption(
                remote_address=os.environ["MF_PUSH_TARGET"],
                remote_username=os.environ.get("MF_PUSH_USER"),
                remote_password=os.environ.get("MF_PUSH_PASSWORD"),
                interval="8h0m0s",
                sync_on_commit=False,
            ),
        )
        need(added.remote_address == os.environ["MF_PUSH_TARGET"], "repo_add_push_mirror", added)

        mirrors = await repos.repo_list_push_mirrors(org, "mirrored")
        need(
            [m.remote_address for m in mirrors] == [os.environ["MF_PUSH_TARGET"]],
            "repo_list_push_mirrors",
            mirrors,
        )
        seen["push_mirror_interval"] = mirrors[0].interval

        await repos.repo_push_mirror_sync(org, "mirrored")
    print(json.dumps(seen))


asyncio.run(main())
