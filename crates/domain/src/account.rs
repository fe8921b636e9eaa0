//! Account rules: passwords, emails, timezones and profile limits.

use std::str::FromStr;

pub use chrono_tz::Tz;

/// bcrypt reads at most 72 bytes; a longer password is refused rather than truncated.
pub const PASSWORD_MAX_BYTES: usize = 72;
pub const PASSWORD_MIN_BYTES: usize = 8;
pub const BACKGROUND_MAX_CHARS: usize = 500;
pub const PREFERENCES_MAX_BYTES: usize = 4096;
pub const NAME_MAX_CHARS: usize = 100;

/// 8–72 bytes with at least one letter and one digit, no control characters.
fn validate_password(password: &str) -> Result<(), String> {
    if !(PASSWORD_MIN_BYTES..=PASSWORD_MAX_BYTES).contains(&password.len()) {
        return Err(format!(
            "password must be {PASSWORD_MIN_BYTES} to {PASSWORD_MAX_BYTES} bytes long"
        ));
    }
    crate::text::check_text(password, crate::text::TextKind::Line)
        .map_err(|problem| format!("password {problem}"))?;
    let has_letter = password.chars().any(char::is_alphabetic);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    if !(has_letter && has_digit) {
        return Err("password must contain at least one letter and one digit".into());
    }
    Ok(())
}

/// A plausible address: `local@domain.tld`, no spaces or control characters, at most 254
/// characters. Whether it
/// receives mail is not ours to know.
fn validate_email(email: &str) -> Result<(), String> {
    let email = email.trim();
    let plausible = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|part| !part.is_empty())
        });
    if plausible { Ok(()) } else { Err("must be an email address such as ada@example.com".into()) }
}

/// Emails are unique regardless of case: stored trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Every name `parse_timezone` accepts, for the OpenAPI document's enum.
pub fn timezone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())
}

/// An IANA timezone name such as `Europe/Lisbon`.
fn parse_timezone(name: &str) -> Result<Tz, String> {
    Tz::from_str(name)
        .map_err(|_| format!("`{name}` is not an IANA timezone such as Europe/Lisbon"))
}

/// A checked email address, stored form: trimmed and lower-cased, so two spellings of one
/// address are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, String> {
        validate_email(text)?;
        Ok(Self(normalize_email(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the rules, on its way to be hashed; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(text: String) -> Result<Self, String> {
        validate_password(&text)?;
        Ok(Self(text))
    }

    pub fn expose(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// A learner's IANA timezone, the calendar their streak days follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(Tz);

impl Default for TimeZone {
    fn default() -> Self {
        Self(Tz::UTC)
    }
}

impl TimeZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        parse_timezone(name).map(Self)
    }

    pub fn zone(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl std::fmt::Display for TimeZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_needs_eight_to_seventy_two_bytes_a_letter_and_a_digit() {
        assert!(validate_password("abcdefg1").is_ok());
        assert!(validate_password(&format!("{}1", "a".repeat(71))).is_ok());
        assert!(validate_password("abcdef1").is_err(), "too short");
        assert!(validate_password(&format!("{}1", "a".repeat(72))).is_err(), "73 bytes");
        assert!(validate_password("abcdefgh").is_err(), "no digit");
        assert!(validate_password("12345678").is_err(), "no letter");
    }

    #[test]
    fn a_password_may_not_contain_control_characters() {
        for bad in ["abcdefg1\0", "abc\tdefg1", "abcdefg1\u{85}"] {
            assert!(validate_password(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_length_limit_counts_bytes_not_characters() {
        // 24 three-byte characters and a digit: 73 bytes, only 25 characters.
        let password = format!("{}1", "€".repeat(24));
        assert!(validate_password(&password).is_err());
    }

    #[test]
    fn an_email_needs_a_local_part_and_a_dotted_domain() {
        assert!(validate_email("ada@example.com").is_ok());
        assert!(validate_email(" Ada@Example.co.uk ").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b@c.com",
            "ada@example..com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_email_may_not_contain_control_characters() {
        for bad in ["ada\0@example.com", "ada@exam\u{7f}ple.com", "ada@example.com\u{1b}"] {
            assert!(validate_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_compared_in_lower_case() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn every_listed_timezone_name_parses() {
        let names: Vec<&str> = timezone_names().collect();
        assert!(names.len() > 400 && names.contains(&"Europe/Lisbon"));
        assert!(names.iter().all(|name| parse_timezone(name).is_ok()));
    }

    #[test]
    fn timezones_are_iana_names() {
        assert!(parse_timezone("Europe/Lisbon").is_ok());
        assert!(parse_timezone("UTC").is_ok());
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(parse_timezone("").is_err());
    }

    #[test]
    fn a_parsed_email_is_stored_in_lower_case() {
        assert_eq!(
            Email::parse(" Ada@Example.COM ").map(|e| e.to_string()),
            Ok("ada@example.com".into())
        );
        assert!(Email::parse("ada").is_err());
    }

    #[test]
    fn a_password_is_never_printed() {
        let password = Password::parse("correct horse 1".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        assert!(Password::parse("short1".into()).is_err());
    }

    #[test]
    fn a_timezone_keeps_its_iana_name() {
        assert_eq!(TimeZone::parse("Europe/Lisbon").map(TimeZone::name), Ok("Europe/Lisbon"));
        assert_eq!(TimeZone::default().name(), "UTC");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}
