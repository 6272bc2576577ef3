//! `server::start` as a library: the handle's promises about stopping.

use mirrorforge::{config::Config, server};

use crate::support::{Db, on_both_databases};

on_both_databases!(a_dropped_handle_keeps_serving_and_stop_stops);

async fn a_dropped_handle_keeps_serving_and_stop_stops(db: Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_data_dir(dir.path().to_path_buf());
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.database_url = db.database_url(dir.path());
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let dropped = server::start(config.clone()).await.expect("starts");
    let addr = dropped.addr;
    drop(dropped);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let resp = http
        .get(format!("http://{addr}/api/v1/user"))
        .send()
        .await
        .expect("still serving after the handle was dropped");
    assert_eq!(resp.status().as_u16(), 401);

    let stopped = server::start(config).await.expect("starts");
    let addr = stopped.addr;
    http.get(format!("http://{addr}/api/v1/user"))
        .send()
        .await
        .expect("serving");
    stopped.stop().await.expect("stops cleanly");
    let after = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("http://{addr}/api/v1/user"))
        .send()
        .await;
    assert!(after.is_err(), "still answering after stop(): {after:?}");
}
