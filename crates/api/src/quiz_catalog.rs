//! The in-memory quiz catalog: quiz definitions only change on import, so they are loaded
//! in three queries and kept for [`CATALOG_TTL`]; serving and grading then touch no database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use persistence::{Database, StoredQuiz};
use uuid::Uuid;

use crate::ApiError;

/// How long a loaded catalog is used; a re-import is picked up within this time.
pub const CATALOG_TTL: Duration = Duration::from_secs(30);

/// Every quiz, by id and in course order.
#[derive(Debug, Default)]
pub struct Catalog {
    pub ordered: Vec<Arc<StoredQuiz>>,
    by_id: HashMap<Uuid, Arc<StoredQuiz>>,
}

impl Catalog {
    fn new(quizzes: Vec<StoredQuiz>) -> Self {
        let ordered: Vec<Arc<StoredQuiz>> = quizzes.into_iter().map(Arc::new).collect();
        let by_id = ordered.iter().map(|quiz| (quiz.id, Arc::clone(quiz))).collect();
        Self { ordered, by_id }
    }

    pub fn find(&self, id: Uuid) -> Option<&Arc<StoredQuiz>> {
        self.by_id.get(&id)
    }
}

/// The catalog and when it was loaded.
type Loaded = Option<(Instant, Arc<Catalog>)>;

/// Shared by all workers; reloads lazily after [`CATALOG_TTL`].
#[derive(Debug, Clone, Default)]
pub struct QuizCatalog {
    loaded: Arc<Mutex<Loaded>>,
}

impl QuizCatalog {
    pub async fn get(&self, db: &Database) -> Result<Arc<Catalog>, ApiError> {
        if let Some((at, catalog)) = self.loaded.lock().map_err(ApiError::internal)?.as_ref()
            && at.elapsed() < CATALOG_TTL
        {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Catalog::new(db.load_quizzes().await?));
        *self.loaded.lock().map_err(ApiError::internal)? =
            Some((Instant::now(), Arc::clone(&catalog)));
        Ok(catalog)
    }
}
