//! Repository tests, run on a fresh SQLite database and, when `TEST_DATABASE_URL` is set, on a
//! fresh PostgreSQL database too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use domain::{ChapterRef, CoursePackage, Email, SourceFile, TimeZone};
use persistence::{Database, PersistenceError, PoolOptions, StoredBody};

fn chapter(slug: &str, order: u32, body: &str) -> SourceFile {
    SourceFile {
        path: format!("chapters/{slug}.md"),
        text: format!(
            "---\ntitle: Title of {slug}\nslug: {slug}\norder: {order}\ndifficulty: beginner\nestimated_minutes: 5\n---\n{body}"
        ),
    }
}

fn quiz(slug: &str, answer: &str) -> SourceFile {
    SourceFile {
        path: format!("quizzes/{slug}.toml"),
        text: format!(
            "chapter = \"{slug}\"\ntitle = \"Quiz\"\n[[questions]]\nkind = \"single_choice\"\ntext = \"Q?\"\noptions = {{ A = \"a\", B = \"b\" }}\nanswer = \"{answer}\"\nexplanation = \"E\"\n"
        ),
    }
}

fn package(chapters: &[SourceFile], quizzes: &[SourceFile]) -> CoursePackage {
    let manifest =
        SourceFile { path: "course.toml".into(), text: "title = \"C\"\nslug = \"c\"\n".into() };
    CoursePackage::validate(&manifest, chapters, quizzes).unwrap()
}

/// Bodies as the importer would store them (the store itself is not under test here).
fn bodies(package: &CoursePackage) -> Vec<StoredBody> {
    package
        .chapters
        .iter()
        .map(|c| StoredBody {
            content_key: format!("chapters/sha256/{}.md", c.content_hash()),
            content_sha256: c.content_hash().to_hex(),
        })
        .collect()
}

async fn sqlite() -> (Database, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("test.db").display());
    let db = Database::connect(&url, &PoolOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    (db, folder)
}

async fn postgres(test: &str) -> Option<Database> {
    let fresh = testkit::fresh_postgres(test).await?;
    let db = Database::connect(&fresh.url, &PoolOptions::default()).await.unwrap();
    db.migrate().await.unwrap();
    Some(db)
}

/// Runs a scenario on SQLite, then on PostgreSQL when configured.
macro_rules! on_every_database {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                let (db, _folder) = super::sqlite().await;
                super::$scenario(&db).await;
            }

            #[tokio::test]
            async fn on_postgres() {
                if let Some(db) = super::postgres(concat!(stringify!($name), "::on_postgres")).await
                {
                    super::$scenario(&db).await;
                }
            }
        }
    };
}

async fn importing_creates_chapters_in_order_with_their_quiz(db: &Database) {
    let package = package(&[chapter("b", 2, "Two"), chapter("a", 1, "One")], &[quiz("a", "B")]);
    let report = db.sync_course(&package, &bodies(&package)).await.unwrap();
    assert_eq!((report.created, report.quizzes_written), (2, 1));
    let chapters = db.list_chapters().await.unwrap();
    let slugs: Vec<_> = chapters.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["a", "b"]);
    assert_eq!(db.count_chapters().await.unwrap(), 2);
    let quizzes = db.list_quiz_chapters().await.unwrap();
    assert_eq!(
        quizzes.iter().map(|(_, chapter)| *chapter).collect::<Vec<_>>(),
        vec![chapters[0].id]
    );
}
on_every_database!(import_creates, importing_creates_chapters_in_order_with_their_quiz);

async fn reimporting_an_unchanged_package_changes_nothing(db: &Database) {
    let package = package(&[chapter("a", 1, "One"), chapter("b", 2, "Two")], &[quiz("a", "A")]);
    db.sync_course(&package, &bodies(&package)).await.unwrap();
    let before = db.list_chapters().await.unwrap();
    let report = db.sync_course(&package, &bodies(&package)).await.unwrap();
    assert!(!report.changed_anything(), "{report:?}");
    assert_eq!(report.unchanged, 2);
    assert_eq!(db.list_chapters().await.unwrap(), before, "ids and timestamps are untouched");
}
on_every_database!(reimport_unchanged, reimporting_an_unchanged_package_changes_nothing);

