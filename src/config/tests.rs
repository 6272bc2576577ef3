use super::*;

fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(FileConfig::default(), move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

#[test]
fn defaults_match_the_contract() {
    let c = with(&[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://./data/mirrorforge.db?mode=rwc");
    assert_eq!(c.scheduler_cron, "0 * * * * *");
    assert_eq!(c.min_sync_interval, 60);
    assert_eq!(c.max_concurrent_syncs, 4);
    assert_eq!(c.max_syncs_per_owner, 2);
    assert_eq!(c.sync_timeout, 3600);
    assert_eq!(c.registration, Registration::Open);
    assert!(!c.allow_local_networks);
    assert_eq!(c.lfs_max_object_size, 5 * 1024 * 1024 * 1024);
    assert_eq!(c.max_connections, 1024);
    assert_eq!(c.keep_days, 90);
    assert_eq!(
        with(&[("MIRRORFORGE_KEEP_DAYS", "0")]).unwrap().keep_days,
        0
    );
    assert!(with(&[("MIRRORFORGE_KEEP_DAYS", "-1")]).is_err());
    assert_eq!(
        with(&[("MIRRORFORGE_MAX_CONNECTIONS", "64")])
            .unwrap()
            .max_connections,
        64
    );
    assert!(with(&[("MIRRORFORGE_MAX_CONNECTIONS", "0")]).is_err());
    let c = with(&[("MIRRORFORGE_LFS_MAX_OBJECT_SIZE", "1048576")]).unwrap();
    assert_eq!(c.lfs_max_object_size, 1_048_576);
    assert!(with(&[("MIRRORFORGE_LFS_MAX_OBJECT_SIZE", "-1")]).is_err());
}

#[test]
fn environment_overrides_and_bad_values_name_the_variable() {
    let c = with(&[
        ("MIRRORFORGE_REGISTRATION", "closed"),
        ("MIRRORFORGE_ALLOW_LOCAL_NETWORKS", "true"),
    ])
    .unwrap();
    assert_eq!(c.registration, Registration::Closed);
    assert!(c.allow_local_networks);
    let err = with(&[("MIRRORFORGE_MAX_CONCURRENT_SYNCS", "many")]).unwrap_err();
    assert!(err.to_string().contains("MIRRORFORGE_MAX_CONCURRENT_SYNCS"));
}

#[test]
fn the_public_url_is_checked_and_trimmed() {
    let url = |v: &str| with(&[("MIRRORFORGE_PUBLIC_URL", v)]).map(|c| c.public_url);
    assert_eq!(
        url("https://Git.Example.com/").unwrap().as_deref(),
        Some("https://git.example.com")
    );
    assert_eq!(
        url("http://10.0.0.5:8080/git/").unwrap().as_deref(),
        Some("http://10.0.0.5:8080/git")
    );
    for bad in [
        "git.example.com",
        "ftp://git.example.com",
        "https://user:pw@git.example.com",
        "https://git.example.com/?x=1",
        "https://git.example.com/#top",
        "https://",
    ] {
        let err = url(bad).unwrap_err().to_string();
        assert!(err.contains("MIRRORFORGE_PUBLIC_URL"), "{bad}: {err}");
    }
    assert_eq!(with(&[]).unwrap().public_url, None);
}

#[test]
fn the_base_url_is_the_public_url_or_the_bound_address() {
    let mut c = with(&[]).unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:8080");
    assert!(!c.secure_cookies());
    c.listen = "0.0.0.0:3000".parse().unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:3000");
    c.listen = "[::]:3000".parse().unwrap();
    assert_eq!(c.base_url(), "http://[::1]:3000");
    c.public_url = Some("https://git.example.com".into());
    assert_eq!(c.base_url(), "https://git.example.com");
    assert!(c.secure_cookies());
}
