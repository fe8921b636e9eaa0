use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// What can go wrong in the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum PersistenceError {
    /// The database cannot be reached (down, restarting, refusing connections, pool exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] DbErr),
    /// A unique or foreign-key constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database stayed locked by concurrent writers past our retries (SQLite's
    /// `SQLITE_BUSY`); clients may retry.
    #[error("the database is busy")]
    Busy,
    /// The database refused a value as data it cannot hold (PostgreSQL's SQLSTATE class 22,
    /// e.g. a NUL character in text): the client's input, not an outage or a bug.
    #[error("value refused by the database: {0}")]
    InvalidValue(String),
    /// A stored value cannot be read back as a domain value.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] DbErr),
}

impl From<DbErr> for PersistenceError {
    fn from(error: DbErr) -> Self {
        if let Some(violation) = error.sql_err() {
            match violation {
                SqlErr::UniqueConstraintViolation(detail) => return Self::Conflict(detail),
                SqlErr::ForeignKeyConstraintViolation(detail) => return Self::Conflict(detail),
                _ => {}
            }
        }
        if let Some(message) = data_exception(&error) {
            return Self::InvalidValue(message);
        }
        if is_busy(&error) {
            return Self::Busy;
        }
        if is_outage(&error) { Self::Unavailable(error) } else { Self::Database(error) }
    }
}

/// Errors that mean "the database is not there right now", as opposed to a bad query.
fn is_outage(error: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(runtime) | DbErr::Exec(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return false;
    };
    match sqlx.as_ref() {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        // SQLSTATE class 08 (connection exception), 57P0x (server shutting down / starting),
        // 55000 (database not accepting connections).
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P") || code == "55000"
        }),
        _ => false,
    }
}

/// SQLite's "database is locked" family (codes 5 and 6 with their extended variants). Only
/// SQLite's codes (at most four digits) are read so: PostgreSQL's 22021 (a NUL byte in text)
/// is 5 in its low byte too, and used to be answered "the database is busy".
fn is_busy(error: &DbErr) -> bool {
    let (DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx))) =
        error
    else {
        return false;
    };
    match sqlx.as_ref() {
        sea_orm::sqlx::Error::Database(db) => db
            .code()
            .filter(|code| code.len() <= 4)
            .is_some_and(|code| code.parse::<u32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6))),
        _ => false,
    }
}

/// PostgreSQL's data exceptions (SQLSTATE class 22: 22021 a NUL byte in text, 22P05 an
/// unsupported Unicode escape, 22001 a value too long …). SQLite's codes are decimal numbers
/// of at most four digits, so a five-character SQLSTATE is PostgreSQL's.
fn data_exception(error: &DbErr) -> Option<String> {
    let (DbErr::Query(RuntimeErr::SqlxError(sqlx)) | DbErr::Exec(RuntimeErr::SqlxError(sqlx))) =
        error
    else {
        return None;
    };
    let sea_orm::sqlx::Error::Database(db) = sqlx.as_ref() else {
        return None;
    };
    let code = db.code()?;
    (code.len() == 5 && code.starts_with("22")).then(|| format!("{code}: {}", db.message()))
}
