//! `make bench`'s tick row seeds 100,000 mirror rows before it measures; when the table grew
//! past what one insert may bind on SQLite, the bench crashed there and every later row went
//! unmeasured, with `make test` green. This runs the same seeding (the bench's own code) at
//! the same size on SQLite, so such a crash fails the tests first.

use mirrorforge::repos::{self, NewRepo};

use crate::support::{Db, TestServer};

#[path = "../../benches/mirror/seed.rs"]
mod seed;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tick_row_s_seeding_of_100_000_rows_runs_on_sqlite() {
    use sea_orm::{EntityTrait, PaginatorTrait};

    let s = TestServer::start(&Db::Sqlite).await;
    let user = s.create_admin("fleet").await;
    let owner = mirrorforge::accounts::users::find_by_id(&s.conn, user.id)
        .await
        .unwrap()
        .unwrap();
    let template = repos::create(
        &s.conn,
        &s.config,
        &owner,
        NewRepo {
            name: "template".to_owned(),
            ..NewRepo::default()
        },
    )
    .await
    .unwrap()
    .repo;
    assert!(
        seed::rows_per_insert() >= 100,
        "{} rows an insert",
        seed::rows_per_insert()
    );
    seed::seed_mirror_rows(&s.conn, &template, 100_000, chrono::Utc::now()).await;
    let rows = mirrorforge::entities::repository::Entity::find()
        .count(&s.conn)
        .await
        .unwrap();
    assert_eq!(rows, 100_001);
}
