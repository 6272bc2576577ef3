//! The code pages as a reader uses them: the repository page with its files and README, a
//! directory, a file with line anchors, its raw bytes, the history, one commit's diff, the
//! branches and tags; what is shown made harmless; odd paths 404; large files and commits cut.

use crate::support::{Db, Git, TestServer, TestUser, on_both_databases, web};

on_both_databases!(
    a_reader_walks_from_the_repository_page_to_a_commit,
    what_a_repository_holds_is_never_run_as_a_page,
    odd_paths_and_unknown_refs_answer_404,
    tags_are_newest_first_and_paged,
    large_files_and_commits_are_cut_with_a_note,
    a_private_repository_is_browsed_by_its_owner_only,
    kept_refs_never_appear_in_the_switcher,
    an_lfs_file_shows_as_its_object_with_a_download,
);

/// A server with `owner/demo`: a README (with script in it), `docs/`, `src/main.rs`, an HTML
/// file, a binary, two commits on `main` and a branch `feature/x`.
async fn demo(db: &Db) -> (TestServer, TestUser, Git) {
    let s = TestServer::start(db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "demo", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    let readme = "# Demo project\n\nSee [the guide](docs/guide.md) and ![logo](docs/logo.png).\n\n\
        <script>alert('readme')</script>\n\n<img src=x onerror=\"alert('img')\">\n\n\
        [bad](javascript:alert('link')) <a href=\"JAVASCRIPT:alert(1)\">worse</a>\n";
    git.commit_file(&work, "README.md", readme, "Add README")
        .await;
    git.commit_file(
        &work,
        "docs/README.md",
        "# Docs\n\nStart with the guide.\n",
        "Add docs",
    )
    .await;
    git.commit_file(&work, "docs/guide.md", "# Guide\n\nRead me.\n", "Add guide")
        .await;
    git.commit_file(
        &work,
        "page.html",
        "<html><script>alert('raw')</script></html>",
        "Add page",
    )
    .await;
    git.commit_file(
        &work,
        "docs/logo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "Add logo",
    )
    .await;
    git.commit_file(
        &work,
        "src/main.rs",
        "fn main() {\n    println!(\"hi\");\n}\n",
        "Add main",
    )
    .await;
    git.commit_file(
        &work,
        "src/main.rs",
        "fn main() {\n    println!(\"hello\");\n}\n",
        "Say hello\n\nThe longer story of the greeting.",
    )
    .await;
    git.ok(&work, &["checkout", "-q", "-b", "feature/x"]).await;
    git.commit_file(&work, "x.txt", "x\n", "On the feature")
        .await;
    git.ok(&work, &["checkout", "-q", "main"]).await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "demo");
    git.ok(&work, &["push", "-q", &url, "main", "feature/x"])
        .await;
    (s, owner, git)
}

