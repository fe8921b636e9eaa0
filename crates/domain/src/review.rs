//! Spaced review: every question a learner has answered is a card for that learner, scheduled
//! by FSRS (the `rs-fsrs` crate's long-term scheduler with its default parameters; we never
//! train them) in the learner's own days.
//!
//! FSRS counts days between reviews. It is fed the learner's wall-clock time (their local date
//! and time read as if it were UTC), so a day to it is a calendar day where the learner lives,
//! whatever daylight saving does. A card it schedules `n` days ahead falls due at the start of
//! the learner's local day `n` days after today; a card answered wrong (*Again*) is due again
//! at once, so a missed question comes back in the same session. "Due today" means due before
//! the learner's next local midnight.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, TimeDelta, TimeZone as _, Utc};
use chrono_tz::Tz;

use crate::quiz::QuestionKind;
use crate::streak::local_day;

/// How well a card was recalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    /// Answered wrong.
    Again,
    /// Right, but only at the second try (a multiple-choice card missed earlier today).
    Hard,
    /// Right.
    Good,
}

impl Rating {
    /// The stored code: FSRS's rating number.
    pub fn code(self) -> i16 {
        match self {
            Self::Again => 1,
            Self::Hard => 2,
            Self::Good => 3,
        }
    }

    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            1 => Some(Self::Again),
            2 => Some(Self::Hard),
            3 => Some(Self::Good),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Again => "again",
            Self::Hard => "hard",
            Self::Good => "good",
        }
    }

    fn fsrs(self) -> rs_fsrs::Rating {
        match self {
            Self::Again => rs_fsrs::Rating::Again,
            Self::Hard => rs_fsrs::Rating::Hard,
            Self::Good => rs_fsrs::Rating::Good,
        }
    }
}

/// Where a question was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    InQuiz,
    InReview,
}

/// Where a card is in FSRS's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    New,
    Learning,
    Review,
    Relearning,
}

impl CardState {
    pub fn code(self) -> i16 {
        match self {
            Self::New => 0,
            Self::Learning => 1,
            Self::Review => 2,
            Self::Relearning => 3,
        }
    }

    pub fn from_code(code: i16) -> Option<Self> {
        match code {
            0 => Some(Self::New),
            1 => Some(Self::Learning),
            2 => Some(Self::Review),
            3 => Some(Self::Relearning),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Learning => "learning",
            Self::Review => "review",
            Self::Relearning => "relearning",
        }
    }

    fn fsrs(self) -> rs_fsrs::State {
        match self {
            Self::New => rs_fsrs::State::New,
            Self::Learning => rs_fsrs::State::Learning,
            Self::Review => rs_fsrs::State::Review,
            Self::Relearning => rs_fsrs::State::Relearning,
        }
    }

    fn from_fsrs(state: rs_fsrs::State) -> Self {
        match state {
            rs_fsrs::State::New => Self::New,
            rs_fsrs::State::Learning => Self::Learning,
            rs_fsrs::State::Review => Self::Review,
            rs_fsrs::State::Relearning => Self::Relearning,
        }
    }
}

/// One learner's card for one question, after at least one review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Card {
    /// When it is due next (an instant; the start of a local day unless answered wrong).
    pub due: DateTime<Utc>,
    /// FSRS memory state.
    pub stability: f64,
    pub difficulty: f64,
    /// The interval FSRS chose at the last review, in the learner's days.
    pub interval_days: u32,
    pub reps: u32,
    pub lapses: u32,
    pub state: CardState,
    pub last_review: DateTime<Utc>,
    pub last_rating: Rating,
    /// Where the last answer was given.
    pub last_answered: Answered,
}

/// The share of cards a learner should still recall when they fall due (FSRS's desired
/// retention): 0.70–0.97.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retention(f64);

impl Retention {
    pub const DEFAULT: Self = Self(0.9);

