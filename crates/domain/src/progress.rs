//! Progress math.

/// Completed chapters as a percentage of the chapters that exist now, with one decimal,
/// never above 100 (completions of removed chapters are not counted by the caller, and
/// anything past `total` is clamped).
pub fn percentage(completed: usize, total: usize) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let tenths = (completed.min(total) as f64 * 1000.0 / total as f64).round();
    tenths / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_percentage_has_one_decimal_and_stays_between_0_and_100() {
        assert_eq!(percentage(0, 10), 0.0);
        assert_eq!(percentage(3, 10), 30.0);
        assert_eq!(percentage(1, 3), 33.3);
        assert_eq!(percentage(2, 3), 66.7);
        assert_eq!(percentage(10, 10), 100.0);
        assert_eq!(percentage(12, 10), 100.0);
        assert_eq!(percentage(5, 0), 0.0);
    }
}