async fn a_reader_walks_from_the_repository_page_to_a_commit(db: Db) {
    let (s, _owner, git) = demo(&db).await;
    let page = s.get("/owner/demo", None).await;
    page.expect(200);
    for shown in [
        r#"href="/owner/demo/tree/main/docs">docs</a>"#,
        r#"href="/owner/demo/blob/main/README.md">README.md</a>"#,
        "<h1>Demo project</h1>",
        r#"href="/owner/demo/blob/main/docs/guide.md""#,
        r#"src="/owner/demo/raw/main/docs/logo.png""#,
        r#"class="ref-current">main<"#,
        "Say hello",
        ">2 branches<",
    ] {
        assert!(page.body.contains(shown), "{shown} missing: {}", page.body);
    }
    let dir = s.get("/owner/demo/tree/main/docs", None).await;
    dir.expect(200);
    assert!(
        dir.body
            .contains(r#"href="/owner/demo/blob/main/docs/guide.md">guide.md</a>"#)
    );
    assert!(dir.body.contains("<h1>Docs</h1>"), "the directory's README");
    assert!(
        dir.body
            .contains(r#"href="/owner/demo/tree/main" aria-label="Parent directory""#)
    );
    let file = s.get("/owner/demo/blob/main/src/main.rs", None).await;
    file.expect(200);
    assert!(
        file.body
            .contains(r##"<tr id="L2"><td class="ln"><a href="#L2""##),
        "{}",
        file.body
    );
    assert!(
        file.body.contains("println!(&#34;hello&#34;);"),
        "{}",
        file.body
    );
    assert!(
        file.body
            .contains(r#"href="/owner/demo/raw/main/src/main.rs""#)
    );
    // A branch with a slash in its name, and the path after it.
    let feature = s.get("/owner/demo/blob/feature/x/x.txt", None).await;
    feature.expect(200);
    assert!(feature.body.contains(r#"class="ref-current">feature/x<"#));
    // A directory asked as a file, and a file as a directory, go to their pages.
    let moved = s.get("/owner/demo/blob/main/docs", None).await;
    assert_eq!(moved.header("location"), Some("/owner/demo/tree/main/docs"));
    let moved = s.get("/owner/demo/tree/main/README.md", None).await;
    assert_eq!(
        moved.header("location"),
        Some("/owner/demo/blob/main/README.md")
    );
    // The history, newest first, each commit a link.
    let history = s.get("/owner/demo/commits/main", None).await;
    history.expect(200);
    let hello = history
        .body
        .find("Say hello")
        .expect("latest commit listed");
    let readme = history
        .body
        .find("Add README")
        .expect("first commit listed");
    assert!(hello < readme, "not newest first");
    assert!(!history.body.contains("On the feature"));
    let default = s.get("/owner/demo/commits", None).await;
    assert_eq!(default.header("location"), Some("/owner/demo/commits/main"));
    // One commit: message, parent, the file changed and the diff's lines.
    let work = git.path("work");
    let id = git.ok(&work, &["rev-parse", "main"]).await;
    let parent = git.ok(&work, &["rev-parse", "main~1"]).await;
    let commit = s.get(&format!("/owner/demo/commit/{id}"), None).await;
    commit.expect(200);
    for shown in [
        "Say hello",
        "The longer story of the greeting.",
        &format!(r#"href="/owner/demo/commit/{parent}""#),
        "1 file changed",
        "src/main.rs",
        r#"<tr class="del"><td class="ln">2</td><td class="ln"></td><td class="lc"><code>-    println!(&#34;hi&#34;);</code>"#,
        r#"<tr class="add"><td class="ln"></td><td class="ln">2</td><td class="lc"><code>+    println!(&#34;hello&#34;);</code>"#,
    ] {
        assert!(
            commit.body.contains(shown),
            "{shown} missing: {}",
            commit.body
        );
    }
    let short = s
        .get(&format!("/owner/demo/commit/{}", &id[..10]), None)
        .await;
    short.expect(200);
    // The branches page: the default first.
    let branches = s.get("/owner/demo/branches", None).await;
    branches.expect(200);
    let main = branches.body.find(r#"<code>main</code>"#).unwrap();
    let feature = branches.body.find(r#"<code>feature/x</code>"#).unwrap();
    assert!(main < feature);
}

async fn what_a_repository_holds_is_never_run_as_a_page(db: Db) {
    let (s, _owner, _git) = demo(&db).await;
    let page = s.get("/owner/demo", None).await;
    let start = page.body.find(r#"id="readme""#).unwrap();
    let readme = &page.body[start..start + page.body[start..].find("</section>").unwrap()];
    for bad in ["<script", "alert(", "onerror", "javascript:", "JAVASCRIPT"] {
        assert!(
            !readme.contains(bad),
            "{bad} in the rendered README: {readme}"
        );
    }
    let html = s.get("/owner/demo/raw/main/page.html", None).await;
    html.expect(200);
    assert_eq!(
        html.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(html.header("content-security-policy"), Some("sandbox"));
    assert_eq!(html.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(html.body, "<html><script>alert('raw')</script></html>");
    let binary = s.get("/owner/demo/raw/main/docs/logo.png", None).await;
    binary.expect(200);
    assert_eq!(
        binary.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(binary.header("content-security-policy"), Some("sandbox"));
    // The file page shows the HTML as escaped text, and the binary as a download.
    let shown = s.get("/owner/demo/blob/main/page.html", None).await;
    assert!(
        shown.body.contains("&#60;script&#62;alert"),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains("<script>alert('raw')"));
    let logo = s.get("/owner/demo/blob/main/docs/logo.png", None).await;
    assert!(logo.body.contains(r#"id="blob-binary""#));
}

async fn odd_paths_and_unknown_refs_answer_404(db: Db) {
    let (s, _owner, _git) = demo(&db).await;
    // Sent as typed: an HTTP client would resolve the dots before sending.
    for path in [
        "/owner/demo/blob/main/../README.md",
        "/owner/demo/blob/main/docs/../README.md",
        "/owner/demo/raw/main/./README.md",
    ] {
        assert_eq!(status_of_raw_request(&s, path).await, 404, "{path}");
    }
    for path in [
        "/owner/demo/blob/main/%2e%2e/README.md",
        "/owner/demo/raw/main/..%2fREADME.md",
        "/owner/demo/blob/main/a%00b",
        "/owner/demo/raw/main/README.md%00",
        "/owner/demo/blob/main/%0a",
        "/owner/demo/blob/main//README.md",
        "/owner/demo/tree/nope",
        "/owner/demo/tree/main/nope",
        "/owner/demo/raw/main/docs",
        "/owner/demo/commits/nope",
        "/owner/demo/commit/0000000000000000000000000000000000000000",
        "/owner/demo/commit/zzz",
        "/owner/demo/commit/main",
        "/owner/demo/tags?page=9",
        "/owner/nope/tree/main",
    ] {
        let request = s.http.get(format!("{}{path}", s.url("")));
        let answer = s.send(request).await;
        assert_eq!(answer.status.as_u16(), 404, "{path}: {}", answer.body);
    }
}

async fn tags_are_newest_first_and_paged(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "r", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    // 35 tags, `0.0.1` oldest … `0.0.35` newest, each a day apart; text order would put
    // `0.0.10` before `0.0.2`.
    for n in 1..=35 {
        let date = format!("2026-01-{:02}T12:00:00Z", n.min(28));
        let date = if n > 28 {
            format!("2026-02-{:02}T12:00:00Z", n - 28)
        } else {
            date
        };
        let env = [
            ("GIT_AUTHOR_DATE", date.as_str()),
            ("GIT_COMMITTER_DATE", date.as_str()),
        ];
        let made = git
            .run_env(
                &work,
                &["commit", "-q", "--allow-empty", "-m", &format!("c{n}")],
                &env,
            )
            .await;
        assert!(made.status.success());
        git.run_env(
            &work,
            &[
                "tag",
                "-a",
                &format!("0.0.{n}"),
                "-m",
                &format!("release {n}"),
            ],
            &env,
        )
        .await;
    }
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "r");
    git.ok(&work, &["push", "-q", &url, "main", "--tags"]).await;
    let first = s.get("/owner/r/tags", None).await;
    first.expect(200);
    let at = |page: &str, tag: &str| page.find(&format!("<code>{tag}</code>"));
    assert!(at(&first.body, "0.0.35").unwrap() < at(&first.body, "0.0.34").unwrap());
    assert!(at(&first.body, "0.0.10").unwrap() < at(&first.body, "0.0.9").unwrap());
    assert!(first.body.contains("release 35"));
    assert!(
        at(&first.body, "0.0.5").is_none(),
        "the 31st tag is on page 2"
    );
    assert!(first.body.contains(r#"href="/owner/r/tags?page=2""#));
    let second = s.get("/owner/r/tags?page=2", None).await;
    second.expect(200);
    assert!(at(&second.body, "0.0.5").is_some() && at(&second.body, "0.0.1").is_some());
    assert!(at(&second.body, "0.0.6").is_none());
    // The switcher lists the highest versions first too.
    let page = s.get("/owner/r", None).await;
    let tags = &page.body[page.body.find(r#"id="switcher-tags""#).unwrap()..];
    assert!(tags.find(">0.0.35<").unwrap() < tags.find(">0.0.4<").unwrap());
}

async fn large_files_and_commits_are_cut_with_a_note(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "big", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    // 9 MiB of text: past what the page shows and what raw reads into memory.
    let line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n";
    let big: String = line.repeat(9 * 1024 * 1024 / line.len());
    git.commit_file(&work, "big.txt", &big, "A big file").await;
    for n in 0..1_100 {
        std::fs::write(work.join(format!("f{n:04}.txt")), format!("{n}\n")).unwrap();
    }
    git.ok(&work, &["add", "-A"]).await;
    git.ok(&work, &["commit", "-q", "-m", "Many files"]).await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "big");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    let file = s.get("/owner/big/blob/main/big.txt", None).await;
    file.expect(200);
    assert!(file.body.contains(r#"id="blob-large""#), "{}", file.body);
    assert!(
        file.body.len() < 100_000,
        "the page holds the file: {} bytes",
        file.body.len()
    );
    let raw = s.get("/owner/big/raw/main/big.txt", None).await;
    raw.expect(200);
    assert_eq!(
        raw.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(raw.header("content-security-policy"), Some("sandbox"));
    assert_eq!(raw.body.len(), big.len());
    assert!(raw.body == big, "the streamed bytes differ");
    let id = git.ok(&work, &["rev-parse", "main"]).await;
    let commit = s.get(&format!("/owner/big/commit/{id}"), None).await;
    commit.expect(200);
    assert!(
        commit.body.contains("1100 files changed"),
        "{}",
        &commit.body[..2000]
    );
    assert!(commit.body.contains(r#"id="diff-cut""#));
    assert!(
        commit
            .body
            .contains("1000 of its 1100 files are named here")
    );
    assert!(
        commit
            .body
            .contains("the diffs of at most 300 files are shown")
    );
}

async fn a_private_repository_is_browsed_by_its_owner_only(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    let other = s.create_user("other").await;
    s.create_repo(&owner, "secret", true).await;
    let git = Git::new();
    let work = git.init("work").await;
    git.commit_file(&work, "a.txt", "classified\n", "first")
        .await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "secret");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    let id = git.ok(&work, &["rev-parse", "main"]).await;
    let paths = [
        "/owner/secret/tree/main".to_owned(),
        "/owner/secret/blob/main/a.txt".to_owned(),
        "/owner/secret/raw/main/a.txt".to_owned(),
        "/owner/secret/commits/main".to_owned(),
        format!("/owner/secret/commit/{id}"),
        "/owner/secret/branches".to_owned(),
        "/owner/secret/tags".to_owned(),
    ];
    let stranger = web::logged_in_as(&s, &other).await;
    let browser = web::logged_in_as(&s, &owner).await;
    for path in &paths {
        let anonymous = s.get(path, None).await;
        assert_eq!(anonymous.status.as_u16(), 404, "{path}");
        assert!(!anonymous.body.contains("classified"));
        let refused = web::get(&s, &stranger, path).await;
        assert_eq!(refused.status.as_u16(), 404, "{path}");
        let seen = web::get(&s, &browser, path).await;
        assert_eq!(seen.status.as_u16(), 200, "{path}: {}", seen.body);
    }
}

async fn kept_refs_never_appear_in_the_switcher(db: Db) {
    let (s, _owner, git) = demo(&db).await;
    let work = git.path("work");
    let id = git.ok(&work, &["rev-parse", "main~1"]).await;
    let repo = s.repo_dir("owner", "demo");
    git.ok(
        &repo,
        &["update-ref", "refs/mirrorforge/kept/1/refs/heads/old", &id],
    )
    .await;
    for path in [
        "/owner/demo",
        "/owner/demo/tree/main",
        "/owner/demo/branches",
        "/owner/demo/tags",
    ] {
        let page = s.get(path, None).await;
        page.expect(200);
        assert!(!page.body.contains("mirrorforge/kept"), "{path}");
        assert!(!page.body.contains(">old<"), "{path}");
    }
    let hidden = s
        .get("/owner/demo/tree/mirrorforge/kept/1/refs/heads/old", None)
        .await;
    assert_eq!(hidden.status.as_u16(), 404);
}

/// The status of `GET path` sent byte for byte over a plain connection.
async fn status_of_raw_request(s: &TestServer, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer}"))
}

async fn an_lfs_file_shows_as_its_object_with_a_download(db: Db) {
    let s = TestServer::start(&db).await;
    let owner = s.create_admin("owner").await;
    s.create_repo(&owner, "media", false).await;
    let git = Git::new();
    let work = git.init_lfs("work").await;
    let object = crate::support::git::random_bytes(300_000);
    std::fs::write(work.join("model.bin"), &object).unwrap();
    git.ok(&work, &["add", "-A"]).await;
    git.ok(&work, &["commit", "-q", "-m", "a model"]).await;
    let url = s.git_url(Some(("owner", &owner.token)), "owner", "media");
    git.ok(&work, &["push", "-q", &url, "main"]).await;
    // A pointer whose object was never pushed (`--no-verify`: git lfs would refuse it).
    let absent = "version https://git-lfs.github.com/spec/v1\n\
        oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 4096\n";
    std::fs::write(work.join("absent.dat"), absent).unwrap();
    git.ok(&work, &["add", "absent.dat"]).await;
    git.ok(
        &work,
        &["commit", "-q", "-m", "a pointer without its object"],
    )
    .await;
    git.ok(&work, &["push", "-q", "--no-verify", &url, "main"])
        .await;
    let page = s.get("/owner/media/blob/main/model.bin", None).await;
    page.expect(200);
    assert!(
        page.body.contains("Stored with Git LFS (293.0 KiB)"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"href="/owner/media/media/main/model.bin" download id="lfs-download""#)
    );
    let download = s
        .send(s.http.get(s.url("/owner/media/media/main/model.bin")))
        .await;
    download.expect(200);
    assert_eq!(download.header("content-length"), Some("300000"));
    assert_eq!(download.header("content-security-policy"), Some("sandbox"));
    let bytes = s
        .http
        .get(s.url("/owner/media/media/main/model.bin"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(bytes[..] == object[..], "the download is not the object");
    // Raw is the pointer itself, as git stores it.
    let raw = s.get("/owner/media/raw/main/model.bin", None).await;
    assert!(
        raw.body
            .starts_with("version https://git-lfs.github.com/spec/v1")
    );
    let missing = s.get("/owner/media/blob/main/absent.dat", None).await;
    assert!(
        missing.body.contains("Its object is not stored here"),
        "{}",
        missing.body
    );
    let gone = s.get("/owner/media/media/main/absent.dat", None).await;
    assert_eq!(gone.status.as_u16(), 404);
}
