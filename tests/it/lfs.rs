//! The Git LFS server: the stock `git lfs` client pushes and clones through it; uploads are
//! checked against their oid and size; the same rules as git decide who reads and writes; a
//! repository hands out only the objects it references; a 1 GiB object streams both ways in
//! little memory.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::Frame;
use mirrorforge::entities::{mirror_enums::MirrorDirection, repository};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use sha2::{Digest, Sha256};

use crate::support::{
    Db, Git, TestServer,
    lfs::{
        Auth, MEDIA_TYPE, batch, expect_lfs_error, get, object_path, oid_of, pseudo_random, put,
        send_batch, stored_files, verify,
    },
    on_both_databases,
    process::{ServerProcess, cli_user_with_token},
};

on_both_databases!(
    the_stock_client_pushes_and_clones_lfs_files,
    a_tampered_upload_is_refused_and_leaves_nothing,
    readers_writers_and_strangers_as_for_git,
    a_pull_mirror_refuses_lfs_uploads,
    objects_above_the_limit_are_refused,
    deleting_a_repository_removes_the_objects_only_it_references,
    a_gigabyte_streams_both_ways_in_little_memory,
);

async fn the_stock_client_pushes_and_clones_lfs_files(db: Db) {
    let s = TestServer::start(&db).await;
    s.create_admin("root").await;
    let alice = s.create_user("alice").await;
    s.create_repo(&alice, "assets", true).await;
    let url = s.git_url(Some(("alice", &alice.token)), "alice", "assets");
    let git = Git::new();
    git.lfs_install().await;

    let work = git.init_lfs("work").await;
    let first = pseudo_random(300 * 1024, 1);
    let second = pseudo_random(700 * 1024, 2);
    std::fs::write(work.join("first.bin"), &first).unwrap();
    std::fs::create_dir(work.join("data")).unwrap();
    std::fs::write(work.join("data/second.bin"), &second).unwrap();
    git.ok(
        &work,
        &["add", ".gitattributes", "first.bin", "data/second.bin"],
    )
    .await;
    git.ok(&work, &["commit", "-q", "-m", "two large files"])
        .await;
    git.ok(&work, &["push", "-q", &url, "main"]).await;

    // The server has the content under DATA_DIR/lfs and pointers in the repository.
    for content in [&first, &second] {
        let stored = std::fs::read(object_path(s.data_dir(), &oid_of(content))).unwrap();
        assert!(stored == *content, "stored object differs");
    }
    assert_eq!(stored_files(s.data_dir()).len(), 2);
    let pointer = git
        .ok(
            &s.repo_dir("alice", "assets"),
            &["cat-file", "-p", "main:first.bin"],
        )
        .await;
    assert!(
        pointer.starts_with("version https://git-lfs.github.com/spec/v1")
            && pointer.contains(&oid_of(&first)),
        "{pointer}"
    );

    // A fresh clone has the real contents, not pointers.
    let (out, clone) = git.clone(&url, "clone", &[]).await;
    assert!(
        out.status.success(),
        "clone: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(clone.join("first.bin")).unwrap() == first);
    assert!(std::fs::read(clone.join("data/second.bin")).unwrap() == second);
    let listed = git.ok(&clone, &["lfs", "ls-files", "--long"]).await;
    assert!(listed.contains(&oid_of(&second)), "{listed}");

    // Pushing again sends nothing new: the server already has both.
    git.commit_file(&work, "README.md", "small\n", "a small file")
        .await;
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    assert_eq!(stored_files(s.data_dir()).len(), 2);
}

async fn a_tampered_upload_is_refused_and_leaves_nothing(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "r", false).await;
    let auth = Auth::Token(&alice.token);
    let content = pseudo_random(4000, 3);
    let oid = oid_of(&content);

    // Another content of the same size, a short one, a long one: all refused.
    let message = expect_lfs_error(
        &put(&s, "alice/r", auth, &oid, pseudo_random(4000, 4)).await,
        422,
    );
    assert!(message.contains("does not match the oid"), "{message}");
    expect_lfs_error(
        &put(&s, "alice/r", auth, &oid, content[..2000].to_vec()).await,
        422,
    );
    let mut longer = content.clone();
    longer.extend_from_slice(b"tail");
    expect_lfs_error(&put(&s, "alice/r", auth, &oid, longer).await, 422);
    expect_lfs_error(
        &put(&s, "alice/r", auth, "not-an-oid", content.clone()).await,
        422,
    );
    assert_eq!(
        stored_files(s.data_dir()),
        Vec::<std::path::PathBuf>::new(),
        "no object and no temporary file"
    );

    // Nothing to verify or download either.
    expect_lfs_error(&verify(&s, "alice/r", auth, &oid, 4000).await, 404);
    expect_lfs_error(&verify(&s, "alice/r", auth, "xyz", 4000).await, 422);
    let missing = batch(&s, "alice/r", auth, "download", &[(&oid, 4000)]).await;
    missing.expect(200);
    assert_eq!(missing.json()["objects"][0]["error"]["code"], 404);

    // The right content is stored, verified and downloadable.
    put(&s, "alice/r", auth, &oid, content.clone())
        .await
        .expect(200);
    verify(&s, "alice/r", auth, &oid, 4000).await.expect(200);
    expect_lfs_error(&verify(&s, "alice/r", auth, &oid, 3999).await, 422);
    let (status, body) = get(&s, "alice/r", auth, &oid).await;
    assert_eq!(status, 200);
    assert!(body == content);
}

