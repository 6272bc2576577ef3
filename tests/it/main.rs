//! The one integration test binary: the real server on 127.0.0.1, the real `git` client, a real
//! SQLite file and a real PostgreSQL database. Every test runs against both databases.

// Tests stop at the first surprise; unwrap says so as well as expect.
#![allow(clippy::unwrap_used)]

mod support;

mod account_mirrors;
mod api_repos;
mod api_user;
mod auth_schemes;
mod cli;
mod e2e_account_mirrors;
mod e2e_browser;
mod e2e_confirmations;
mod e2e_orgs;
mod e2e_page_style;
mod e2e_phone_width;
mod e2e_protection;
mod e2e_push_ref_map;
mod e2e_ref_map;
mod e2e_restore;
mod e2e_sections;
mod e2e_shallow;
mod e2e_status_words;
mod events;
mod git_http;
mod hot_paths;
mod kept_refs;
mod lfs;
mod lfs_mirror;
mod lfs_ssh;
mod lifecycle;
mod login_throttle;
mod metrics_bounds;
mod mirror_api;
mod mirror_errors;
mod mirror_hardening;
mod mirror_process;
mod mirror_protection;
mod mirror_requests;
mod mirror_wording;
mod openapi;
mod operations;
mod operations_overview;
mod orgs;
mod part_state;
mod push_mirror_off;
mod push_mirrors;
mod races;
mod ref_map;
mod repo_search;
mod restore;
mod restore_killed;
mod scheduler;
mod shallow;
mod ssh_host_keys;
mod ssh_keys;
mod ssh_remotes;
mod stalled_bodies;
mod sync_priority;
mod timeouts;
mod user_repo_listing;
mod web_account_mirrors;
mod web_auth;
mod web_headers;
mod web_host_key_check;
mod web_mirror;
mod web_mirror_keys;
mod web_mirror_sections;
mod web_operations;
mod web_orgs;
mod web_push_mirrors;
mod web_push_ref_map;
mod web_repo;
mod web_status_words;
mod webhook_privacy;