async fn a_changed_package_keeps_ids_swaps_orders_and_drops_removed_chapters(db: &Database) {
    let first = package(
        &[chapter("a", 1, "One"), chapter("b", 2, "Two"), chapter("c", 3, "Three")],
        &[quiz("a", "A"), quiz("c", "A")],
    );
    db.sync_course(&first, &bodies(&first)).await.unwrap();
    let ids = |chapters: &[persistence::ChapterRecord], slug: &str| {
        chapters.iter().find(|c| c.slug == slug).map(|c| c.id)
    };
    let before = db.list_chapters().await.unwrap();
    let quiz_of = |quizzes: Vec<(uuid::Uuid, uuid::Uuid)>, chapter: Option<uuid::Uuid>| {
        quizzes.into_iter().find(|(_, c)| Some(*c) == chapter).map(|(quiz, _)| quiz)
    };
    let quiz_a = quiz_of(db.list_quiz_chapters().await.unwrap(), ids(&before, "a"));

    // b and a swap places, a's body changes, c goes away, a's quiz changes its answer.
    let second =
        package(&[chapter("b", 1, "Two"), chapter("a", 2, "One, revised")], &[quiz("a", "B")]);
    let report = db.sync_course(&second, &bodies(&second)).await.unwrap();
    assert_eq!((report.updated, report.deleted, report.created), (2, 1, 0), "{report:?}");
    let after = db.list_chapters().await.unwrap();
    let slugs: Vec<_> = after.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["b", "a"]);
    assert_eq!(ids(&after, "a"), ids(&before, "a"), "a chapter keeps its id across imports");
    assert_eq!(quiz_of(db.list_quiz_chapters().await.unwrap(), ids(&after, "a")), quiz_a);
    let a = after.iter().find(|c| c.slug == "a").unwrap();
    assert_eq!(a.content_sha256, second.chapters[1].content_hash().to_hex());
    assert!(db.find_chapter(&ChapterRef::Slug("c".into())).await.unwrap().is_none());
}
on_every_database!(
    reimport_changed,
    a_changed_package_keeps_ids_swaps_orders_and_drops_removed_chapters
);

async fn chapters_are_found_by_id_or_slug(db: &Database) {
    let package = package(&[chapter("a", 1, "1"), chapter("b", 5, "2"), chapter("c", 9, "3")], &[]);
    db.sync_course(&package, &bodies(&package)).await.unwrap();
    let b = db.find_chapter(&ChapterRef::Slug("b".into())).await.unwrap().unwrap();
    assert_eq!(db.find_chapter(&ChapterRef::Id(b.id)).await.unwrap().unwrap(), b);
    assert!(db.find_chapter(&ChapterRef::Id(uuid::Uuid::new_v4())).await.unwrap().is_none());
}
on_every_database!(find_chapters, chapters_are_found_by_id_or_slug);

async fn every_migration_can_be_reverted_and_reapplied(db: &Database) {
    db.migrate_down_all().await.unwrap();
    assert!(db.count_chapters().await.is_err(), "tables are gone after down");
    db.migrate().await.unwrap();
    assert_eq!(db.count_chapters().await.unwrap(), 0);
}
on_every_database!(migrations_down_and_up, every_migration_can_be_reverted_and_reapplied);

