//! Runtime configuration: defaults, then `mirrorforge.toml`, then `MIRRORFORGE_*` environment variables.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use serde::Deserialize;

use self::values::{default_git_processes, invalid, parse_bool, parse_num, public_url, smtp_url};

mod values;

/// Whether new accounts may register through the web form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Anyone may register.
    Open,
    /// Only an administrator (or the command line) creates accounts.
    Closed,
}

/// Everything the server needs to know at start-up, validated once.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Root of repositories, the SQLite file and the key file.
    pub data_dir: PathBuf,
    /// `sqlite://` or `postgres://` URL.
    pub database_url: String,
    /// Base64 of the 32-byte AES key, when given in the environment.
    pub secret_key: Option<String>,
    /// Allow mirror URLs that resolve to local addresses.
    pub allow_local_networks: bool,
    /// When the scheduler looks for due mirrors (six fields, seconds first).
    pub scheduler_cron: String,
    /// Smallest accepted `sync_interval`, in seconds.
    pub min_sync_interval: i64,
    /// Syncs running at once in one process.
    pub max_concurrent_syncs: usize,
    /// Syncs of one owner's repositories running at once in one process.
    pub max_syncs_per_owner: usize,
    /// Seconds after which a sync is aborted.
    pub sync_timeout: u64,
    /// Days a kept ref (the old value of a ref a sync overwrote or deleted) lives; 0: for ever.
    pub keep_days: u32,
    /// Whether the registration form is open.
    pub registration: Registration,
    /// How long a connection may take to send a request's line and headers (also the idle
    /// time allowed between requests on a kept-alive connection).
    pub header_read_timeout: Duration,
    /// How long a request body that is read whole (API, pages, webhook, the LFS batch API) may
    /// send nothing before the request fails and its connection is closed.
    pub body_idle_timeout: Duration,
    /// How long a git smart-HTTP request may go without a byte moving either way before its
    /// `git` process is stopped.
    pub git_idle_timeout: Duration,
    /// How long a mirror remote may stay silent while a transfer's connection is set up (TCP,
    /// TLS, the SSH handshake and sign-in) or a request that is no upload waits for its answer,
    /// before the run fails, however long the sync timeout is.
    pub remote_silence_limit: Duration,
    /// `git` processes serving clients at once.
    pub max_git_processes: usize,
    /// How long a git request waits for one of them before it is answered 503.
    pub git_queue_wait: Duration,
    /// Connections open at once; past it, new ones are not accepted until one closes.
    pub max_connections: usize,
    /// The URL users reach the server at (`https://git.example.com`, no trailing slash):
    /// absolute URLs are built from it, never from a request's `Host`; https makes cookies
    /// `Secure`. Unset: `http://` and the address bound.
    pub public_url: Option<String>,
    /// Where notification emails are sent (`smtp://[user:pass@]host:port` or `smtps://…`);
    /// unset: no email. Holds a password: never logged.
    pub smtp_url: Option<String>,
    /// The `From` of notification emails.
    pub mail_from: String,
    /// When set, `/metrics` needs `Authorization: Bearer` with it.
    pub metrics_token: Option<String>,
    /// The largest Git LFS object accepted, in bytes (`MIRRORFORGE_LFS_MAX_OBJECT_SIZE`).
    pub lfs_max_object_size: u64,
    /// How many wrong passwords are allowed, and within what time (not configurable from
    /// outside: the contract fixes them; tests shorten the window).
    pub login_throttle: LoginLimits,
}

/// Limits on wrong passwords before further attempts must wait (contract, "Hardening").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failures for one account from one client address within `window` (at least 1).
    pub per_account: u32,
    /// Failures from one client address for any accounts within `window`; far above
    /// `per_account`, so one person's typos never lock out a team behind one NAT.
    pub per_address: u32,
    /// How far back failures count.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 10,
            per_address: 300,
            window: Duration::from_secs(5 * 60),
        }
    }
}

/// A configuration value that could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable had a value of the wrong form.
    #[error("{name} has an invalid value {value:?}: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// What was given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// `mirrorforge.toml` could not be read or parsed.
    #[error("mirrorforge.toml: {0}")]
    File(String),
}

