//! The `mirrorforge` binary itself: `admin create-user`, `admin create-token`, `migrate`, and
//! `serve` answering on the address it logs, reading its environment (registration closed), and
//! stopping cleanly on SIGTERM.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::io::AsyncWriteExt;

use crate::support::{
    Db, TestServer,
    html::input_value,
    on_both_databases,
    process::{ServerProcess, cli_user_with_token},
};

on_both_databases!(
    admin_commands_make_a_user_and_a_working_token,
    admin_commands_refuse_bad_input,
    serve_logs_its_address_answers_and_stops_on_sigterm,
);

/// The binary with a clean environment pointing at `data_dir` and the test's database
/// (SQLite is left to the default, `DATA_DIR/mirrorforge.db`).
fn mirrorforge(db: &Db, data_dir: &Path, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_mirrorforge"));
    cmd.args(args)
        .current_dir(data_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("MIRRORFORGE_DATA_DIR", data_dir)
        .kill_on_drop(true);
    if let Db::Postgres { url } = db {
        cmd.env("DATABASE_URL", url);
    }
    cmd
}

struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

async fn run(db: &Db, data_dir: &Path, args: &[&str], stdin: &str) -> Ran {
    let mut child = mirrorforge(db, data_dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("stdin");
    drop(input);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("output");
    Ran {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn admin_commands_make_a_user_and_a_working_token(db: Db) {
    // The server runs while the commands work on the same data directory and database.
    let s = TestServer::start(&db).await;
    let dir = s.data_dir().to_path_buf();
    let password = "cli-password-Correct-9";

    let made = run(
        &db,
        &dir,
        &[
            "admin",
            "create-user",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
    .await;
    assert!(made.success, "create-user failed: {}", made.stderr);
    assert!(!made.stdout.contains(password) && !made.stderr.contains(password));
    if matches!(db, Db::Sqlite) {
        assert!(
            dir.join("mirrorforge.db").is_file(),
            "the default SQLite file"
        );
    }

    let token_run = run(
        &db,
        &dir,
        &[
            "admin",
            "create-token",
            "--username",
            "alice",
            "--name",
            "ci",
        ],
        "",
    )
    .await;
    assert!(
        token_run.success,
        "create-token failed: {}",
        token_run.stderr
    );
    // Only the token, on one line, on stdout only.
    let token = token_run.stdout.trim_end_matches('\n');
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "{:?}",
        token_run.stdout
    );
    assert_eq!(token_run.stdout, format!("{token}\n"));
    assert!(!token_run.stderr.contains(token));
    s.forbid_in_answers(token);
    s.forbid_in_answers(password);

    let me = s
        .send(s.http.get(s.url("/api/v1/user")).bearer_auth(token))
        .await;
    me.expect(200);
    let body = me.json();
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(
        body["is_admin"], true,
        "the first account is an administrator"
    );

    // The password from stdin (without its newline) is the account's password.
    let resp = s
        .send_allowing_secrets(
            s.http
                .post(s.url("/api/v1/user/tokens"))
                .basic_auth("alice", Some(password))
                .json(&serde_json::json!({ "name": "by-password" })),
        )
        .await;
    resp.expect(201);

    // A second account: plain unless --admin.
    for (name, flag, admin) in [("bob", None, false), ("carol", Some("--admin"), true)] {
        let mut args = vec![
            "admin",
            "create-user",
            "--username",
            name,
            "--email",
            "x@example.com",
            "--password-stdin",
        ];
        args.extend(flag);
        let made = run(&db, &dir, &args, "another-password-1\n").await;
        assert!(made.success, "{}", made.stderr);
        let row = mirrorforge::accounts::users::find_by_name(&s.conn, name)
            .await
            .expect("db")
            .expect("created");
        assert_eq!(row.is_admin, admin, "{name}");
    }
}

async fn admin_commands_refuse_bad_input(db: Db) {
    let s = TestServer::start(&db).await;
    let dir = s.data_dir().to_path_buf();
    let create = |username: &'static str, password: &'static str| {
        let dir = dir.clone();
        let db = db.clone();
        async move {
            run(
                &db,
                &dir,
                &[
                    "admin",
                    "create-user",
                    "--username",
                    username,
                    "--email",
                    "someone@example.com",
                    "--password-stdin",
                ],
                password,
            )
            .await
        }
    };

    let short = create("alice", "short\n").await;
    assert!(!short.success);
    assert!(short.stderr.contains("password"), "{}", short.stderr);
    let reserved = create("api", "long-enough-password\n").await;
    assert!(!reserved.success);
    assert!(reserved.stderr.contains("username"), "{}", reserved.stderr);
    assert!(
        mirrorforge::accounts::users::find_by_name(&s.conn, "alice")
            .await
            .expect("db")
            .is_none()
    );

    assert!(create("alice", "long-enough-password\n").await.success);
    let again = create("ALICE", "long-enough-password\n").await;
    assert!(!again.success, "a taken name (in any case) is refused");
    assert!(again.stderr.contains("taken"), "{}", again.stderr);

    let token = run(
        &db,
        &dir,
        &[
            "admin",
            "create-token",
            "--username",
            "nobody",
            "--name",
            "x",
        ],
        "",
    )
    .await;
    assert!(!token.success);
    assert!(
        token.stdout.is_empty(),
        "no token for nobody: {}",
        token.stdout
    );

    let migrate = run(&db, &dir, &["migrate"], "").await;
    assert!(migrate.success, "{}", migrate.stderr);
}

async fn serve_logs_its_address_answers_and_stops_on_sigterm(db: Db) {
    let dir = tempfile::Builder::new()
        .prefix("mf-serve-")
        .tempdir()
        .expect("temp dir");
    let url = db.database_url(dir.path());
    // ServerProcess waits for the `listening on http://ADDR` line and keeps the log.
    let server =
        ServerProcess::start(dir.path(), &url, &[("MIRRORFORGE_REGISTRATION", "closed")]).await;
    let addr = server
        .base
        .strip_prefix("http://")
        .expect("an http address")
        .to_owned();
    assert!(
        addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"),
        "{addr}"
    );
    let log = server.log();
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log}"
    );

    // It answers on that address, with the contract's 401.
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let resp = http
        .get(format!("http://{addr}/api/v1/user"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(resp.status().as_u16(), 401);

    // An account made beside the running server can use it.
    let token = cli_user_with_token(dir.path(), &url, "alice", "serve-password-123").await;
    let me = http
        .get(format!("http://{addr}/api/v1/user"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(me.status().as_u16(), 200);

    // MIRRORFORGE_REGISTRATION=closed reached the pages: no form, and a POST is refused.
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let register = browser
        .get(format!("http://{addr}/register"))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("body");
    assert!(
        input_value(&register, "password").is_none(),
        "a closed registration shows no form: {register}"
    );
    let login = browser
        .get(format!("http://{addr}/login"))
        .send()
        .await
        .expect("answer")
        .text()
        .await
        .expect("body");
    let csrf = input_value(&login, "csrf_token").expect("the login form has a CSRF token");
    let refused = browser
        .post(format!("http://{addr}/register"))
        .form(&[
            ("username", "mallory"),
            ("email", "mallory@example.com"),
            ("password", "Mallory-Password-1"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status().as_u16(), 403);

    // SIGTERM: a clean stop with exit status 0.
    let status = server.terminate().await;
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(
        dir.path().join("repos").is_dir(),
        "serve prepared DATA_DIR/repos"
    );
}