async fn readers_writers_and_strangers_as_for_git(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let bob = s.create_user("bob").await;
    s.create_repo(&alice, "secret", true).await;
    s.create_repo(&alice, "open", false).await;
    s.create_repo(&alice, "other", false).await;
    let content = pseudo_random(2048, 5);
    let oid = oid_of(&content);
    let size = 2048;
    let owner = Auth::Token(&alice.token);
    for repo in ["alice/secret", "alice/open"] {
        put(&s, repo, owner, &oid, content.clone())
            .await
            .expect(200);
    }

    // A private repository: others get 404, anonymous callers are asked for credentials.
    let stranger = Auth::Token(&bob.token);
    expect_lfs_error(
        &batch(&s, "alice/secret", stranger, "download", &[(&oid, size)]).await,
        404,
    );
    assert_eq!(get(&s, "alice/secret", stranger, &oid).await.0, 404);
    let anonymous = batch(
        &s,
        "alice/secret",
        Auth::Anonymous,
        "download",
        &[(&oid, size)],
    )
    .await;
    expect_lfs_error(&anonymous, 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        Some("Basic realm=\"mirrorforge\"")
    );
    assert_eq!(get(&s, "alice/secret", Auth::Anonymous, &oid).await.0, 401);
    let wrong = Auth::Basic("alice", "wrong password");
    expect_lfs_error(
        &batch(&s, "alice/secret", wrong, "download", &[(&oid, size)]).await,
        401,
    );

    // The owner by password: the action carries the same Authorization, at an absolute URL.
    let password = Auth::Basic("alice", &alice.password);
    let granted = batch(&s, "alice/secret", password, "download", &[(&oid, size)]).await;
    granted.expect(200);
    assert_eq!(granted.header("content-type"), Some(MEDIA_TYPE));
    let answer = granted.json();
    assert_eq!(answer["transfer"], "basic");
    assert_eq!(answer["hash_algo"], "sha256");
    let download = &answer["objects"][0]["actions"]["download"];
    assert_eq!(
        download["href"],
        s.url(&format!("/alice/secret.git/info/lfs/objects/{oid}"))
    );
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("alice:{}", alice.password)
        )
    );
    assert_eq!(download["header"]["Authorization"], basic.as_str());
    assert_eq!(answer["objects"][0]["authenticated"], true);

    // A public repository: anyone downloads (no header to carry), nobody but the owner uploads.
    let open = batch(
        &s,
        "alice/open",
        Auth::Anonymous,
        "download",
        &[(&oid, size)],
    )
    .await;
    open.expect(200);
    let action = &open.json()["objects"][0]["actions"]["download"];
    assert!(action["header"].is_null(), "{action}");
    let (status, body) = get(&s, "alice/open", Auth::Anonymous, &oid).await;
    assert_eq!(status, 200);
    assert!(body == content);
    // Also without `.git`.
    let bare = s
        .http
        .post(s.url("/alice/open/info/lfs/objects/batch"))
        .body(format!(
            r#"{{"operation":"download","objects":[{{"oid":"{oid}","size":{size}}}]}}"#
        ));
    send_batch(&s, bare).await.expect(200);
    let message = expect_lfs_error(
        &batch(&s, "alice/open", stranger, "upload", &[(&oid, size)]).await,
        403,
    );
    assert!(message.contains("only the owner"), "{message}");
    expect_lfs_error(
        &put(&s, "alice/open", stranger, &oid, content.clone()).await,
        403,
    );
    expect_lfs_error(&verify(&s, "alice/open", stranger, &oid, size).await, 403);
    expect_lfs_error(
        &batch(&s, "alice/open", Auth::Anonymous, "upload", &[(&oid, size)]).await,
        401,
    );
    expect_lfs_error(
        &put(&s, "alice/open", Auth::Anonymous, &oid, content.clone()).await,
        401,
    );

    // Another repository does not hand out what it does not reference, even with the file on
    // disk; an upload to it is asked for (not skipped), then it has it.
    let elsewhere = batch(&s, "alice/other", owner, "download", &[(&oid, size)]).await;
    assert_eq!(elsewhere.json()["objects"][0]["error"]["code"], 404);
    assert_eq!(get(&s, "alice/other", owner, &oid).await.0, 404);
    expect_lfs_error(&verify(&s, "alice/other", owner, &oid, size).await, 404);
    let asked = batch(&s, "alice/other", owner, "upload", &[(&oid, size)])
        .await
        .json();
    let actions = &asked["objects"][0]["actions"];
    assert_eq!(
        actions["upload"]["href"],
        s.url(&format!("/alice/other.git/info/lfs/objects/{oid}"))
    );
    assert_eq!(
        actions["verify"]["href"],
        s.url("/alice/other.git/info/lfs/verify")
    );
    let skipped = batch(&s, "alice/open", owner, "upload", &[(&oid, size)])
        .await
        .json();
    assert!(skipped["objects"][0]["actions"].is_null(), "{skipped}");
    assert!(skipped["objects"][0]["error"].is_null(), "{skipped}");
    put(&s, "alice/other", owner, &oid, content.clone())
        .await
        .expect(200);
    assert_eq!(get(&s, "alice/other", Auth::Anonymous, &oid).await.0, 200);

    // Per-object errors: a bad oid, a negative size; an unknown hash is refused whole.
    let mixed = batch(
        &s,
        "alice/open",
        owner,
        "upload",
        &[("nope", 1), (&oid, -1)],
    )
    .await
    .json();
    assert_eq!(mixed["objects"][0]["error"]["code"], 422);
    assert_eq!(mixed["objects"][1]["error"]["code"], 422);
    let sha1 = s
        .http
        .post(s.url("/alice/open.git/info/lfs/objects/batch"))
        .bearer_auth(&alice.token)
        .body(r#"{"operation":"upload","objects":[],"hash_algo":"sha1"}"#);
    expect_lfs_error(&send_batch(&s, sha1).await, 422);
    // A client that takes only something else is told so (406), in the LFS shape; the media
    // type with a charset, or any JSON, is taken.
    let batch_with = |accept: &str| {
        s.http
            .post(s.url("/alice/open.git/info/lfs/objects/batch"))
            .bearer_auth(&alice.token)
            .header("accept", accept)
            .body(r#"{"operation":"download","objects":[]}"#)
    };
    let message = expect_lfs_error(&send_batch(&s, batch_with("text/html")).await, 406);
    assert!(message.contains(MEDIA_TYPE), "{message}");
    for accept in [
        "application/vnd.git-lfs+json; charset=utf-8",
        "application/json",
        "text/html, */*;q=0.1",
    ] {
        send_batch(&s, batch_with(accept)).await.expect(200);
    }

    // An organisation's private repository: its members read as git does, `write` uploads,
    // `read` may not, a stranger learns nothing, anonymous callers are asked for credentials.
    let carol = s.create_user("carol").await;
    let dave = s.create_user("dave").await;
    let erin = s.create_user("erin").await;
    s.create_org(&carol, "acme").await;
    s.set_role(&carol, "acme", &dave, "write").await;
    s.set_role(&carol, "acme", &erin, "read").await;
    s.create_org_repo(&carol, "acme", "vault", true).await;
    let (writer, reader) = (Auth::Token(&dave.token), Auth::Token(&erin.token));
    let message = expect_lfs_error(
        &batch(&s, "acme/vault", reader, "upload", &[(&oid, size)]).await,
        403,
    );
    assert!(message.contains("write access"), "{message}");
    expect_lfs_error(
        &put(&s, "acme/vault", reader, &oid, content.clone()).await,
        403,
    );
    batch(&s, "acme/vault", writer, "upload", &[(&oid, size)])
        .await
        .expect(200);
    put(&s, "acme/vault", writer, &oid, content.clone())
        .await
        .expect(200);
    for (who, auth) in [
        ("dave", writer),
        ("erin", reader),
        ("carol", Auth::Token(&carol.token)),
    ] {
        batch(&s, "acme/vault", auth, "download", &[(&oid, size)])
            .await
            .expect(200);
        let (status, body) = get(&s, "acme/vault", auth, &oid).await;
        assert_eq!(status, 200, "{who}");
        assert!(body == content, "{who}");
    }
    expect_lfs_error(
        &batch(&s, "acme/vault", stranger, "download", &[(&oid, size)]).await,
        404,
    );
    assert_eq!(get(&s, "acme/vault", stranger, &oid).await.0, 404);
    expect_lfs_error(
        &batch(
            &s,
            "acme/vault",
            Auth::Anonymous,
            "download",
            &[(&oid, size)],
        )
        .await,
        401,
    );
}

async fn a_pull_mirror_refuses_lfs_uploads(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    let created = s.create_repo(&alice, "copy", false).await;
    let content = pseudo_random(1024, 6);
    let oid = oid_of(&content);
    let auth = Auth::Token(&alice.token);
    put(&s, "alice/copy", auth, &oid, content.clone())
        .await
        .expect(200);

    // Turned into a pull mirror.
    let row = repository::Entity::find_by_id(created["id"].as_i64().unwrap())
        .one(&s.conn)
        .await
        .unwrap()
        .unwrap();
    let mut row: repository::ActiveModel = row.into();
    row.mirror_enabled = Set(true);
    row.mirror_direction = Set(MirrorDirection::Upstream);
    row.upstream_url = Set(Some("https://example.com/upstream/copy.git".to_owned()));
    row.update(&s.conn).await.unwrap();

    let other = pseudo_random(1024, 7);
    let refused = batch(&s, "alice/copy", auth, "upload", &[(&oid_of(&other), 1024)]).await;
    let message = expect_lfs_error(&refused, 403);
    assert!(
        message.contains("is a mirror of https://example.com/upstream/copy.git")
            && message.contains("pushes are not accepted"),
        "{message}"
    );
    expect_lfs_error(
        &put(&s, "alice/copy", auth, &oid_of(&other), other).await,
        403,
    );
    expect_lfs_error(&verify(&s, "alice/copy", auth, &oid, 1024).await, 403);
    // Downloads go on.
    batch(&s, "alice/copy", auth, "download", &[(&oid, 1024)])
        .await
        .expect(200);
    assert_eq!(get(&s, "alice/copy", Auth::Anonymous, &oid).await.0, 200);
}

async fn objects_above_the_limit_are_refused(db: Db) {
    let s = TestServer::start_with(&db, |c| c.lfs_max_object_size = 1000).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "r", false).await;
    let auth = Auth::Token(&alice.token);
    let big = pseudo_random(2000, 8);
    let small = pseudo_random(1000, 9);

    let answer = batch(
        &s,
        "alice/r",
        auth,
        "upload",
        &[(&oid_of(&big), 2000), (&oid_of(&small), 1000)],
    )
    .await
    .json();
    assert_eq!(answer["objects"][0]["error"]["code"], 422, "{answer}");
    let message = answer["objects"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("limit of 1000 bytes"), "{message}");
    assert!(
        answer["objects"][1]["actions"]["upload"].is_object(),
        "{answer}"
    );

    let message = expect_lfs_error(&put(&s, "alice/r", auth, &oid_of(&big), big).await, 413);
    assert!(message.contains("limit of 1000 bytes"), "{message}");
    assert!(stored_files(s.data_dir()).is_empty());
    put(&s, "alice/r", auth, &oid_of(&small), small)
        .await
        .expect(200);
}

