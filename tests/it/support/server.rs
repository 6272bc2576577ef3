//! `TestServer`: the real server, in-process on 127.0.0.1:0, with its own data directory and
//! database; plus users, tokens and an HTTP client that checks no answer leaks a secret.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use mirrorforge::{
    accounts::{tokens, users},
    config::Config,
    server::{self, RunningServer},
};
use reqwest::{RequestBuilder, StatusCode, header::HeaderMap, redirect::Policy};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::db::Db;

/// A user made for a test, with everything needed to act as them.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Database id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Plain password.
    pub password: String,
    /// A personal access token.
    pub token: String,
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Resp {
    /// Fails the test (showing the body) unless the status is `expected`.
    #[track_caller]
    pub fn expect(&self, expected: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// Checks the contract's error shape: the status, a JSON body with a non-empty `error`
    /// and the given `code`. Returns the body.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        self.expect(status);
        let content_type = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/json"),
            "error content type {content_type:?}"
        );
        let body = self.json();
        assert!(
            body["error"].as_str().is_some_and(|s| !s.is_empty()),
            "error message missing: {body}"
        );
        assert_eq!(body["code"], code, "error code in {body}");
        body
    }

    /// The value of a header, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The server under test. Dropping it stops serving (the data directory goes with it).
pub struct TestServer {
    /// Its configuration (data directory, database URL, listen address).
    pub config: Config,
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// A connection of the test's own, for calling services directly.
    pub conn: DatabaseConnection,
    /// A plain client: no cookies, no redirects followed, no proxy.
    pub http: reqwest::Client,
    running: Option<RunningServer>,
    secrets: Mutex<Vec<String>>,
    _data_dir: TempDir,
}

impl TestServer {
    /// Starts a server with the default configuration.
    pub async fn start(db: &Db) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// Starts a server after `adjust` has changed its configuration.
    pub async fn start_with(db: &Db, adjust: impl FnOnce(&mut Config)) -> Self {
        // The servers' errors (what a 500 hides from its answer) land in the output of the
        // test that failed, where libtest shows them.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_max_level(tracing::Level::ERROR)
            .try_init();
        let data_dir = tempfile::Builder::new()
            .prefix("mf-it-")
            .tempdir()
            .expect("temp dir");
        let mut config = Config::for_data_dir(data_dir.path().to_path_buf());
        config.listen = "127.0.0.1:0".parse().expect("address");
        config.database_url = db.database_url(data_dir.path());
        adjust(&mut config);
        let running = server::start(config.clone()).await.expect("server starts");
        if let Db::Postgres { .. } = db {
            assert!(
                !data_dir.path().join("mirrorforge.db").exists(),
                "a postgres test must not fall back to SQLite"
            );
        }
        let conn = mirrorforge::db::connect(&config)
            .await
            .expect("test connection");
        Self {
            config,
            addr: running.addr,
            conn,
            http: client(false),
            running: Some(running),
            secrets: Mutex::new(Vec::new()),
            _data_dir: data_dir,
        }
    }

    /// Stops the server and starts it again on the same data directory and database
    /// (on a new port: cookies do not care about ports).
    pub async fn restart(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("server stops cleanly");
        }
        let running = server::start(self.config.clone())
            .await
            .expect("server restarts");
        self.addr = running.addr;
        self.running = Some(running);
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    /// Where `owner/name` lives on disk.
    pub fn repo_dir(&self, owner: &str, name: &str) -> PathBuf {
        self.data_dir()
            .join("repos")
            .join(owner)
            .join(format!("{name}.git"))
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// The clone URL of `owner/name`, with `user:secret@` when given.
    pub fn git_url(&self, auth: Option<(&str, &str)>, owner: &str, name: &str) -> String {
        match auth {
            Some((user, secret)) => {
                format!("http://{user}:{secret}@{}/{owner}/{name}.git", self.addr)
            }
            None => format!("http://{}/{owner}/{name}.git", self.addr),
        }
    }

    /// A client that keeps cookies, like a browser, and does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        client(true)
    }

    /// Makes answers fail the test if they contain `secret` (see [`Self::send`]).
    pub fn forbid_in_answers(&self, secret: &str) {
        self.secrets
            .lock()
            .expect("secrets lock")
            .push(secret.to_owned());
    }

    /// Sends a request and reads the answer; fails the test if the body contains a password,
    /// a token, a token's stored hash or a password hash.
    pub async fn send(&self, request: RequestBuilder) -> Resp {
        let resp = self.send_allowing_secrets(request).await;
        self.assert_no_secrets(&resp.body);
        resp
    }

