//! A fresh PostgreSQL database for each app that asks for one, and two instances sharing one
//! database and one Redis bus, as a scaled-out deployment runs.
use folio::Config;

use super::{Backend, TestApp, say_once_skipped, spawn_app_with, unique};

/// A fresh PostgreSQL database, dropped when this is dropped.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    /// Creates a database with a unique name next to the one `admin_url` names.
    pub async fn create(admin_url: &str) -> PgDatabase {
        use sea_orm::{ConnectionTrait, Database};
        let name = unique("folio_test");
        let admin = Database::connect(admin_url)
            .await
            .expect("connect to FOLIO_TEST_DATABASE_URL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        admin.close().await.ok();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        PgDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any async context we may block, so clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sea_orm::{ConnectionTrait, Database};
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    admin.close().await.ok();
                }
            });
        })
        .join();
    }
}

/// Two instances sharing one fresh PostgreSQL database and one Redis bus prefix, as a scaled-out
/// deployment runs; `None` (with a note) unless both services are configured.
pub async fn spawn_two_instances(adjust: impl Fn(&mut Config)) -> Option<(TestApp, TestApp)> {
    let (Ok(pg_url), Ok(redis_url)) = (
        std::env::var("FOLIO_TEST_DATABASE_URL"),
        std::env::var("FOLIO_TEST_REDIS_URL"),
    ) else {
        say_once_skipped(
            "FOLIO_TEST_DATABASE_URL and FOLIO_TEST_REDIS_URL are not both set: the two-instance test is skipped",
        );
        return None;
    };
    let db = PgDatabase::create(&pg_url).await;
    let prefix = unique("folio_test");
    let database_url = db.url.clone();
    let configure = |config: &mut Config| {
        config.database_url = Some(database_url.clone());
        config.redis_url = Some(redis_url.clone());
        config.bus_prefix = prefix.clone();
        adjust(config);
    };
    let mut first = spawn_app_with(Backend::Sqlite, configure).await;
    let second = spawn_app_with(Backend::Sqlite, configure).await;
    first._pg = Some(db);
    Some((first, second))
}