async fn deleting_a_repository_removes_the_objects_only_it_references(db: Db) {
    let s = TestServer::start(&db).await;
    let alice = s.create_admin("alice").await;
    s.create_repo(&alice, "a", false).await;
    s.create_repo(&alice, "b", false).await;
    let auth = Auth::Token(&alice.token);
    let shared = pseudo_random(1500, 10);
    let own = pseudo_random(1500, 11);
    for repo in ["alice/a", "alice/b"] {
        put(&s, repo, auth, &oid_of(&shared), shared.clone())
            .await
            .expect(200);
    }
    put(&s, "alice/a", auth, &oid_of(&own), own.clone())
        .await
        .expect(200);
    assert_eq!(stored_files(s.data_dir()).len(), 2);

    let delete = |repo: &str| {
        s.http
            .delete(s.url(&format!("/api/v1/repos/alice/{repo}")))
            .bearer_auth(&alice.token)
    };
    s.send(delete("a")).await.expect(204);
    assert!(
        !object_path(s.data_dir(), &oid_of(&own)).exists(),
        "only a had it"
    );
    assert!(
        object_path(s.data_dir(), &oid_of(&shared)).exists(),
        "b still has it"
    );
    assert_eq!(get(&s, "alice/b", auth, &oid_of(&shared)).await.0, 200);

    s.send(delete("b")).await.expect(204);
    assert!(stored_files(s.data_dir()).is_empty());
    let left = mirrorforge::entities::lfs_object::Entity::find()
        .all(&s.conn)
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// `PUT` of `blocks` copies of `block` to `url`, streamed as it is made (the client holds one
/// block), with the Content-Length of the whole; returns the status.
async fn put_streamed(url: &str, token: &str, block: Bytes, blocks: usize) -> u16 {
    let uri: hyper::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let total = block.len() * blocks;
    let frames = futures_util::stream::iter(
        (0..blocks).map(move |_| Ok::<_, Infallible>(Frame::data(block.clone()))),
    );
    let request = hyper::Request::put(uri.path())
        .header("host", authority)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/octet-stream")
        .header("content-length", total)
        .body(StreamBody::new(frames))
        .unwrap();
    sender
        .send_request(request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The peak (`VmHWM`) resident memory of `pid`, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"))
}

async fn a_gigabyte_streams_both_ways_in_little_memory(db: Db) {
    const BLOCK: usize = 1024 * 1024;
    const BLOCKS: usize = 1024;
    const BOUND_MIB: u64 = 100;
    let dir = tempfile::tempdir().unwrap();
    let database_url = db.database_url(dir.path());
    let token = cli_user_with_token(dir.path(), &database_url, "alice", "pw-alice-Correct-9").await;
    let server = ServerProcess::start(dir.path(), &database_url, &[]).await;
    let (status, _) = server
        .call(
            reqwest::Method::POST,
            "/api/v1/repos",
            &token,
            Some(serde_json::json!({ "name": "big" })),
        )
        .await;
    assert_eq!(status, 201);

    // 1 GiB: one pseudo-random MiB, 1024 times; its oid hashed without holding it.
    let block = Bytes::from(pseudo_random(BLOCK, 12));
    let mut hasher = Sha256::new();
    for _ in 0..BLOCKS {
        hasher.update(&block);
    }
    let oid = hex::encode(hasher.finalize());
    let url = server.url(&format!("/alice/big.git/info/lfs/objects/{oid}"));

    let status = put_streamed(&url, &token, block.clone(), BLOCKS).await;
    assert_eq!(status, 200, "{}", server.log());
    let stored = std::fs::metadata(object_path(dir.path(), &oid))
        .unwrap()
        .len();
    assert_eq!(stored, (BLOCK * BLOCKS) as u64);

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut response = http.get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.content_length(), Some((BLOCK * BLOCKS) as u64));
    let mut hasher = Sha256::new();
    let mut received = 0_u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len() as u64;
        hasher.update(&chunk);
    }
    assert_eq!(received, (BLOCK * BLOCKS) as u64);
    assert_eq!(hex::encode(hasher.finalize()), oid);

    let peak_mib = peak_rss_kib(server.pid()) / 1024;
    eprintln!("LFS 1 GiB up and down: server peak RSS {peak_mib} MiB");
    assert!(
        peak_mib < BOUND_MIB,
        "the server peaked at {peak_mib} MiB moving a 1 GiB object (bound {BOUND_MIB} MiB)"
    );
    server.terminate().await;
    std::fs::remove_file(object_path(dir.path(), &oid)).unwrap();
}
