//! Policy validation: every rule names the field it is about, so the admin UI can point at it.

use super::{POLICY_SCHEMA, Policy};

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The document is not valid JSON, or a field has the wrong type or an unknown value.
    #[error("{field}: {message}")]
    Malformed {
        /// Path of the field, e.g. `capture.max_monitors`.
        field: String,
        /// What the parser said.
        message: String,
    },
    /// The document has a field this version does not know (probably a typo).
    #[error("{field}: unknown field")]
    UnknownField {
        /// Path of the field.
        field: String,
    },
    /// A field's value is out of its allowed range or contradicts another field.
    #[error("{field}: {message}")]
    Invalid {
        /// Path of the field.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
}

impl PolicyError {
    /// The path of the offending field.
    pub fn field(&self) -> &str {
        match self {
            PolicyError::Malformed { field, .. } | PolicyError::UnknownField { field } => field,
            PolicyError::Invalid { field, .. } => field,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        field,
        message: message.into(),
    }
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    value: T,
    lo: T,
    hi: T,
) -> Result<(), PolicyError> {
    if value < lo || value > hi {
        return Err(invalid(
            field,
            format!("must be between {lo} and {hi}, got {value}"),
        ));
    }
    Ok(())
}

/// Longest recording we accept as a limit: 72 h, the longest session Kaltura allows.
const MAX_RECORDING_LIMIT_SECS: u32 = 72 * 3600;
/// Largest dimension of a capture: an 8K monitor.
const MAX_DIMENSION: u32 = 7680;
/// Smallest useful dimension of a capture.
const MIN_DIMENSION: u32 = 160;
const MAX_CONSENT_TEXT: usize = 1_000;
const MAX_RETENTION_DAYS: u32 = 36_500;

impl Policy {
    /// Checks every field's range and the consistency between fields.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.schema != POLICY_SCHEMA {
            return Err(invalid(
                "schema",
                format!(
                    "this build understands schema {POLICY_SCHEMA}, got {}",
                    self.schema
                ),
            ));
        }
        in_range("scope.sample_percent", self.scope.sample_percent, 0, 100)?;
        if let Some(q) = self.scope.queues.iter().find(|q| q.trim().is_empty()) {
            return Err(invalid(
                "scope.queues",
                format!("queue names must not be blank, got {q:?}"),
            ));
        }

        let c = &self.capture;
        in_range("capture.max_monitors", c.max_monitors, 1, 4)?;
        in_range("capture.fps_cap", c.fps_cap, 1, 30)?;
        if let Some(r) = c.max_resolution {
            in_range(
                "capture.max_resolution.width",
                r.width,
                MIN_DIMENSION,
                MAX_DIMENSION,
            )?;
            in_range(
                "capture.max_resolution.height",
                r.height,
                MIN_DIMENSION,
                MAX_DIMENSION,
            )?;
            if r.width % 2 != 0 || r.height % 2 != 0 {
                return Err(invalid(
                    "capture.max_resolution",
                    "width and height must be even (4:2:0 video)",
                ));
            }
        }
        if let Some(cap) = c.wrapup_cap_secs {
            if !c.include_wrapup {
                return Err(invalid(
                    "capture.wrapup_cap_secs",
                    "set only when include_wrapup is on",
                ));
            }
            in_range("capture.wrapup_cap_secs", cap, 1, MAX_RECORDING_LIMIT_SECS)?;
        }

        let l = &self.limits;
        in_range(
            "limits.max_recording_secs",
            l.max_recording_secs,
            1,
            MAX_RECORDING_LIMIT_SECS,
        )?;
        in_range(
            "limits.host_left_timeout_secs",
            l.host_left_timeout_secs,
            0,
            MAX_RECORDING_LIMIT_SECS,
        )?;
        if l.min_recording_secs >= l.max_recording_secs {
            return Err(invalid(
                "limits.min_recording_secs",
                format!(
                    "must be less than limits.max_recording_secs ({}), got {}",
                    l.max_recording_secs, l.min_recording_secs
                ),
            ));
        }

        if self.consent.notice_required && self.consent.text.trim().is_empty() {
            return Err(invalid(
                "consent.text",
                "a notice is required but its text is empty",
            ));
        }
        if self.consent.text.chars().count() > MAX_CONSENT_TEXT {
            return Err(invalid(
                "consent.text",
                format!("at most {MAX_CONSENT_TEXT} characters"),
            ));
        }

