use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection};

use crate::PersistenceError;

/// Connection pool sizing and timeouts.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    /// How long a request waits for a connection before it gets a 503.
    pub acquire_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// A snapshot of the connection pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    pub in_use: u32,
    pub idle: u32,
}

/// The database: a pool plus the repository methods (in sibling modules).
#[derive(Debug, Clone)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
}

impl Database {
    /// Connects lazily: the server starts even when the database is down, and reconnects
    /// when it comes back.
    pub async fn connect(url: &str, pool: &PoolOptions) -> Result<Self, PersistenceError> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(pool.max_connections)
            .min_connections(0)
            .acquire_timeout(pool.acquire_timeout)
            .connect_timeout(pool.connect_timeout)
            // sqlx already pings a connection when it is released and drops a broken one;
            // a second ping before every acquire would double the round trips.
            .test_before_acquire(false)
            .connect_lazy(true)
            .sqlx_logging(false)
            // SQLite: write-ahead logging lets reads run beside the one writer, and NORMAL
            // syncs at checkpoints rather than at every commit. A crash of the process loses
            // nothing; a power cut may lose the last commits but never corrupts the file.
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal)
            });
        let conn = sea_orm::Database::connect(options).await?;
        Ok(Self { conn })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), PersistenceError> {
        Migrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// Reverts every migration (for tests of `down`).
    pub async fn migrate_down_all(&self) -> Result<(), PersistenceError> {
        Migrator::down(&self.conn, None).await?;
        Ok(())
    }

    /// A round trip to the database, for `/health`.
    pub async fn ping(&self) -> Result<(), PersistenceError> {
        self.conn.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    /// Connections of the pool that are checked out and idle right now, for `/metrics`.
    pub fn pool_usage(&self) -> PoolUsage {
        use sea_orm::DatabaseConnectionType as Kind;
        let (size, idle) = match &self.conn.inner {
            Kind::SqlxPostgresPoolConnection(_) => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            Kind::SqlxSqlitePoolConnection(_) => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        PoolUsage { in_use: size.saturating_sub(idle), idle }
    }

    pub async fn close(self) -> Result<(), PersistenceError> {
        self.conn.close().await?;
        Ok(())
    }
}
