//! Instants: the one type for every point in time the service keeps, sends or compares.
//! Lifetimes and margins are [`std::time::Duration`]s.

use std::ops::{Add, Sub};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time: seconds since the Unix epoch, millisecond precision. Serialized as a JSON
/// number, which is both restJson1's timestamp format and the stored records' format.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Time(f64);

impl Time {
    /// Now, to the millisecond.
    pub(crate) fn now() -> Self {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self(d.as_millis() as f64 / 1000.0)
    }
    /// Seconds since the Unix epoch.
    #[cfg(test)]
    fn epoch_secs(self) -> f64 {
        self.0
    }
    /// Whole seconds since the Unix epoch (rounded down).
    pub(crate) fn epoch_secs_whole(self) -> i64 {
        self.0.floor() as i64
    }
    /// The instant `secs` seconds after the epoch.
    pub(crate) fn from_epoch_secs(secs: f64) -> Self {
        Self(secs)
    }
    /// Whether this instant is now or past.
    pub(crate) fn is_past(self) -> bool {
        self <= Self::now()
    }
    /// The time from `earlier` to this instant (zero when `earlier` is later).
    pub(crate) fn since(self, earlier: Time) -> Duration {
        Duration::try_from_secs_f64(self.0 - earlier.0).unwrap_or_default()
    }
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0 + d.as_secs_f64())
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, d: Duration) -> Time {
        Time(self.0 - d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        let t = Time::from_epoch_secs(100.0);
        assert_eq!((t + Duration::from_millis(1500)).epoch_secs(), 101.5);
        assert_eq!((t - Duration::from_secs(1)).epoch_secs(), 99.0);
        assert_eq!(
            (t + Duration::from_secs(4)).since(t),
            Duration::from_secs(4)
        );
        assert_eq!(t.since(t + Duration::from_secs(4)), Duration::ZERO);
        assert!(t.is_past());
        assert!(!(Time::now() + Duration::from_secs(60)).is_past());
    }
}
