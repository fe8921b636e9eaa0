//! CPU cost of searches that miss the result cache, measured in process (no HTTP):
//! `cargo run --release -p companion-search --example query_cost -- COURSE_DIR QUERIES_FILE`
//! where COURSE_DIR holds `chapters/*.md` (as `bench/generate_course.py` writes them) and
//! QUERIES_FILE one query a line (taken in a fixed shuffled order). Prints the build time and
//! the mean, median and p99 per query; `ROUNDS=n` repeats the set at other offsets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::indexing_slicing)]

use std::time::Instant;

use search::{IndexedChapter, SearchIndex};
use uuid::Uuid;

fn main() {
    let mut args = std::env::args().skip(1);
    let course = args.next().expect("COURSE_DIR");
    let queries = std::fs::read_to_string(args.next().expect("QUERIES_FILE")).unwrap();
    let mut paths: Vec<_> = std::fs::read_dir(format!("{course}/chapters"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    let chapters: Vec<IndexedChapter> = paths
        .iter()
        .enumerate()
        .map(|(number, path)| {
            let text = std::fs::read_to_string(path).unwrap();
            let (front, body) = text.trim_start_matches("---\n").split_once("\n---\n").unwrap();
            let title = front.lines().find_map(|line| line.strip_prefix("title: ")).unwrap();
            IndexedChapter {
                id: Uuid::new_v4(),
                slug: format!("chapter-{number}"),
                title: title.to_owned(),
                order: number as u32 + 1,
                body: body.to_owned(),
            }
        })
        .collect();
    let started = Instant::now();
    let index = SearchIndex::build(&chapters, "bench".into()).unwrap();
    println!("built {} sections in {:?}", index.section_count(), started.elapsed());
    let mut queries: Vec<&str> = queries.lines().filter(|line| !line.is_empty()).collect();
    // Learners' searches come in no order: in file order, neighbours share words and find
    // each other's postings and sections still in the CPU's caches. A fixed shuffle.
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for at in (1..queries.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        queries.swap(at, (seed % (at as u64 + 1)) as usize);
    }
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    let mut times = Vec::with_capacity(queries.len() * rounds);
    for round in 0..rounds {
        // A fresh index per round would cost a rebuild; distinct offsets miss the cache instead.
        for query in &queries {
            let started = Instant::now();
            let page = index.search(query, 10, round).unwrap();
            times.push(started.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(page);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{} searches: mean {mean:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
        times.len(),
        at(0.5),
        at(0.99)
    );
}
