//! Daily streaks, counted in the learner's own days.
//!
//! A day is a calendar date in the learner's IANA timezone. The last check-in is kept as an
//! instant and re-read in the learner's *current* timezone, which settles timezone changes:
//! flying east never skips a day that was checked in (the last check-in moves later in local
//! time, so the next local day is still "the day after"), and flying west never yields an
//! extra day (the last check-in moves earlier, so a check-in on what is now the same local
//! day changes nothing, and one on a day before it counts as that same day).
//!
//! Whatever a learner does with their timezone, a streak changes at most twice in any 24
//! hours of real time: a check-in that would change it within 24 hours of the change before
//! the last one changes nothing. (Otherwise hopping one timezone east per hour, so that a new
//! local day starts each time, would add a day per hour.) In ordinary use two changes are the
//! most a day can see — 23:59 and 00:01 — and the next local midnight is 24 hours after the
//! first; only a check-in in the first hour after a 23-hour day (spring forward) just misses,
//! and counts on any later check-in that day.
//!
//! Streak freezes: every 7th consecutive day earns one, banked up to [`freeze_cap`] (2 on the
//! free tier, 3 above). At the next check-in after missed days, if enough freezes are banked,
//! they cover those days and the streak goes on; otherwise it starts again at 1 (the bank is
//! kept). A frozen day keeps a streak alive but does not lengthen it, so a streak is never
//! longer than the days the learner actually checked in.

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::access::Tier;

/// A learner's streak as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    pub current: u32,
    pub longest: u32,
    /// When the last check-in that changed the streak happened; `None` before the first one.
    pub last_checkin_at: Option<DateTime<Utc>>,
    /// When the one before it happened: a change within 24 hours of it is refused.
    pub previous_checkin_at: Option<DateTime<Utc>>,
    /// Freezes earned and not used yet.
    pub freezes_banked: u8,
    /// Freezes ever used.
    pub freezes_used: u32,
    /// The current streak's frozen days among the 64 local days before the last check-in's:
    /// bit `i` is the day `i + 1` days before it.
    pub frozen_days: u64,
}

/// How many freezes a tier may bank.
pub fn freeze_cap(tier: Tier) -> u8 {
    match tier {
        Tier::Free => 2,
        Tier::Premium | Tier::Pro => 3,
    }
}

/// Every this many consecutive days earn a freeze.
const DAYS_PER_FREEZE: u32 = 7;

/// At most two changes of a streak fall within this much real time.
const GROWTH_WINDOW: TimeDelta = TimeDelta::hours(24);

/// The outcome of a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckIn {
    pub streak: Streak,
    /// Whether this check-in changed the streak (false for a second one on the same day).
    pub incremented: bool,
}

/// The learner's local calendar date at `instant`.
pub fn local_day(instant: DateTime<Utc>, timezone: Tz) -> NaiveDate {
    instant.with_timezone(&timezone).date_naive()
}

impl Streak {
    /// The local date of the last check-in, in `timezone`.
    pub fn last_checkin_day(&self, timezone: Tz) -> Option<NaiveDate> {
        self.last_checkin_at.map(|at| local_day(at, timezone))
    }

    /// Days missed between the last check-in's local day and `today` (0 for consecutive days).
    fn missed_before(&self, today: NaiveDate, timezone: Tz) -> Option<i64> {
        self.last_checkin_day(timezone).map(|last| (today - last).num_days() - 1)
    }

    /// The current streak's frozen days, in `timezone`, oldest first.
    pub fn frozen_days(&self, timezone: Tz) -> Vec<NaiveDate> {
        let Some(last) = self.last_checkin_day(timezone) else {
            return Vec::new();
        };
        (0..64u64)
            .rev()
            .filter(|bit| self.frozen_days & (1 << bit) != 0)
            .filter_map(|bit| last.checked_sub_days(Days::new(bit + 1)))
            .collect()
    }

