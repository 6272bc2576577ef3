//! In headless Chromium, a newcomer's walk through a repository's code: the repository page
//! with its README, into a directory, a file, a line's anchor, the commit list, one commit's
//! diff, the branch switcher and the tags page. Screenshots at 1280 and 390 px (`-390`):
//! `code-repo`, `code-switcher`, `code-tree`, `code-blob`, `code-commits`, `code-commit`,
//! `code-tags`, and the owner's `repo-settings`; none scrolls sideways at 390 px. SQLite only: the pages are the same on both
//! databases.

use crate::support::{
    Db, Git, TestServer,
    browser::{Browser, both_widths},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_reads_a_repository_in_a_real_browser() {
    let Some(b) = Browser::start(1280, 1000).await else {
        return;
    };
    let s = TestServer::start(&Db::Sqlite).await;
    let owner = s.create_admin("ada").await;
    s.create_repo(&owner, "engine", false).await;
    let git = Git::new();
    let work = git.init("work").await;
    let readme = "# Analytical Engine\n\nA small engine that computes tables. \
        See [the guide](docs/guide.md).\n\n## Usage\n\n```sh\nengine --table 12\n```\n\n\
        | flag | meaning |\n|---|---|\n| `--table N` | print N rows |\n\n\
        <script>document.title='owned'</script>\n";
    git.commit_file(&work, "README.md", readme, "Describe the engine")
        .await;
    git.commit_file(
        &work,
        "docs/guide.md",
        "# Guide\n\nTurn the crank once per row.\n",
        "Add the guide",
    )
    .await;
    let program: String = (1..=60)
        .map(|n| format!("    let row_{n} = table({n}); // a line long enough to need a scroll on a phone screen\n"))
        .collect();
    git.commit_file(
        &work,
        "src/main.rs",
        format!("fn main() {{\n{program}}}\n"),
        "Compute sixty rows",
    )
    .await;
    git.commit_file(
        &work,
        "src/main.rs",
        format!("fn main() {{\n    // rows of the table\n{program}}}\n"),
        "Say what the rows are",
    )
    .await;
    for tag in ["0.0.2", "0.0.10", "0.1.0"] {
        git.ok(&work, &["tag", "-a", tag, "-m", &format!("Release {tag}")])
            .await;
    }
    git.ok(&work, &["checkout", "-q", "-b", "feature/gears"])
        .await;
    git.commit_file(&work, "gears.txt", "brass\n", "Gears")
        .await;
    let url = s.git_url(Some(("ada", &owner.token)), "ada", "engine");
    git.ok(
        &work,
        &["push", "-q", &url, "main", "feature/gears", "--tags"],
    )
    .await;

    // The repository page: files and the README, its script inert.
    b.goto(&s.url("/ada/engine")).await;
    b.wait_until("the README", 10, || async {
        b.text("#readme").await.contains("Analytical Engine")
    })
    .await;
    assert_ne!(b.client.title().await.unwrap(), "owned");
    assert!(b.text("#file-list").await.contains("docs"));
    assert!(
        b.text("#latest-commit")
            .await
            .contains("Say what the rows are")
    );
    both_widths(&b, "the repository page", "code-repo").await;

    // The switcher lists the branches and the tags, highest version first.
    b.click("#ref-switcher summary").await;
    let tags = b.text("#switcher-tags").await;
    assert!(tags.find("0.1.0").unwrap() < tags.find("0.0.10").unwrap());
    assert!(tags.find("0.0.10").unwrap() < tags.find("0.0.2").unwrap());
    b.screenshot("code-switcher").await;
    b.assert_fits("the open switcher", 390, 1000).await;
    b.screenshot("code-switcher-390").await;
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.click("#switcher-branches a[href='/ada/engine/tree/feature/gears']")
        .await;
    b.wait_until("the feature branch", 10, || async {
        b.text("#file-list").await.contains("gears.txt")
    })
    .await;

    // Into a directory, and its file.
    b.goto(&s.url("/ada/engine")).await;
    b.click("#file-list a[href='/ada/engine/tree/main/docs']")
        .await;
    b.wait_until("the docs directory", 10, || async {
        b.text("#file-list").await.contains("guide.md")
    })
    .await;
    both_widths(&b, "a directory", "code-tree").await;
    b.click("#file-list a[href='/ada/engine/blob/main/docs/guide.md']")
        .await;
    b.wait_until("the guide rendered", 10, || async {
        b.text(".blob h1").await == "Guide"
    })
    .await;

    // A source file, and the link to its 12th line.
    b.goto(&s.url("/ada/engine/blob/main/src/main.rs")).await;
    b.click("#L12 .ln a").await;
    b.wait_until("the line's anchor", 10, || async {
        b.client
            .current_url()
            .await
            .is_ok_and(|u| u.fragment() == Some("L12"))
    })
    .await;
    let marked = b
        .eval("return getComputedStyle(document.getElementById('L12')).backgroundColor;")
        .await;
    assert_eq!(marked, "rgb(255, 248, 197)", "the line is not marked");
    both_widths(&b, "a file", "code-blob").await;

    // The history, then one commit's diff.
    b.click(".repo-nav a[href='/ada/engine/commits']").await;
    b.wait_until("the commit list", 10, || async {
        b.text("#commit-list").await.contains("Compute sixty rows")
    })
    .await;
    both_widths(&b, "the commit list", "code-commits").await;
    b.click("#commit-list li:first-child a.summary").await;
    b.wait_until("the commit's diff", 10, || async {
        b.text(".diff-lines").await.contains("// rows of the table")
    })
    .await;
    assert!(b.text("#files-title").await.contains("1 file changed"));
    both_widths(&b, "a commit", "code-commit").await;

    // The tags, newest first.
    b.click(".repo-nav a[href='/ada/engine/tags']").await;
    b.wait_until("the tags page", 10, || async {
        b.text("#tag-list").await.contains("Release 0.1.0")
    })
    .await;
    both_widths(&b, "the tags page", "code-tags").await;

    // Its owner's settings: the form and the way to delete it.
    b.log_in(&s.base(), &owner.username, &owner.password).await;
    b.goto(&s.url("/ada/engine/settings")).await;
    b.wait_until("the settings form", 10, || async {
        b.text("#settings-title").await == "Repository settings"
    })
    .await;
    both_widths(&b, "the repository settings", "repo-settings").await;
    b.finish().await;
}
