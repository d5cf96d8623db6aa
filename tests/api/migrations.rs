//! Migrations: down to zero and up again round-trips, catalogs included.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::helpers::{backends, fresh_database};

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn migrations_round_trip_down_to_zero_and_up_again() {
    for backend in backends() {
        let (url, dir) = fresh_database(backend).await;
        let db = Database::connect(&url).await.unwrap();
        let total = Migrator::migrations().len();

        Migrator::up(&db, None).await.unwrap();
        assert_eq!(
            Migrator::get_pending_migrations(&db).await.unwrap().len(),
            0
        );
        assert_eq!(count(&db, "maturity_stage").await, 4, "{backend:?}");
        assert_eq!(count(&db, "leadership_priority").await, 4, "{backend:?}");
        assert_eq!(count(&db, "kpi_definition").await, 20, "{backend:?}");

        Migrator::down(&db, None).await.unwrap();
        assert_eq!(
            Migrator::get_pending_migrations(&db).await.unwrap().len(),
            total
        );
        let gone = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM organization".to_owned(),
            ))
            .await;
        assert!(gone.is_err(), "{backend:?}: tables are dropped");

        Migrator::up(&db, None).await.unwrap();
        assert_eq!(
            count(&db, "kpi_definition").await,
            20,
            "{backend:?}: catalogs reload"
        );
        db.close().await.unwrap();
        if let Some(dir) = dir {
            std::fs::remove_dir_all(dir).ok();
        }
    }
}