/// Keys accepted in `mirrorforge.toml`, named like the variables without the prefix, lowercase.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    secret_key: Option<String>,
    allow_local_networks: Option<bool>,
    scheduler_cron: Option<String>,
    min_sync_interval: Option<i64>,
    max_concurrent_syncs: Option<usize>,
    max_syncs_per_owner: Option<usize>,
    sync_timeout: Option<u64>,
    keep_days: Option<u32>,
    registration: Option<String>,
    max_git_processes: Option<usize>,
    max_connections: Option<usize>,
    public_url: Option<String>,
    lfs_max_object_size: Option<u64>,
}

impl Config {
    /// Reads `mirrorforge.toml` (if present in the working directory) and the environment.
    ///
    /// # Errors
    /// A value of the wrong form, or an unreadable configuration file.
    pub fn from_env() -> Result<Self, ConfigError> {
        let file = match std::fs::read_to_string("mirrorforge.toml") {
            Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::File(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileConfig::default(),
            Err(e) => return Err(ConfigError::File(e.to_string())),
        };
        Self::from_lookup(file, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from a file layer and a variable lookup (the environment in production).
    fn from_lookup(
        file: FileConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |name: &'static str, from_file: Option<String>| {
            env(name).filter(|v| !v.is_empty()).or(from_file)
        };
        let listen_raw =
            get("MIRRORFORGE_LISTEN", file.listen).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen = listen_raw
            .parse()
            .map_err(|e: std::net::AddrParseError| invalid("MIRRORFORGE_LISTEN", &listen_raw, e))?;
        let data_dir = PathBuf::from(
            get("MIRRORFORGE_DATA_DIR", file.data_dir).unwrap_or_else(|| "./data".to_owned()),
        );
        let database_url = get("DATABASE_URL", file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}/mirrorforge.db?mode=rwc", data_dir.display()));
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(invalid(
                "DATABASE_URL",
                "(hidden)",
                "must start with sqlite:// or postgres://",
            ));
        }
        let allow_local_networks = match env("MIRRORFORGE_ALLOW_LOCAL_NETWORKS") {
            Some(v) => parse_bool("MIRRORFORGE_ALLOW_LOCAL_NETWORKS", &v)?,
            None => file.allow_local_networks.unwrap_or(false),
        };
        let scheduler_cron = get("MIRRORFORGE_SCHEDULER_CRON", file.scheduler_cron)
            .unwrap_or_else(|| "0 * * * * *".to_owned());
        let min_sync_interval = parse_num(
            "MIRRORFORGE_MIN_SYNC_INTERVAL",
            env("MIRRORFORGE_MIN_SYNC_INTERVAL"),
            file.min_sync_interval,
            60,
        )?;
        if min_sync_interval < 1 {
            return Err(invalid(
                "MIRRORFORGE_MIN_SYNC_INTERVAL",
                &min_sync_interval.to_string(),
                "must be at least 1",
            ));
        }
        let max_concurrent_syncs = parse_num(
            "MIRRORFORGE_MAX_CONCURRENT_SYNCS",
            env("MIRRORFORGE_MAX_CONCURRENT_SYNCS"),
            file.max_concurrent_syncs,
            4,
        )?;
        if max_concurrent_syncs == 0 {
            return Err(invalid(
                "MIRRORFORGE_MAX_CONCURRENT_SYNCS",
                "0",
                "must be at least 1",
            ));
        }
        let max_syncs_per_owner = parse_num(
            "MIRRORFORGE_MAX_SYNCS_PER_OWNER",
            env("MIRRORFORGE_MAX_SYNCS_PER_OWNER"),
            file.max_syncs_per_owner,
            2,
        )?;
        if max_syncs_per_owner == 0 {
            return Err(invalid(
                "MIRRORFORGE_MAX_SYNCS_PER_OWNER",
                "0",
                "must be at least 1",
            ));
        }
        let sync_timeout = parse_num(
            "MIRRORFORGE_SYNC_TIMEOUT",
            env("MIRRORFORGE_SYNC_TIMEOUT"),
            file.sync_timeout,
            3600,
        )?;
        let keep_days = parse_num(
            "MIRRORFORGE_KEEP_DAYS",
            env("MIRRORFORGE_KEEP_DAYS"),
            file.keep_days,
            DEFAULT_KEEP_DAYS,
        )?;
        let max_git_processes = parse_num(
            "MIRRORFORGE_MAX_GIT_PROCESSES",
            env("MIRRORFORGE_MAX_GIT_PROCESSES"),
            file.max_git_processes,
            default_git_processes(),
        )?;
        if max_git_processes == 0 {
            return Err(invalid(
                "MIRRORFORGE_MAX_GIT_PROCESSES",
                "0",
                "must be at least 1",
            ));
        }
        let max_connections = parse_num(
            "MIRRORFORGE_MAX_CONNECTIONS",
            env("MIRRORFORGE_MAX_CONNECTIONS"),
            file.max_connections,
            DEFAULT_MAX_CONNECTIONS,
        )?;
        if max_connections == 0 {
            return Err(invalid(
                "MIRRORFORGE_MAX_CONNECTIONS",
                "0",
                "must be at least 1",
            ));
        }
        let lfs_max_object_size = parse_num(
            "MIRRORFORGE_LFS_MAX_OBJECT_SIZE",
            env("MIRRORFORGE_LFS_MAX_OBJECT_SIZE"),
            file.lfs_max_object_size,
            DEFAULT_LFS_MAX_OBJECT_SIZE,
        )?;
        let registration_raw =
            get("MIRRORFORGE_REGISTRATION", file.registration).unwrap_or_else(|| "open".to_owned());
        let registration = match registration_raw.as_str() {
            "open" => Registration::Open,
            "closed" => Registration::Closed,
            other => {
                return Err(invalid(
                    "MIRRORFORGE_REGISTRATION",
                    other,
                    "must be open or closed",
                ));
            }
        };
        let public_url = get("MIRRORFORGE_PUBLIC_URL", file.public_url)
            .map(|raw| public_url(&raw))
            .transpose()?;
        let smtp_url = env("MIRRORFORGE_SMTP_URL")
            .filter(|v| !v.is_empty())
            .map(|raw| smtp_url(&raw))
            .transpose()?;
        let mail_from = env("MIRRORFORGE_MAIL_FROM")
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "mirrorforge@localhost".to_owned());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "MIRRORFORGE_MAIL_FROM",
                &mail_from,
                "must be an email address, e.g. mirrorforge@example.com",
            ));
        }
        Ok(Self {
            smtp_url,
            mail_from,
            metrics_token: env("MIRRORFORGE_METRICS_TOKEN").filter(|v| !v.is_empty()),
            listen,
            data_dir,
            database_url,
            secret_key: get("MIRRORFORGE_SECRET_KEY", file.secret_key),
            allow_local_networks,
            scheduler_cron,
            min_sync_interval,
            max_concurrent_syncs,
            max_syncs_per_owner,
            sync_timeout,
            keep_days,
            registration,
            header_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            git_idle_timeout: Duration::from_secs(60),
            remote_silence_limit: Duration::from_secs(30),
            max_git_processes,
            git_queue_wait: Duration::from_secs(10),
            max_connections,
            public_url,
            lfs_max_object_size,
            login_throttle: LoginLimits::default(),
        })
    }

    /// A configuration for tests and tools: everything default, data under `data_dir`.
    #[must_use]
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        let mut config =
            Self::from_lookup(FileConfig::default(), |_| None).expect("the defaults are valid");
        config.database_url = format!("sqlite://{}/mirrorforge.db?mode=rwc", data_dir.display());
        config.data_dir = data_dir;
        config
    }

    /// Where absolute URLs start (no trailing slash): the public URL, else `http://` and the
    /// listen address, with an unspecified address (`0.0.0.0`, `::`) read as loopback.
    #[must_use]
    pub fn base_url(&self) -> String {
        if let Some(url) = &self.public_url {
            return url.clone();
        }
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    }

    /// Whether cookies must be `Secure`: the public URL is https.
    #[must_use]
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// Directory holding the bare repositories.
    #[must_use]
    pub fn repos_dir(&self) -> PathBuf {
        self.data_dir.join("repos")
    }
}

/// 5 GiB: the default bound on one Git LFS object.
const DEFAULT_LFS_MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * 1024;

/// Days a kept ref lives, unless `MIRRORFORGE_KEEP_DAYS` says otherwise.
const DEFAULT_KEEP_DAYS: u32 = 90;

/// Connections open at once, unless `MIRRORFORGE_MAX_CONNECTIONS` says otherwise.
const DEFAULT_MAX_CONNECTIONS: usize = 1024;

#[cfg(test)]
mod tests;