        for (field, days) in [
            ("retention.live_days", self.retention.live_days),
            ("retention.other_days", self.retention.other_days),
        ] {
            if let Some(d) = days {
                in_range(field, d, 1, MAX_RETENTION_DAYS)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(json: &str) -> String {
        Policy::from_json(json).unwrap_err().field().to_owned()
    }

    #[test]
    fn monitors_must_be_one_to_four() {
        assert_eq!(
            field_of(r#"{"capture":{"max_monitors":0}}"#),
            "capture.max_monitors"
        );
        assert_eq!(
            field_of(r#"{"capture":{"max_monitors":5}}"#),
            "capture.max_monitors"
        );
        for n in 1..=4 {
            let json = format!(r#"{{"capture":{{"max_monitors":{n}}}}}"#);
            assert!(Policy::from_json(&json).is_ok(), "{n} monitors");
        }
    }

    #[test]
    fn negative_limits_are_refused_by_name() {
        assert_eq!(
            field_of(r#"{"limits":{"max_recording_secs":-5}}"#),
            "limits.max_recording_secs"
        );
        assert_eq!(
            field_of(r#"{"limits":{"host_left_timeout_secs":-1}}"#),
            "limits.host_left_timeout_secs"
        );
        assert_eq!(
            field_of(r#"{"capture":{"wrapup_cap_secs":-30}}"#),
            "capture.wrapup_cap_secs"
        );
    }

    #[test]
    fn unknown_mode_and_trigger_are_refused_by_name() {
        assert_eq!(field_of(r#"{"mode":"sometimes"}"#), "mode");
        assert_eq!(field_of(r#"{"start_trigger":"on_third"}"#), "start_trigger");
    }

    #[test]
    fn unknown_fields_are_refused_by_path() {
        assert_eq!(
            field_of(r#"{"capture":{"max_monitor":2}}"#),
            "capture.max_monitor"
        );
        assert_eq!(field_of(r#"{"moed":"always_on"}"#), "moed");
    }

    #[test]
    fn wrong_types_and_trailing_garbage_are_refused() {
        assert_eq!(field_of(r#"{"enabled":"yes"}"#), "enabled");
        assert!(Policy::from_json(r#"{} x"#).is_err());
        assert_eq!(field_of(r#"[]"#), ".");
        assert_eq!(field_of(r#"{"capture":[4, 5]}"#), "capture");
        assert_eq!(
            field_of(r#"{"capture":{"audio":[true, true]}}"#),
            "capture.audio"
        );
        assert!(Policy::from_json("").is_err());
    }

    #[test]
    fn cross_field_rules() {
        assert_eq!(
            field_of(r#"{"limits":{"min_recording_secs":60,"max_recording_secs":60}}"#),
            "limits.min_recording_secs"
        );
        assert_eq!(
            field_of(r#"{"capture":{"include_wrapup":false,"wrapup_cap_secs":30}}"#),
            "capture.wrapup_cap_secs"
        );
        assert_eq!(
            field_of(r#"{"consent":{"notice_required":true,"text":"  "}}"#),
            "consent.text"
        );
        assert!(Policy::from_json(r#"{"consent":{"notice_required":false,"text":""}}"#).is_ok());
    }

    #[test]
    fn ranges() {
        assert_eq!(field_of(r#"{"capture":{"fps_cap":0}}"#), "capture.fps_cap");
        assert_eq!(field_of(r#"{"capture":{"fps_cap":31}}"#), "capture.fps_cap");
        assert_eq!(
            field_of(r#"{"scope":{"sample_percent":101}}"#),
            "scope.sample_percent"
        );
        assert_eq!(field_of(r#"{"scope":{"queues":[""]}}"#), "scope.queues");
        assert_eq!(
            field_of(r#"{"capture":{"max_resolution":{"width":1921,"height":1080}}}"#),
            "capture.max_resolution"
        );
        assert_eq!(
            field_of(r#"{"capture":{"max_resolution":{"width":100,"height":1080}}}"#),
            "capture.max_resolution.width"
        );
        assert_eq!(
            field_of(r#"{"retention":{"live_days":0}}"#),
            "retention.live_days"
        );
        assert_eq!(field_of(r#"{"schema":2}"#), "schema");
    }

    #[test]
    fn error_messages_name_the_field() {
        let e = Policy::from_json(r#"{"capture":{"max_monitors":5}}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "capture.max_monitors: must be between 1 and 4, got 5"
        );
    }
}