    /// Checks the learner in at `now`; a tier banks at most `freeze_cap` freezes.
    pub fn check_in(self, now: DateTime<Utc>, timezone: Tz, freeze_cap: u8) -> CheckIn {
        let today = local_day(now, timezone);
        let last = self.last_checkin_day(timezone);
        // Same local day, or a day that is already behind the last check-in (after a move
        // west): nothing changes.
        if last.is_some_and(|last| today <= last) {
            return CheckIn { streak: self, incremented: false };
        }
        // A third change within 24 hours: only timezone hopping gets here.
        if self.previous_checkin_at.is_some_and(|previous| now - previous < GROWTH_WINDOW) {
            return CheckIn { streak: self, incremented: false };
        }
        let missed = self.missed_before(today, timezone);
        let mut next = Streak {
            last_checkin_at: Some(now),
            previous_checkin_at: self.last_checkin_at,
            ..self
        };
        match missed {
            // Consecutive, or every missed day covered by a banked freeze.
            Some(missed) if missed >= 0 && missed <= i64::from(self.freezes_banked) => {
                let covered = u8::try_from(missed).unwrap_or(u8::MAX);
                let shift = u32::from(covered) + 1;
                let newly_frozen = (1u64 << covered) - 1;
                next.current = self.current.saturating_add(1);
                next.freezes_banked = self.freezes_banked - covered;
                next.freezes_used = self.freezes_used.saturating_add(u32::from(covered));
                next.frozen_days = self.frozen_days.checked_shl(shift).unwrap_or(0) | newly_frozen;
                if next.current.is_multiple_of(DAYS_PER_FREEZE) && next.freezes_banked < freeze_cap
                {
                    next.freezes_banked += 1;
                }
            }
            _ => {
                next.current = 1;
                next.frozen_days = 0;
            }
        }
        next.longest = self.longest.max(next.current);
        CheckIn { streak: next, incremented: true }
    }

    /// The streak as it reads at `now`: 0 once more whole local days have passed without a
    /// check-in than banked freezes can cover, even before the next check-in resets it.
    pub fn current_at(&self, now: DateTime<Utc>, timezone: Tz) -> u32 {
        let today = local_day(now, timezone);
        match self.missed_before(today, timezone) {
            Some(missed) if missed <= i64::from(self.freezes_banked) => self.current,
            _ => 0,
        }
    }