#[tokio::test]
async fn an_unreachable_database_is_reported_as_unavailable() {
    let pool = PoolOptions {
        acquire_timeout: std::time::Duration::from_millis(500),
        ..PoolOptions::default()
    };
    // Port 9 (discard) on loopback: nothing listens there.
    let db = Database::connect("postgres://nobody@127.0.0.1:9/none", &pool).await.unwrap();
    match db.ping().await {
        Err(PersistenceError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

fn new_user(email: &str) -> persistence::NewUser {
    persistence::NewUser {
        email: Email::parse(email).unwrap(),
        password_hash: "$2b$04$notarealhashbutlongenoughtostore0000000000000000000".into(),
        name: "Ada".into(),
        timezone: TimeZone::default(),
        background: String::new(),
        tier: domain::Tier::Free,
        role: domain::Role::Student,
    }
}

async fn a_taken_email_is_a_conflict_not_an_error(db: &Database) {
    let user = db.create_user(new_user("ada@example.com")).await.unwrap();
    assert_eq!(
        db.find_user_by_email("ADA@example.com").await.unwrap().map(|u| u.id),
        Some(user.id)
    );
    match db.create_user(new_user("ada@example.com")).await {
        Err(PersistenceError::Conflict(_)) => {}
        other => panic!("expected Conflict, got {other:?}"),
    }
}
on_every_database!(users_unique_email, a_taken_email_is_a_conflict_not_an_error);

#[tokio::test]
async fn text_postgres_cannot_store_is_an_invalid_value_not_an_outage() {
    let test = "text_postgres_cannot_store_is_an_invalid_value_not_an_outage";
    let Some(db) = postgres(test).await else {
        return;
    };
    // PostgreSQL refuses NUL in text (SQLSTATE 22021), on a write and in a query alike. An
    // `Email` cannot hold one, so the write carries it in the name.
    let with_nul = persistence::NewUser { name: "N\0ul".into(), ..new_user("nul@example.com") };
    match db.create_user(with_nul).await {
        Err(PersistenceError::InvalidValue(_)) => {}
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    match db.find_user_by_email("nul\0@example.com").await {
        Err(PersistenceError::InvalidValue(_)) => {}
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

async fn a_tier_change_is_applied_and_audited_in_one_go(db: &Database) {
    use domain::{Role, Tier};
    let user = db.create_user(new_user("tier@example.com")).await.unwrap();
    let access = |tier| {
        Some(persistence::UserAccess { tier, role: Role::Student, timezone: TimeZone::default() })
    };
    assert_eq!(db.user_access(user.id).await.unwrap(), access(Tier::Free));
    let change =
        db.change_tier(user.id, Tier::Pro, None, Some("promo".into())).await.unwrap().unwrap();
    assert_eq!((change.previous_tier, change.tier), (Tier::Free, Tier::Pro));
    assert_eq!(db.user_access(user.id).await.unwrap(), access(Tier::Pro));
    assert_eq!(db.tier_history(user.id).await.unwrap(), vec![(Tier::Free, Tier::Pro)]);
    assert!(db.change_tier(uuid::Uuid::new_v4(), Tier::Pro, None, None).await.unwrap().is_none());
}
on_every_database!(users_tier_change, a_tier_change_is_applied_and_audited_in_one_go);

async fn profile_changes_touch_only_the_given_fields(db: &Database) {
    let user = db.create_user(new_user("profile@example.com")).await.unwrap();
    let changes = persistence::ProfileChanges {
        timezone: Some(TimeZone::parse("Europe/Lisbon").unwrap()),
        preferences: Some(r#"{"pace":"slow"}"#.into()),
        ..Default::default()
    };
    let updated = db.update_profile(user.id, changes).await.unwrap().unwrap();
    assert_eq!((updated.name.as_str(), updated.timezone.name()), ("Ada", "Europe/Lisbon"));
    assert_eq!(updated.preferences, r#"{"pace":"slow"}"#);
    let at = chrono::Utc::now();
    db.record_login(user.id, at).await.unwrap();
    let reloaded = db.find_user(user.id).await.unwrap().unwrap();
    assert_eq!(reloaded.last_login.map(|t| t.timestamp()), Some(at.timestamp()));
}
on_every_database!(users_profile, profile_changes_touch_only_the_given_fields);

async fn a_page_of_attempts_comes_from_sql_with_figures_over_every_attempt(db: &Database) {
    use persistence::{AttemptOutcome, NewAttempt};
    let package = package(&[chapter("a", 1, "One")], &[quiz("a", "B")]);
    db.sync_course(&package, &bodies(&package)).await.unwrap();
    let quiz_id = db.list_quiz_chapters().await.unwrap()[0].0;
    let user = db.create_user(new_user("pages@example.com")).await.unwrap();
    let empty = db.attempt_history(user.id, quiz_id, 20, 0).await.unwrap();
    assert_eq!(
        (empty.page.len(), empty.attempt_count, empty.best_score, empty.last_score),
        (0, 0, None, None)
    );
    assert!(!empty.passed_ever);
    for (score, passed) in [(40, false), (90, true), (60, false), (20, false), (50, false)] {
        let attempt = NewAttempt {
            user_id: user.id,
            quiz_id,
            submission_id: None,
            answers: Default::default(),
            score,
            correct_count: 0,
            total: 1,
            passed,
        };
        assert!(matches!(
            db.record_attempt(&attempt, None, &[]).await.unwrap().0,
            AttemptOutcome::Recorded(_)
        ));
    }
    let page = db.attempt_history(user.id, quiz_id, 2, 1).await.unwrap();
    let numbers: Vec<u32> = page.page.iter().map(|a| a.attempt_number).collect();
    assert_eq!(numbers, [4, 3], "newest first, from the offset");
    assert_eq!(
        (page.attempt_count, page.best_score, page.last_score, page.passed_ever),
        (5, Some(90), Some(50), true),
        "figures cover attempts outside the page"
    );
    let beyond = db.attempt_history(user.id, quiz_id, 20, 5).await.unwrap();
    assert!(beyond.page.is_empty());
    assert_eq!(beyond.attempt_count, 5);
    let other = db.create_user(new_user("other@example.com")).await.unwrap();
    assert_eq!(db.attempt_history(other.id, quiz_id, 20, 0).await.unwrap().attempt_count, 0);
}
on_every_database!(
    attempt_history_pages,
    a_page_of_attempts_comes_from_sql_with_figures_over_every_attempt
);