    /// [`Self::send`] without the secret check, for the one answer that creates a token.
    pub async fn send_allowing_secrets(&self, request: RequestBuilder) -> Resp {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await.expect("body");
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Fails the test if `text` contains a known secret.
    #[track_caller]
    pub fn assert_no_secrets(&self, text: &str) {
        assert!(!text.contains("$argon2"), "a password hash leaked: {text}");
        for secret in self.secrets.lock().expect("secrets lock").iter() {
            assert!(!text.contains(secret.as_str()), "a secret leaked: {text}");
            let hashed = mirrorforge::auth::token::hash(secret);
            assert!(!text.contains(&hashed), "a token hash leaked: {text}");
        }
    }

    /// A plain user (with a token), made through the account service. The first account ever
    /// becomes an administrator, so make the admin first: this refuses to hand out an admin.
    pub async fn create_user(&self, username: &str) -> TestUser {
        let user = self.make_user(username, false).await;
        let row = users::find_by_id(&self.conn, user.id)
            .await
            .expect("db")
            .expect("user exists");
        assert!(
            !row.is_admin,
            "{username} became an administrator: create the admin first"
        );
        user
    }

    /// An administrator (with a token), made through the account service.
    pub async fn create_admin(&self, username: &str) -> TestUser {
        self.make_user(username, true).await
    }

    /// An account (with a token) exactly as asked, without [`Self::create_user`]'s check.
    pub async fn make_user(&self, username: &str, is_admin: bool) -> TestUser {
        let password = format!("pw-{username}-Correct-Horse-9");
        let row = users::create(
            &self.conn,
            users::NewUser {
                username: username.to_owned(),
                email: format!("{username}@example.com"),
                password: password.clone(),
                is_admin,
            },
        )
        .await
        .expect("user created");
        let token = tokens::create(&self.conn, row.id, "test")
            .await
            .expect("token created")
            .secret;
        self.forbid_in_answers(&password);
        self.forbid_in_answers(&token);
        TestUser {
            id: row.id,
            username: row.username,
            password,
            token,
        }
    }

    /// Creates `user/name` through the API and returns the repository JSON.
    pub async fn create_repo(&self, user: &TestUser, name: &str, private: bool) -> Value {
        let resp = self
            .send(
                self.http
                    .post(self.url("/api/v1/repos"))
                    .bearer_auth(&user.token)
                    .json(&json!({ "name": name, "private": private })),
            )
            .await;
        resp.expect(201);
        resp.json()
    }

    /// Creates the organisation `name` through the API, with `owner` as its first owner.
    pub async fn create_org(&self, owner: &TestUser, name: &str) -> Value {
        let resp = self
            .send(
                self.http
                    .post(self.url("/api/v1/orgs"))
                    .bearer_auth(&owner.token)
                    .json(&json!({ "name": name })),
            )
            .await;
        resp.expect(201);
        resp.json()
    }

    /// Gives `member` `role` (`owner`, `write`, `read`) in `org`, as `owner` asks.
    pub async fn set_role(&self, owner: &TestUser, org: &str, member: &TestUser, role: &str) {
        self.send(
            self.http
                .put(self.url(&format!("/api/v1/orgs/{org}/members/{}", member.username)))
                .bearer_auth(&owner.token)
                .json(&json!({ "role": role })),
        )
        .await
        .expect(200);
    }

    /// Creates `org/name` through the API as `user` (who must be able to write in `org`).
    pub async fn create_org_repo(
        &self,
        user: &TestUser,
        org: &str,
        name: &str,
        private: bool,
    ) -> Value {
        let resp = self
            .send(
                self.http
                    .post(self.url(&format!("/api/v1/orgs/{org}/repos")))
                    .bearer_auth(&user.token)
                    .json(&json!({ "name": name, "private": private })),
            )
            .await;
        resp.expect(201);
        resp.json()
    }

    /// `GET path` as `user` (anonymous with `None`).
    pub async fn get(&self, path: &str, user: Option<&TestUser>) -> Resp {
        let mut request = self.http.get(self.url(path));
        if let Some(user) = user {
            request = request.bearer_auth(&user.token);
        }
        self.send(request).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.task.abort();
        }
    }
}

fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(Policy::none())
        .cookie_store(cookies)
        .build()
        .expect("client")
}
