//! The `companion` binary's subcommands, run as a user would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Sandbox {
    folder: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let sandbox = Self { folder: tempfile::tempdir().unwrap() };
        testkit::copy_dir(&testkit::sample_course(), &sandbox.course());
        sandbox
    }

    fn course(&self) -> PathBuf {
        self.folder.path().join("course")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_companion"))
            .args(args)
            .current_dir(self.folder.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.folder.path().join("db/companion.db").display()),
            )
            .env("APP__STORAGE__LOCAL_DIR", self.folder.path().join("store"))
            .env("APP__LOG__LEVEL", "warn")
            .env("BCRYPT_COST", "4")
            .output()
            .unwrap()
    }

    /// Every file of the database folder and the store, with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for folder in ["db", "store"] {
            collect(&self.folder.path().join(folder), &mut files);
        }
        files
    }
}

fn collect(dir: &Path, files: &mut BTreeMap<PathBuf, Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn import_prints_one_line_per_chapter_off_a_terminal_and_reimport_changes_nothing() {
    let sandbox = Sandbox::new();
    let course = sandbox.course();
    let first = sandbox.run(&["import", course.to_str().unwrap()]);
    assert!(first.status.success(), "{}", stderr(&first));
    let log = stderr(&first);
    assert_eq!(log.matches("stored chapter").count(), 10, "{log}");
    assert!(log.contains("10 created"), "{log}");

    let second = sandbox.run(&["import", course.to_str().unwrap()]);
    assert!(second.status.success());
    assert!(
        stderr(&second)
            .contains("0 created, 0 updated, 10 unchanged, 0 deleted, 0 quizzes written"),
        "{}",
        stderr(&second)
    );
}

#[test]
fn import_of_a_broken_front_matter_prints_file_line_reason_exits_non_zero_and_changes_nothing() {
    let sandbox = Sandbox::new();
    let course = sandbox.course();
    assert!(sandbox.run(&["import", course.to_str().unwrap()]).status.success());
    let before = sandbox.snapshot();
    assert!(!before.is_empty());

    let chapter = course.join("chapters/07-planning-and-reasoning-loops.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, text.replacen("order: 7", "order: seven", 1)).unwrap();
    // A changed body elsewhere must not be stored either: validation comes first.
    let other = course.join("chapters/01-what-is-an-ai-agent.md");
    std::fs::write(&other, std::fs::read_to_string(&other).unwrap() + "\nNew closing line.\n")
        .unwrap();

    let broken = sandbox.run(&["import", course.to_str().unwrap()]);
    assert_eq!(broken.status.code(), Some(1));
    let expected =
        format!("{}:4: order must be a positive whole number, not `seven`", chapter.display());
    assert!(stderr(&broken).lines().any(|line| line == expected), "{}", stderr(&broken));
    assert!(sandbox.snapshot() == before, "the database and the store are untouched");
}

#[test]
fn migrate_applies_the_migrations_and_says_so() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&["migrate"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("migrations applied"));
    assert!(sandbox.folder.path().join("db/companion.db").exists());
}

#[test]
fn an_invalid_configuration_is_refused_in_one_line() {
    let sandbox = Sandbox::new();
    let output = Command::new(env!("CARGO_BIN_EXE_companion"))
        .arg("migrate")
        .current_dir(sandbox.folder.path())
        .env("APP_ENV", "staging")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: APP_ENV must be development, test or production, not `staging`"
    );
}

#[test]
fn user_create_makes_an_account_and_set_tier_changes_it_with_an_audit_line() {
    let sandbox = Sandbox::new();
    let create = [
        "user",
        "create",
        "--email",
        "Admin@Example.com",
        "--password",
        "admin pass 1",
        "--role",
        "admin",
        "--tier",
        "pro",
    ];
    let created = sandbox.run(&create);
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(
        stderr(&created).contains("created admin@example.com (admin, pro)"),
        "{}",
        stderr(&created)
    );

    let again = sandbox.run(&create);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--email is already taken"), "{}", stderr(&again));

    let set =
        ["user", "set-tier", "--email", "admin@example.com", "--tier", "free", "--reason", "test"];
    let changed = sandbox.run(&set);
    assert!(changed.status.success(), "{}", stderr(&changed));
    assert!(stderr(&changed).contains("admin@example.com: pro -> free"), "{}", stderr(&changed));
}

#[test]
fn user_create_refuses_a_weak_password_or_an_unknown_tier_before_touching_anything() {
    let sandbox = Sandbox::new();
    let weak = sandbox.run(&["user", "create", "--email", "a@example.com", "--password", "short"]);
    assert_eq!(weak.status.code(), Some(1));
    assert!(stderr(&weak).contains("--password"), "{}", stderr(&weak));
    let tier = sandbox.run(&[
        "user",
        "create",
        "--email",
        "a@example.com",
        "--password",
        "long enough 1",
        "--tier",
        "gold",
    ]);
    assert!(
        stderr(&tier).contains("--tier tier must be free, premium or pro"),
        "{}",
        stderr(&tier)
    );
    assert!(sandbox.snapshot().is_empty(), "no database was created");
    let unknown =
        sandbox.run(&["user", "set-tier", "--email", "nobody@example.com", "--tier", "pro"]);
    assert_eq!(unknown.status.code(), Some(1));
}
