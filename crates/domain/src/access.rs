//! Freemium access: tiers, roles, which chapters a tier opens, and the resources a client
//! can ask about.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use crate::chapter::ChapterRef;

/// A learner's plan. Ordered: a higher tier opens everything a lower one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Free,
    Premium,
    Pro,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Self::Free, Self::Premium, Self::Pro];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Premium => "premium",
            Self::Pro => "pro",
        }
    }
}

impl FromStr for Tier {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|tier| tier.as_str() == text)
            .ok_or_else(|| format!("tier must be free, premium or pro, not `{text}`"))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a user may administer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Student,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Student => "student",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [Self::Student, Self::Admin]
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("role must be student or admin, not `{text}`"))
    }
}

/// The freemium rule: free learners open the first `free_chapters` chapters (by order) and
/// their quizzes; premium and pro open everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessPolicy {
    pub free_chapters: u32,
}

impl Default for AccessPolicy {
    fn default() -> Self {
        Self { free_chapters: 3 }
    }
}

/// The answer to "may this tier open that chapter?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessDecision {
    pub granted: bool,
    pub required_tier: Tier,
}

impl AccessPolicy {
    /// The lowest tier that opens the chapter with this order.
    pub fn required_tier(self, chapter_order: u32) -> Tier {
        if chapter_order <= self.free_chapters { Tier::Free } else { Tier::Premium }
    }

    pub fn decide(self, tier: Tier, chapter_order: u32) -> AccessDecision {
        let required_tier = self.required_tier(chapter_order);
        AccessDecision { granted: tier >= required_tier, required_tier }
    }

    /// The highest chapter order `tier` opens, or `None` when it opens every chapter: the
    /// chapters a tier opens are always the first ones, so search can keep one index for them.
    pub fn opens_up_to(self, tier: Tier) -> Option<u32> {
        (tier < self.required_tier(u32::MAX)).then_some(self.free_chapters)
    }
}

/// Something a client can ask access to: `chapter-N` (the seed's form, N = order),
/// `chapter:<uuid or slug>` or `quiz:<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    ChapterOrder(u32),
    Chapter(ChapterRef),
    Quiz(Uuid),
}

impl FromStr for Resource {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "resource must be `chapter-N`, `chapter:<id or slug>` or `quiz:<id>`, not `{}`",
                text.chars().take(80).collect::<String>()
            )
        };
        if let Some(order) = text.strip_prefix("chapter-") {
            // Plain digits, no sign or leading zero, at most nine: what the API document's
            // pattern says, so `chapter-+4` and `chapter-04` are refused, not read as 4.
            let written_plainly = (1..=9).contains(&order.len())
                && order.bytes().all(|b| b.is_ascii_digit())
                && !order.starts_with('0');
            return order
                .parse()
                .ok()
                .filter(|_| written_plainly)
                .map(Self::ChapterOrder)
                .ok_or_else(invalid);
        }
        if let Some(reference) = text.strip_prefix("chapter:") {
            return reference.parse().map(Self::Chapter).map_err(|_| invalid());
        }
        if let Some(id) = text.strip_prefix("quiz:") {
            return crate::chapter::parse_id(id).map(Self::Quiz).ok_or_else(invalid);
        }
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: AccessPolicy = AccessPolicy { free_chapters: 3 };

    #[test]
    fn free_learners_open_chapters_one_to_three_only() {
        for order in 1..=3 {
            assert!(POLICY.decide(Tier::Free, order).granted, "chapter {order}");
        }
        for order in [4, 5, 10, u32::MAX] {
            let decision = POLICY.decide(Tier::Free, order);
            assert!(!decision.granted, "chapter {order}");
            assert_eq!(decision.required_tier, Tier::Premium);
        }
    }

    #[test]
    fn premium_and_pro_open_every_chapter() {
        for tier in [Tier::Premium, Tier::Pro] {
            for order in [1, 3, 4, 10, 1000] {
                assert!(POLICY.decide(tier, order).granted, "{tier} chapter {order}");
            }
        }
    }

    #[test]
    fn the_free_chapter_count_is_configurable() {
        let policy = AccessPolicy { free_chapters: 0 };
        assert!(!policy.decide(Tier::Free, 1).granted);
        assert_eq!(policy.required_tier(1), Tier::Premium);
    }

    #[test]
    fn the_chapters_a_tier_opens_are_those_up_to_the_order_opens_up_to_names() {
        for free_chapters in [0, 3, 9] {
            let policy = AccessPolicy { free_chapters };
            for tier in Tier::ALL {
                let up_to = policy.opens_up_to(tier);
                for order in 0..=12 {
                    assert_eq!(
                        policy.decide(tier, order).granted,
                        up_to.is_none_or(|last| order <= last),
                        "{tier} {order} with {free_chapters} free"
                    );
                }
            }
        }
    }

    #[test]
    fn tiers_are_ordered_free_premium_pro() {
        assert!(Tier::Free < Tier::Premium && Tier::Premium < Tier::Pro);
    }

    #[test]
    fn tiers_and_roles_parse_from_their_names_only() {
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
        }
        assert!("Premium".parse::<Tier>().is_err());
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn resources_take_the_three_documented_forms() {
        assert_eq!("chapter-4".parse(), Ok(Resource::ChapterOrder(4)));
        assert_eq!(
            "chapter:tools".parse(),
            Ok(Resource::Chapter(ChapterRef::Slug("tools".into())))
        );
        let id = Uuid::new_v4();
        assert_eq!(format!("chapter:{id}").parse(), Ok(Resource::Chapter(ChapterRef::Id(id))));
        assert_eq!(format!("quiz:{id}").parse(), Ok(Resource::Quiz(id)));
        for bad in ["chapter-0", "chapter-x", "chapter:", "quiz:tools", "lesson-1", ""] {
            assert!(bad.parse::<Resource>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_chapter_number_is_written_plainly_with_at_most_nine_digits() {
        assert_eq!("chapter-999999999".parse(), Ok(Resource::ChapterOrder(999_999_999)));
        for bad in ["chapter-+4", "chapter-04", "chapter- 4", "chapter-1000000000"] {
            assert!(bad.parse::<Resource>().is_err(), "{bad}");
        }
        let id = Uuid::new_v4();
        assert!(format!("quiz:{}", id.simple()).parse::<Resource>().is_err(), "simple UUID");
    }
}