    pub fn parse(value: f64) -> Option<Self> {
        (0.70..=0.97).contains(&value).then_some(Self(value))
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// The wall clock where the learner is, as FSRS's timeline.
fn wall_clock(instant: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    instant.with_timezone(&zone).naive_local().and_utc()
}

/// The first instant of the local `day` in `zone`. A day whose midnight does not exist (a
/// daylight-saving gap at 00:00) starts when its clocks start.
pub fn start_of_local_day(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let mut local: NaiveDateTime = day.and_time(chrono::NaiveTime::MIN);
    // No zone skips more than a few hours, in steps of at least 15 minutes.
    for _ in 0..16 {
        if let Some(instant) = zone.from_local_datetime(&local).earliest() {
            return instant.with_timezone(&Utc);
        }
        local += TimeDelta::minutes(15);
    }
    // Unreachable for real zones; midnight read as UTC keeps the order of days.
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// When the learner's local day that contains `now` ends: their next local midnight.
pub fn end_of_local_day(now: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let today = local_day(now, zone);
    today.succ_opt().map_or(DateTime::<Utc>::MAX_UTC, |tomorrow| start_of_local_day(tomorrow, zone))
}

/// How a learner's answer in review rates the card: wrong is *Again*; right is *Good*, or
/// *Hard* for a multiple-choice card the learner got wrong in review earlier the same local
/// day (a second try; a quiz's miss is not a try in review).
pub fn rating_for(
    correct: bool,
    kind: QuestionKind,
    card: Option<&Card>,
    now: DateTime<Utc>,
    zone: Tz,
) -> Rating {
    if !correct {
        return Rating::Again;
    }
    let second_try = card.is_some_and(|card| {
        card.last_rating == Rating::Again
            && card.last_answered == Answered::InReview
            && local_day(card.last_review, zone) == local_day(now, zone)
    });
    if second_try && kind == QuestionKind::MultipleChoice { Rating::Hard } else { Rating::Good }
}

impl Card {
    /// Due at or before `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.due <= now
    }

    /// Due before the end of the learner's local day.
    pub fn is_due_today(&self, now: DateTime<Utc>, zone: Tz) -> bool {
        self.due < end_of_local_day(now, zone)
    }
}

/// FSRS with the desired retention from configuration.
#[derive(Debug, Clone)]
pub struct Scheduler {
    fsrs: rs_fsrs::FSRS,
}

impl Scheduler {
    pub fn new(retention: Retention) -> Self {
        Self::with_parameters(rs_fsrs::Parameters {
            request_retention: retention.get(),
            enable_short_term: false,
            enable_fuzz: false,
            ..rs_fsrs::Parameters::default()
        })
    }

    fn with_parameters(parameters: rs_fsrs::Parameters) -> Self {
        Self { fsrs: rs_fsrs::FSRS::new(parameters) }
    }

    /// The card after an answer rated `rating` at `now` (`card`: `None` for the first one).
    pub fn review(
        &self,
        card: Option<&Card>,
        rating: Rating,
        answered: Answered,
        now: DateTime<Utc>,
        zone: Tz,
    ) -> Card {
        let clock = wall_clock(now, zone);
        let before = card.map_or_else(rs_fsrs::Card::default, |card| rs_fsrs::Card {
            due: wall_clock(card.due, zone),
            stability: card.stability,
            difficulty: card.difficulty,
            elapsed_days: 0,
            scheduled_days: i64::from(card.interval_days),
            reps: i32::try_from(card.reps).unwrap_or(i32::MAX),
            lapses: i32::try_from(card.lapses).unwrap_or(i32::MAX),
            state: card.state.fsrs(),
            last_review: wall_clock(card.last_review, zone),
        });
        let after = self.fsrs.next(before, clock, rating.fsrs()).card;
        let interval_days = u32::try_from(after.scheduled_days.max(1)).unwrap_or(u32::MAX);
        let due = match rating {
            Rating::Again => now,
            Rating::Hard | Rating::Good => local_day(now, zone)
                .checked_add_days(Days::new(u64::from(interval_days)))
                .map_or(DateTime::<Utc>::MAX_UTC, |day| start_of_local_day(day, zone)),
        };
        Card {
            due,
            stability: after.stability,
            difficulty: after.difficulty,
            interval_days,
            reps: u32::try_from(after.reps).unwrap_or_default(),
            lapses: u32::try_from(after.lapses).unwrap_or_default(),
            state: CardState::from_fsrs(after.state),
            last_review: now,
            last_rating: rating,
            last_answered: answered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    /// The `rs-fsrs` crate's own long-term scheduler test (`test_long_term_scheduler`): its
    /// weights, rating sequence and expected intervals, stabilities and difficulties.
    #[test]
    fn scheduling_reproduces_the_fsrs_crates_reference_intervals() {
        let weights = [
            0.4197, 1.1869, 3.0412, 15.2441, 7.1434, 0.6477, 1.0007, 0.0674, 1.6597, 0.1712,
            1.1178, 2.0225, 0.0904, 0.3025, 2.1214, 0.2498, 2.9466, 0.4891, 0.6468,
        ];
        let scheduler = Scheduler::with_parameters(rs_fsrs::Parameters {
            w: weights,
            enable_short_term: false,
            ..rs_fsrs::Parameters::default()
        });
        use Rating::{Again, Good};
        let ratings =
            [Good, Good, Good, Good, Good, Good, Again, Again, Good, Good, Good, Good, Good];
        let expected_intervals = [3, 13, 48, 155, 445, 1158, 17, 3, 9, 27, 74, 190, 457];
        let expected_stability = [
            3.0412, 13.0913, 48.1585, 154.9373, 445.0556, 1158.0778, 16.6306, 2.9888, 9.4633,
            26.9474, 73.9723, 189.7037, 457.4379,
        ];
        let expected_difficulty = [
            4.4909, 4.2666, 4.0575, 3.8624, 3.6804, 3.5108, 5.219, 6.8122, 6.4314, 6.0763, 5.7452,
            5.4363, 5.1483,
        ];
        let round = |value: f64| (value * 10_000.0).round() / 10_000.0;
        // The reference reviews each card when FSRS scheduled it, at 12:30 UTC.
        let mut now = at("2022-11-29T12:30:00Z");
        let mut card = None;
        let (mut intervals, mut stability, mut difficulty) = (vec![], vec![], vec![]);
        for rating in ratings {
            let next = scheduler.review(card.as_ref(), rating, Answered::InReview, now, Tz::UTC);
            intervals.push(next.interval_days);
            stability.push(round(next.stability));
            difficulty.push(round(next.difficulty));
            now += TimeDelta::days(i64::from(next.interval_days));
            card = Some(next);
        }
        assert_eq!(intervals, expected_intervals);
        assert_eq!(stability, expected_stability);
        assert_eq!(difficulty, expected_difficulty);
    }

    #[test]
    fn a_wrong_answer_is_due_again_at_once_and_a_right_one_at_the_start_of_a_later_local_day() {
        let scheduler = Scheduler::new(Retention::DEFAULT);
        let zone = tz("America/New_York");
        let now = at("2026-03-07T23:30:00-05:00");
        let wrong = scheduler.review(None, Rating::Again, Answered::InReview, now, zone);
        assert_eq!(wrong.due, now);
        assert!(wrong.is_due_today(now, zone));
        let right = scheduler.review(Some(&wrong), Rating::Good, Answered::InReview, now, zone);
        assert!(!right.is_due_today(now, zone));
        let due_local = right.due.with_timezone(&zone);
        assert_eq!(due_local.time(), chrono::NaiveTime::MIN);
        assert_eq!(
            due_local.date_naive(),
            local_day(now, zone) + Days::new(u64::from(right.interval_days))
        );
    }

    #[test]
    fn a_multiple_choice_card_right_at_the_second_try_in_review_the_same_day_rates_hard() {
        let scheduler = Scheduler::new(Retention::DEFAULT);
        let zone = tz("Europe/Berlin");
        let now = at("2026-05-04T10:00:00Z");
        let missed = scheduler.review(None, Rating::Again, Answered::InReview, now, zone);
        let later = now + TimeDelta::minutes(5);
        let multiple = QuestionKind::MultipleChoice;
        assert_eq!(rating_for(true, multiple, Some(&missed), later, zone), Rating::Hard);
        assert_eq!(
            rating_for(true, QuestionKind::SingleChoice, Some(&missed), later, zone),
            Rating::Good
        );
        let next_day = now + TimeDelta::days(1);
        assert_eq!(rating_for(true, multiple, Some(&missed), next_day, zone), Rating::Good);
        assert_eq!(rating_for(false, multiple, Some(&missed), later, zone), Rating::Again);
        assert_eq!(rating_for(true, multiple, None, later, zone), Rating::Good);
        let missed_in_quiz = scheduler.review(None, Rating::Again, Answered::InQuiz, now, zone);
        assert_eq!(rating_for(true, multiple, Some(&missed_in_quiz), later, zone), Rating::Good);
    }

    #[test]
    fn the_local_day_ends_at_the_learners_midnight_across_daylight_saving_changes() {
        // New York springs forward on 2026-03-08: that day has 23 hours.
        let zone = tz("America/New_York");
        let end = end_of_local_day(at("2026-03-08T12:00:00-04:00"), zone);
        assert_eq!(end, at("2026-03-09T00:00:00-04:00"));
        // Santiago's clocks once jumped from 24:00 to 01:00 (2022-09-11): the day starts at 01:00.
        let santiago = tz("America/Santiago");
        let start = start_of_local_day(NaiveDate::from_ymd_opt(2022, 9, 11).unwrap(), santiago);
        assert_eq!(start, at("2022-09-11T01:00:00-03:00"));
    }

    #[test]
    fn retention_outside_seventy_to_ninety_seven_percent_is_refused() {
        assert!(Retention::parse(0.9).is_some());
        assert!(Retention::parse(0.5).is_none());
        assert!(Retention::parse(0.99).is_none());
        assert!(Retention::parse(f64::NAN).is_none());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        const ZONES: [&str; 5] =
            ["America/New_York", "Australia/Adelaide", "Pacific/Chatham", "UTC", "Asia/Kolkata"];

        fn rating() -> impl Strategy<Value = Rating> {
            prop_oneof![Just(Rating::Again), Just(Rating::Hard), Just(Rating::Good)]
        }

        proptest! {
            /// Over random reviews (ratings, times between them in minutes to months, across
            /// 2025–2027 so that every zone's daylight-saving changes are crossed), a review
            /// never schedules a card before it happened, a right answer never leaves it due
            /// today, and "due today" is exactly "due on or before today's local date".
            #[test]
            fn due_dates_move_forward_and_due_today_follows_the_local_calendar(
                zone in prop::sample::select(ZONES.to_vec()),
                start in 1_735_689_600i64..1_767_225_600,
                steps in prop::collection::vec((rating(), 1i64..90 * 24 * 60), 1..30),
            ) {
                let zone = tz(zone);
                let scheduler = Scheduler::new(Retention::DEFAULT);
                let mut now = DateTime::from_timestamp(start, 0).unwrap();
                let mut card: Option<Card> = None;
                for (rating, gap_minutes) in steps {
                    let next = scheduler.review(card.as_ref(), rating, Answered::InReview, now, zone);
                    prop_assert!(next.due >= now);
                    prop_assert_eq!(next.last_review, now);
                    if rating != Rating::Again {
                        prop_assert!(!next.is_due_today(now, zone));
                        prop_assert_eq!(next.due, start_of_local_day(local_day(next.due, zone), zone));
                    }
                    let later = now + TimeDelta::minutes(gap_minutes);
                    for instant in [now, later] {
                        prop_assert_eq!(
                            next.is_due_today(instant, zone),
                            local_day(next.due, zone) <= local_day(instant, zone)
                        );
                    }
                    now = later;
                    card = Some(next);
                }
            }
        }
    }
}