    /// Whether the learner has checked in on the local day of `now`.
    pub fn checked_in_today(&self, now: DateTime<Utc>, timezone: Tz) -> bool {
        self.last_checkin_day(timezone).is_some_and(|last| last >= local_day(now, timezone))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn tz(name: &str) -> Tz {
        name.parse().unwrap()
    }

    fn streak_after_in(instants: &[DateTime<Utc>], zone: Tz) -> Streak {
        instants
            .iter()
            .fold(Streak::default(), |streak, instant| streak.check_in(*instant, zone, 0).streak)
    }

    fn streak_after(instants: &[&str], zone: &str) -> Streak {
        let instants: Vec<DateTime<Utc>> = instants.iter().map(|instant| at(instant)).collect();
        streak_after_in(&instants, tz(zone))
    }

    #[test]
    fn a_first_check_in_starts_a_streak_of_one() {
        let outcome = Streak::default().check_in(at("2026-03-01T12:00:00Z"), Tz::UTC, 0);
        assert!(outcome.incremented);
        assert_eq!((outcome.streak.current, outcome.streak.longest), (1, 1));
    }

    #[test]
    fn a_second_check_in_on_the_same_local_day_changes_nothing() {
        let first = Streak::default().check_in(at("2026-03-01T08:00:00Z"), Tz::UTC, 0).streak;
        let second = first.check_in(at("2026-03-01T23:59:59Z"), Tz::UTC, 0);
        assert!(!second.incremented);
        assert_eq!(second.streak, first);
    }

    #[test]
    fn a_check_in_on_the_next_local_day_adds_one() {
        let streak = streak_after(
            &["2026-03-01T08:00:00Z", "2026-03-02T20:00:00Z", "2026-03-03T00:00:01Z"],
            "UTC",
        );
        assert_eq!((streak.current, streak.longest), (3, 3));
    }

    #[test]
    fn a_check_in_after_a_gap_restarts_at_one_and_longest_keeps_the_record() {
        let streak = streak_after(
            &["2026-03-01T08:00:00Z", "2026-03-02T08:00:00Z", "2026-03-04T08:00:00Z"],
            "UTC",
        );
        assert_eq!((streak.current, streak.longest), (1, 2));
    }

    #[test]
    fn half_past_eleven_and_half_past_midnight_local_are_two_days_within_one_utc_day() {
        // New York in winter is UTC-5: 23:30 and 00:30 local are 04:30 and 05:30 UTC, one UTC day.
        let streak =
            streak_after(&["2026-01-15T04:30:00Z", "2026-01-15T05:30:00Z"], "America/New_York");
        assert_eq!(streak.current, 2);
        // In UTC the same two instants are one day.
        assert_eq!(
            streak_after(&["2026-01-15T04:30:00Z", "2026-01-15T05:30:00Z"], "UTC").current,
            1
        );
    }

    #[test]
    fn spring_forward_in_new_york_keeps_consecutive_days() {
        // 2026-03-08 02:00 EST jumps to 03:00 EDT.
        let zone = tz("America/New_York");
        let before = zone.with_ymd_and_hms(2026, 3, 7, 23, 30, 0).unwrap().with_timezone(&Utc);
        let after = zone.with_ymd_and_hms(2026, 3, 8, 23, 30, 0).unwrap().with_timezone(&Utc);
        let streak = Streak::default().check_in(before, zone, 0).streak.check_in(after, zone, 0);
        assert_eq!(streak.streak.current, 2);
    }

    #[test]
    fn fall_back_in_new_york_the_repeated_hour_is_still_one_day() {
        // 2026-11-01 01:30 happens twice (EDT then EST); both are the same local day.
        let first = at("2026-11-01T05:30:00Z"); // 01:30 EDT
        let second = at("2026-11-01T06:30:00Z"); // 01:30 EST
        let zone = tz("America/New_York");
        let outcome = Streak::default().check_in(first, zone, 0).streak.check_in(second, zone, 0);
        assert!(!outcome.incremented);
        assert_eq!(outcome.streak.current, 1);
    }

    #[test]
    fn berlin_daylight_saving_changes_in_both_directions_keep_local_days() {
        let zone = tz("Europe/Berlin");
        // Spring: 2026-03-29 02:00 CET -> 03:00 CEST. 23:30 local on the 28th and 29th.
        let spring =
            streak_after(&["2026-03-28T22:30:00Z", "2026-03-29T21:30:00Z"], "Europe/Berlin");
        assert_eq!(spring.current, 2);
        // Autumn: 2026-10-25 03:00 CEST -> 02:00 CET. 00:30 local on the 25th and 26th.
        let autumn =
            streak_after(&["2026-10-24T22:30:00Z", "2026-10-25T23:30:00Z"], "Europe/Berlin");
        assert_eq!(autumn.current, 2);
        assert_eq!(
            local_day(at("2026-10-24T22:30:00Z"), zone),
            NaiveDate::from_ymd_opt(2026, 10, 25).unwrap()
        );
    }

    #[test]
    fn the_year_boundary_is_an_ordinary_next_day() {
        let streak = streak_after(&["2026-12-31T12:00:00Z", "2027-01-01T12:00:00Z"], "UTC");
        assert_eq!(streak.current, 2);
        // In Tokyo (UTC+9) 2026-12-31T20:00Z is already New Year's Day.
        let zone = tz("Asia/Tokyo");
        assert_eq!(
            local_day(at("2026-12-31T20:00:00Z"), zone),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
    }

    #[test]
    fn kolkata_half_hour_offset_splits_days_at_local_midnight() {
        // UTC+5:30: 18:29Z is 23:59 local, 18:31Z is 00:01 the next local day.
        let streak =
            streak_after(&["2026-05-10T18:29:00Z", "2026-05-10T18:31:00Z"], "Asia/Kolkata");
        assert_eq!(streak.current, 2);
    }

    #[test]
    fn adelaide_half_hour_offset_with_daylight_saving_splits_days_at_local_midnight() {
        // Adelaide in January is UTC+10:30: 13:29Z is 23:59 local, 13:31Z the next day.
        let streak =
            streak_after(&["2026-01-20T13:29:00Z", "2026-01-20T13:31:00Z"], "Australia/Adelaide");
        assert_eq!(streak.current, 2);
    }

    #[test]
    fn flying_east_mid_streak_does_not_lose_the_streak() {
        // Checked in Monday 23:00 in Los Angeles (Tuesday 07:00Z), then flies to Tokyo, where
        // the next check-in is Wednesday 20:00 local (Wednesday 11:00Z). In Tokyo the last
        // check-in was Tuesday 16:00, so Wednesday is the next day.
        let monday_la = Streak::default()
            .check_in(at("2026-06-02T06:00:00Z"), tz("America/Los_Angeles"), 0)
            .streak;
        let wednesday_tokyo = monday_la.check_in(at("2026-06-03T11:00:00Z"), tz("Asia/Tokyo"), 0);
        assert!(wednesday_tokyo.incremented);
        assert_eq!(wednesday_tokyo.streak.current, 2);
    }

    #[test]
    fn flying_west_mid_streak_does_not_gain_an_extra_day() {
        // Checked in Tuesday 08:00 in Tokyo (Monday 23:00Z), flies to Los Angeles and checks in
        // Monday 20:00 local (Tuesday 03:00Z): in Los Angeles both are Monday, nothing changes.
        let tokyo = tz("Asia/Tokyo");
        let la = tz("America/Los_Angeles");
        let tuesday_tokyo = Streak::default().check_in(at("2026-06-01T23:00:00Z"), tokyo, 0).streak;
        let monday_la = tuesday_tokyo.check_in(at("2026-06-02T03:00:00Z"), la, 0);
        assert!(!monday_la.incremented);
        assert_eq!(monday_la.streak.current, 1);
        // The next Los Angeles day counts once.
        let tuesday_la = monday_la.streak.check_in(at("2026-06-02T16:00:00Z"), la, 0);
        assert_eq!((tuesday_la.streak.current, tuesday_la.incremented), (2, true));
    }

    #[test]
    fn the_streak_reads_zero_once_a_day_is_missed_before_the_next_check_in() {
        let streak = streak_after(&["2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z"], "UTC");
        assert_eq!(streak.current_at(at("2026-03-02T23:00:00Z"), Tz::UTC), 2);
        assert_eq!(
            streak.current_at(at("2026-03-03T23:59:00Z"), Tz::UTC),
            2,
            "today is still open"
        );
        assert_eq!(streak.current_at(at("2026-03-04T00:00:00Z"), Tz::UTC), 0, "a day was missed");
        assert_eq!(streak.longest, 2);
        assert!(streak.checked_in_today(at("2026-03-02T23:00:00Z"), Tz::UTC));
        assert!(!streak.checked_in_today(at("2026-03-03T01:00:00Z"), Tz::UTC));
    }

    #[test]
    fn hopping_one_timezone_east_per_hour_grows_the_streak_by_at_most_two_a_day() {
        // Each hour, move to the zone where a new local day has just begun.
        let zones = ["Pacific/Kiritimati", "Pacific/Tongatapu", "Pacific/Auckland", "Asia/Tokyo"];
        let mut streak = Streak::default();
        let start = at("2026-06-01T10:30:00Z");
        for hour in 0..48 {
            let now = start + TimeDelta::hours(hour);
            let zone = zones[usize::try_from(hour).unwrap() % zones.len()];
            streak = streak.check_in(now, tz(zone), 0).streak;
        }
        // 48 hours: two changes per 24 hours at most (4), whatever the zones did.
        assert!(streak.current <= 4, "{streak:?}");
    }

    #[test]
    fn a_third_change_within_24_hours_is_refused_and_counts_later_that_day() {
        // New York springs forward on 2026-03-08, a 23-hour local day: checking in at 23:59
        // on the 7th, 00:01 on the 8th and 00:00:30 on the 9th spans less than 24 hours.
        let zone = tz("America/New_York");
        let local = |day, hour, minute, second| {
            zone.with_ymd_and_hms(2026, 3, day, hour, minute, second).unwrap().with_timezone(&Utc)
        };
        let streak = streak_after_in(&[local(7, 23, 59, 0), local(8, 0, 1, 0)], zone);
        assert_eq!(streak.current, 2);
        let third = local(9, 0, 0, 30);
        assert!(third - local(7, 23, 59, 0) < GROWTH_WINDOW);
        let refused = streak.check_in(third, zone, 0);
        assert!(!refused.incremented);
        assert_eq!(refused.streak, streak);
        // Later that local day it counts.
        let counted = streak.check_in(local(9, 8, 0, 0), zone, 0);
        assert!(counted.incremented);
        assert_eq!(counted.streak.current, 3);
    }

    mod properties {
        use std::sync::LazyLock;

        use chrono::Offset;
        use proptest::prelude::*;

        use super::*;

        /// A straightforward model of the rules, written from DESIGN §5 rather than from the
        /// code: it keeps the list of local calendar days on which the streak changed and
        /// recounts `current` and `longest` from that whole list. Local days come from
        /// chrono-tz directly, not from `local_day`, so a mistake there shows as a difference.
        ///
        /// It includes the rule that a streak changes at most twice in any 24 hours of real
        /// time (a third change within 24 hours of the change before last is refused). In one
        /// timezone that rule can only bite after a local day shorter than 24 hours (spring
        /// forward), so a model without it would differ exactly on the sequences that matter.
        #[derive(Debug, Default)]
        struct Reference {
            /// Local days on which the streak changed, oldest first.
            days: Vec<NaiveDate>,
            /// When each of those changes happened.
            changes: Vec<DateTime<Utc>>,
        }

        impl Reference {
            fn day(now: DateTime<Utc>, zone: Tz) -> NaiveDate {
                now.with_timezone(&zone).date_naive()
            }

            /// Whether a check-in at `now` changes the streak.
            fn check_in(&mut self, now: DateTime<Utc>, zone: Tz) -> bool {
                let today = Self::day(now, zone);
                if self.days.last().is_some_and(|last| today <= *last) {
                    return false;
                }
                if let [.., before_last, _] = self.changes[..]
                    && now - before_last < TimeDelta::hours(24)
                {
                    return false;
                }
                self.days.push(today);
                self.changes.push(now);
                true
            }

            /// Lengths of the runs of consecutive days, in order.
            fn runs(&self) -> Vec<u32> {
                let mut runs: Vec<u32> = Vec::new();
                for (index, day) in self.days.iter().enumerate() {
                    let follows = index > 0 && self.days[index - 1].succ_opt() == Some(*day);
                    match runs.last_mut() {
                        Some(run) if follows => *run += 1,
                        _ => runs.push(1),
                    }
                }
                runs
            }

            fn current(&self) -> u32 {
                self.runs().last().copied().unwrap_or(0)
            }

            fn longest(&self) -> u32 {
                self.runs().into_iter().max().unwrap_or(0)
            }

            /// The streak as read at `now`: zero once a whole local day went by without one.
            fn current_at(&self, now: DateTime<Utc>, zone: Tz) -> u32 {
                match self.days.last() {
                    Some(last) if Self::day(now, zone) <= last.succ_opt().unwrap() => {
                        self.current()
                    }
                    _ => 0,
                }
            }

            fn checked_in_today(&self, now: DateTime<Utc>, zone: Tz) -> bool {
                self.days.last().is_some_and(|last| *last >= Self::day(now, zone))
            }
        }

        /// The zones the issue names: two with daylight saving at half or three-quarter hour
        /// offsets (Adelaide, Chatham), New York, and two without (Kiritimati at UTC+14,
        /// Kathmandu at UTC+5:45).
        const ZONES: [&str; 5] = [
            "America/New_York",
            "Australia/Adelaide",
            "Pacific/Chatham",
            "Pacific/Kiritimati",
            "Asia/Kathmandu",
        ];

        /// The years the properties range over.
        const FIRST_YEAR: i32 = 2024;
        const LAST_YEAR: i32 = 2031;

        fn range_start() -> DateTime<Utc> {
            Utc.with_ymd_and_hms(FIRST_YEAR, 1, 1, 0, 0, 0).unwrap()
        }

        fn range_end() -> DateTime<Utc> {
            Utc.with_ymd_and_hms(LAST_YEAR, 12, 31, 0, 0, 0).unwrap()
        }

        fn offset_at(zone: Tz, instant: DateTime<Utc>) -> i32 {
            instant.with_timezone(&zone).offset().fix().local_minus_utc()
        }

        /// Every instant in the range at which `zone`'s UTC offset changes, to the second:
        /// found on a 15-minute grid, then narrowed down by bisection.
        fn offset_changes(zone: Tz) -> Vec<DateTime<Utc>> {
            let step = TimeDelta::minutes(15);
            let mut changes = Vec::new();
            let mut at = range_start();
            while at < range_end() {
                let (mut low, mut high) = (at, at + step);
                if offset_at(zone, low) != offset_at(zone, high) {
                    while high - low > TimeDelta::seconds(1) {
                        let middle = low + (high - low) / 2;
                        if offset_at(zone, middle) == offset_at(zone, low) {
                            low = middle;
                        } else {
                            high = middle;
                        }
                    }
                    changes.push(high);
                }
                at += step;
            }
            changes
        }

        /// Each zone with its offset changes in the range.
        static CHANGES: LazyLock<Vec<(Tz, Vec<DateTime<Utc>>)>> = LazyLock::new(|| {
            ZONES.iter().map(|name| (tz(name), offset_changes(tz(name)))).collect()
        });

        /// Checks in at each instant with both the streak and the reference, comparing every
        /// outcome, the stored numbers, and the reading at `now` and a little later.
        fn agrees_with_the_reference(
            zone: Tz,
            instants: &[DateTime<Utc>],
            read_after: TimeDelta,
        ) -> Result<(), TestCaseError> {
            let mut streak = Streak::default();
            let mut reference = Reference::default();
            for now in instants {
                let outcome = streak.check_in(*now, zone, 0);
                let local = now.with_timezone(&zone);
                prop_assert_eq!(
                    outcome.incremented,
                    reference.check_in(*now, zone),
                    "at {}",
                    local
                );
                streak = outcome.streak;
                prop_assert_eq!(
                    (streak.current, streak.longest),
                    (reference.current(), reference.longest()),
                    "at {}",
                    local
                );
                let later = *now + read_after;
                prop_assert_eq!(
                    streak.current_at(later, zone),
                    reference.current_at(later, zone),
                    "read at {}",
                    later.with_timezone(&zone)
                );
                prop_assert_eq!(
                    streak.checked_in_today(*now, zone),
                    reference.checked_in_today(*now, zone)
                );
                prop_assert_eq!(
                    streak.checked_in_today(later, zone),
                    reference.checked_in_today(later, zone)
                );
            }
            Ok(())
        }

        #[test]
        fn the_range_holds_every_daylight_saving_change_of_the_zones() {
            let counts: Vec<(&str, usize)> =
                CHANGES.iter().map(|(zone, changes)| (zone.name(), changes.len())).collect();
            // Two changes a year for eight years where there is daylight saving, none elsewhere.
            assert_eq!(
                counts,
                [
                    ("America/New_York", 16),
                    ("Australia/Adelaide", 16),
                    ("Pacific/Chatham", 16),
                    ("Pacific/Kiritimati", 0),
                    ("Asia/Kathmandu", 0),
                ]
            );
        }

        /// Around every offset change in the range: a first check-in at any time from 30 hours
        /// before the change to 2 hours after it (every 20 minutes), then one every 20 minutes
        /// until 30 hours after it. Every local hour of the days around the change is visited,
        /// and a late first check-in before a 23-hour day meets the 24-hour rule.
        #[test]
        fn around_every_daylight_saving_change_the_streak_counts_local_days_as_the_reference_does()
        {
            let step = TimeDelta::minutes(20);
            for (zone, changes) in CHANGES.iter() {
                for change in changes {
                    let last = *change + TimeDelta::hours(30);
                    for start in 0..(32 * 3) {
                        let first = *change - TimeDelta::hours(30) + step * start;
                        let count = (last - first).num_minutes() / step.num_minutes();
                        let instants: Vec<DateTime<Utc>> =
                            (0..count).map(|n| first + step * i32::try_from(n).unwrap()).collect();
                        agrees_with_the_reference(*zone, &instants, TimeDelta::hours(20)).unwrap();
                    }
                }
            }
        }

        proptest! {
            #[test]
            fn longest_is_never_below_current(
                steps in proptest::collection::vec(0i64..200_000, 1..40),
                zone in prop_oneof![Just("UTC"), Just("Asia/Kolkata"), Just("America/New_York"), Just("Australia/Adelaide")],
            ) {
                let mut now = at("2026-01-01T00:00:00Z");
                let mut streak = Streak::default();
                for step in steps {
                    now += chrono::Duration::seconds(step);
                    streak = streak.check_in(now, tz(zone), 0).streak;
                    prop_assert!(streak.longest >= streak.current);
                    prop_assert!(streak.current >= 1);
                }
            }

            #[test]
            fn whatever_the_timezones_a_streak_changes_at_most_twice_in_any_24_hours(
                steps in proptest::collection::vec(
                    (0i64..40_000, prop_oneof![
                        Just("Pacific/Kiritimati"), Just("Pacific/Chatham"),
                        Just("Australia/Adelaide"), Just("Asia/Kathmandu"), Just("UTC"),
                        Just("America/New_York"), Just("Pacific/Pago_Pago"),
                    ]),
                    1..80,
                ),
            ) {
                let mut now = at("2026-03-01T00:00:00Z");
                let mut streak = Streak::default();
                let mut changes: Vec<DateTime<Utc>> = Vec::new();
                for (step, zone) in steps {
                    now += TimeDelta::seconds(step);
                    let outcome = streak.check_in(now, tz(zone), 0);
                    if outcome.incremented {
                        changes.push(now);
                    }
                    streak = outcome.streak;
                }
                for three in changes.windows(3) {
                    prop_assert!(three[2] - three[0] >= GROWTH_WINDOW, "{three:?}");
                }
            }

            /// Random check-ins over the years in one of the zones, starting near one of its
            /// daylight saving changes or anywhere in the range, with gaps of minutes, about a
            /// day, about two days or several days.
            #[test]
            fn over_years_and_timezones_a_streak_counts_local_days_as_the_reference_does(
                zone_index in 0..ZONES.len(),
                near_a_change in any::<bool>(),
                pick in any::<prop::sample::Index>(),
                lead_in in 0i64..2 * 86_400,
                steps in proptest::collection::vec(
                    prop_oneof![
                        0i64..3 * 3_600,
                        20i64 * 3_600..28 * 3_600,
                        44i64 * 3_600..52 * 3_600,
                        0i64..5 * 86_400,
                    ],
                    1..60,
                ),
                read_after in 0i64..3 * 86_400,
            ) {
                let (zone, changes) = &CHANGES[zone_index];
                let span = (range_end() - range_start()).num_seconds();
                let anchor = if near_a_change && !changes.is_empty() {
                    *pick.get(changes)
                } else {
                    range_start() + TimeDelta::seconds(pick.index(usize::try_from(span).unwrap()) as i64)
                };
                let mut now = anchor - TimeDelta::days(2) + TimeDelta::seconds(lead_in);
                let mut instants = Vec::new();
                for step in steps {
                    now += TimeDelta::seconds(step);
                    instants.push(now);
                }
                agrees_with_the_reference(*zone, &instants, TimeDelta::seconds(read_after))?;
            }
        }
    }
}

#[cfg(test)]
mod freeze_tests {
    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
    use chrono_tz::Tz;
    use proptest::prelude::*;

    use super::{Streak, freeze_cap, local_day};
    use crate::access::Tier;

    fn noon(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-03-{day:02}T12:00:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn checked_in_on(days: &[u32], cap: u8) -> Streak {
        days.iter()
            .fold(Streak::default(), |streak, day| streak.check_in(noon(*day), Tz::UTC, cap).streak)
    }

    #[test]
    fn seven_days_in_a_row_earn_a_freeze_that_covers_one_missed_day() {
        let week = checked_in_on(&[1, 2, 3, 4, 5, 6, 7], freeze_cap(Tier::Free));
        assert_eq!((week.current, week.freezes_banked), (7, 1));
        // Day 8 is missed: on day 9, before checking in, the streak still reads 7 (at risk).
        assert_eq!(week.current_at(noon(9) - TimeDelta::hours(3), Tz::UTC), 7);
        let covered = week.check_in(noon(9), Tz::UTC, freeze_cap(Tier::Free)).streak;
        assert_eq!((covered.current, covered.freezes_banked, covered.freezes_used), (8, 0, 1));
        assert_eq!(covered.frozen_days(Tz::UTC), [NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()]);
        let later = covered.check_in(noon(10), Tz::UTC, 2).streak;
        assert_eq!(later.frozen_days(Tz::UTC), [NaiveDate::from_ymd_opt(2026, 3, 8).unwrap()]);
    }

    #[test]
    fn two_missed_days_with_one_freeze_start_the_streak_again_and_keep_the_freeze() {
        let week = checked_in_on(&[1, 2, 3, 4, 5, 6, 7], 2);
        assert_eq!(week.current_at(noon(10) - TimeDelta::hours(3), Tz::UTC), 0);
        let restarted = week.check_in(noon(10), Tz::UTC, 2).streak;
        assert_eq!((restarted.current, restarted.longest), (1, 7));
        assert_eq!((restarted.freezes_banked, restarted.freezes_used), (1, 0));
        assert!(restarted.frozen_days(Tz::UTC).is_empty());
    }

    #[test]
    fn the_bank_holds_two_freezes_on_the_free_tier_and_three_above() {
        let days: Vec<u32> = (1..=28).collect();
        assert_eq!(checked_in_on(&days, freeze_cap(Tier::Free)).freezes_banked, 2);
        assert_eq!(checked_in_on(&days, freeze_cap(Tier::Premium)).freezes_banked, 3);
        assert_eq!(checked_in_on(&days, freeze_cap(Tier::Pro)).freezes_banked, 3);
    }

    proptest! {
        /// Random check-ins (gaps from minutes to four days), in timezones with daylight saving
        /// changes and odd offsets, with any bank size: the streak is exactly the check-ins of
        /// its run, never more days than the run spans, and frozen days were paid for.
        #[test]
        fn freezes_never_make_a_streak_longer_than_the_days_it_covers(
            steps in proptest::collection::vec(600i64..(4 * 86_400 + 7_200), 1..120),
            zone in prop_oneof![Just("America/New_York"), Just("Australia/Adelaide"),
                Just("Pacific/Chatham"), Just("UTC")],
            cap in 0u8..=3,
        ) {
            let zone: Tz = zone.parse().unwrap();
            let mut now = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().with_timezone(&Utc);
            let mut streak = Streak::default();
            let (mut run, mut run_start) = (0u32, local_day(now, zone));
            for step in steps {
                now += TimeDelta::seconds(step);
                let before = streak;
                let outcome = streak.check_in(now, zone, cap);
                streak = outcome.streak;
                if outcome.incremented {
                    if streak.current == 1 {
                        (run, run_start) = (1, local_day(now, zone));
                    } else {
                        run += 1;
                    }
                }
                prop_assert_eq!(streak.current, run);
                let spanned = (local_day(now, zone) - run_start).num_days() + 1;
                prop_assert!(i64::from(streak.current) <= spanned);
                prop_assert!(streak.freezes_banked <= cap);
                prop_assert!(streak.frozen_days(zone).len() as u32 <= streak.freezes_used);
                prop_assert!(streak.freezes_used >= before.freezes_used);
                prop_assert!(streak.longest >= streak.current);
            }
        }
    }
}
