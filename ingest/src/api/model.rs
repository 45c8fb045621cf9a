//! The public API's JSON shapes: the Screendesk `Recording` and its parts (field for field as
//! the contract in `shared/api/screendesk-v2-recordings.openapi.json`), plus the `agentrec`
//! extension field with what a multi-monitor viewer needs (tracks, playlists, timeline).

use agentrec_core::CallKind;
use agentrec_core::call::Direction;
use agentrec_core::media::TrackInfo;
use agentrec_core::wire::{HelpdeskPlatform, RecordingState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::clock::rfc3339;
use crate::db::recordings::RecordingRow;

/// A binary body (media, images): `type: string, format: binary`.
#[derive(Debug)]
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// Pagination metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Pagination {
    /// Total number of records.
    pub count: i64,
    /// Current page number.
    pub page: i64,
    /// Number of items per page.
    pub items: i64,
    /// Total number of pages.
    pub pages: i64,
    /// Next page number (absent if on last page).
    pub next_page: Option<i64>,
    /// Previous page number (absent if on first page).
    pub prev_page: Option<i64>,
    /// Last page number.
    pub last_page: i64,
    /// Index of the first item on this page.
    pub from: i64,
    /// Index of the last item on this page.
    pub to: i64,
}

impl Pagination {
    /// The pagination of page `page` of `count` items, `items` per page, `shown` on it.
    pub fn new(count: i64, page: i64, items: i64, shown: i64) -> Pagination {
        let pages = ((count + items - 1) / items).max(1);
        let offset = (page - 1) * items;
        Pagination {
            count,
            page,
            items,
            pages,
            next_page: (page < pages).then_some(page + 1),
            prev_page: (page > 1).then_some(page - 1),
            last_page: pages,
            from: if shown > 0 { offset + 1 } else { 0 },
            to: if shown > 0 { offset + shown } else { 0 },
        }
    }
}

/// A page of recordings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordingList {
    /// Pagination metadata.
    pub pagination: Pagination,
    /// The recordings of this page.
    pub records: Vec<Recording>,
}

/// A recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Recording {
    /// Id.
    pub uuid: Uuid,
    /// Title.
    pub title: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Metadata.
    pub metadata: RecordingMetadata,
    /// Technical details.
    pub technical_details: TechnicalDetails,
    /// Raw console log output captured during the recording (never, for screen recordings).
    pub console_logs: Option<String>,
    /// The customer.
    pub customer: Customer,
    /// The agent/user who owns this recording.
    pub user: Option<RecordingUser>,
    /// Live call session insights. Null for non-live recordings.
    pub room_insights: Option<RoomInsights>,
    /// agentrec extension: tracks, playlists, timeline, outcome.
    pub agentrec: AgentrecDetails,
}

/// The type of recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RecordingType {
    /// An inbound call.
    Received,
    /// An outbound or internal call.
    Sent,
    /// A live session.
    Live,
}

/// Recording metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordingMetadata {
    /// Created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Last updated.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Recording duration in seconds.
    pub duration: Option<i64>,
    /// Number of times the recording has been viewed.
    pub impressions_count: i64,
    /// The type of recording.
    pub recording_type: RecordingType,
    /// Human-readable source label.
    pub recording_source: String,
    /// Public URL to view the recording.
    #[schema(format = "uri")]
    pub url: String,
    /// Helpdesk ticket or conversation.
    pub helpdesk_info: HelpdeskInfo,
}

/// Helpdesk platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Platform {
    /// Zendesk.
    #[serde(rename = "zendesk")]
    Zendesk,
    /// Intercom.
    #[serde(rename = "intercom")]
    Intercom,
    /// Freshdesk.
    #[serde(rename = "freshdesk")]
    Freshdesk,
    /// Freshdesk chat.
    #[serde(rename = "freshdesk_chat")]
    FreshdeskChat,
    /// Help Scout.
    #[serde(rename = "helpscout")]
    Helpscout,
    /// Jira.
    #[serde(rename = "jira")]
    Jira,
    /// The recorder itself.
    #[serde(rename = "screendesk app")]
    App,
}

impl From<HelpdeskPlatform> for Platform {
    fn from(p: HelpdeskPlatform) -> Self {
        match p {
            HelpdeskPlatform::Zendesk => Platform::Zendesk,
            HelpdeskPlatform::Intercom => Platform::Intercom,
            HelpdeskPlatform::Freshdesk => Platform::Freshdesk,
            HelpdeskPlatform::FreshdeskChat => Platform::FreshdeskChat,
            HelpdeskPlatform::Helpscout => Platform::Helpscout,
            HelpdeskPlatform::Jira => Platform::Jira,
            HelpdeskPlatform::App => Platform::App,
        }
    }
}

/// Information about the associated helpdesk ticket or conversation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HelpdeskInfo {
    /// Platform.
    pub platform: Platform,
    /// Conversation id.
    pub conversation_id: Option<String>,
    /// Ticket id.
    pub ticket_id: Option<String>,
    /// User id.
    pub user_id: Option<String>,
    /// Operator id.
    pub operator_id: Option<String>,
    /// Customer id.
    pub customer_id: Option<String>,
    /// Issue id.
    pub issue_id: Option<String>,
}

/// Technical details.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TechnicalDetails {
    /// Vendor.
    pub vendor: Option<String>,
    /// The agent's IP address.
    pub ip_address: Option<String>,
    /// The agent's time zone.
    pub timezone: Option<String>,
    /// Network type.
    pub network_type: Option<String>,
    /// ISP.
    pub isp: Option<String>,
}

/// The customer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    /// E-mail address.
    #[schema(format = Email)]
    pub email: Option<String>,
}

/// The agent/user who owns this recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordingUser {
    /// E-mail address.
    #[schema(format = Email)]
    pub email: String,
    /// Name.
    pub name: String,
}

/// Session-level insights for live video calls.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoomInsights {
    /// Start.
    #[schema(format = DateTime)]
    pub started_at: Option<String>,
    /// End.
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
    /// Call duration in seconds.
    pub duration: Option<i64>,
    /// Participant minutes.
    pub total_participant_minutes: Option<f64>,
    /// Unique participants.
    pub total_unique_participants: Option<i64>,
    /// Per participant.
    pub participants_insights: Option<Vec<ParticipantInsight>>,
}

/// One participant of a live session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParticipantInsight {
    /// Id.
    pub participant_id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Browser.
    pub browser: Option<String>,
    /// OS.
    pub os: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Device type.
    pub device_type: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// Joined.
    #[schema(format = DateTime)]
    pub joined_at: Option<String>,
    /// Left.
    #[schema(format = DateTime)]
    pub left_at: Option<String>,
}

/// agentrec extension of a recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AgentrecDetails {
    /// `open` (recording or uploading) or `finalized`.
    pub state: String,
    /// `complete` or `partial`, once finalized.
    pub outcome: Option<String>,
    /// Why the recording ended (`call_ended`, `wrap_up_completed`, …).
    pub end_reason: Option<String>,
    /// The contact-center platform's call id.
    pub call_id: String,
    /// `voice` or `live`.
    pub call_kind: String,
    /// `inbound`, `outbound` or `internal`.
    pub direction: String,
    /// The ACD queue.
    pub queue: Option<String>,
    /// Captured time (pauses excluded), ms.
    pub recorded_ms: Option<u64>,
    /// Timeline length, ms.
    pub duration_ms: Option<i64>,
    /// Stored bytes.
    pub size_bytes: Option<i64>,
    /// Primary monitor width.
    pub width: Option<i64>,
    /// Primary monitor height.
    pub height: Option<i64>,
    /// Exempt from retention.
    pub legal_hold: bool,
    /// Unix ms of the timeline's 0.
    pub started_at_ms: i64,
    /// Every track with its layout and URLs.
    pub tracks: Vec<TrackView>,
    /// Timeline markers (`core::recorder::TimelineEvent`: `offset_ms`, `event`, …).
    #[schema(value_type = Vec<Object>)]
    pub timeline: Vec<serde_json::Value>,
    /// Segments missing at finalize (`core::wire::MissingSegments`).
    #[schema(value_type = Vec<Object>)]
    pub missing: Vec<serde_json::Value>,
    /// The one-file download.
    #[schema(format = "uri")]
    pub download_url: String,
    /// Labels, sorted.
    pub labels: Vec<String>,
    /// The folder it is filed in.
    pub folder: Option<String>,
    /// What the caller may do with it.
    pub actions: RecordingActions,
}

/// What the caller may do with a recording (beyond viewing it).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
pub struct RecordingActions {
    /// Download the one-file MP4.
    pub download: bool,
    /// Change title, summary, description, labels and folder.
    pub edit: bool,
    /// Make share links.
    pub share: bool,
    /// Add bookmarks/comments.
    pub bookmark: bool,
}

/// One track of a recording.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackView {
    /// Track number.
    pub track: u32,
    /// `core::media::TrackInfo`: codec, timescale, start_ms, kind (video: monitor, size,
    /// desktop rectangle, primary; audio: sample rate, channels).
    #[schema(value_type = Object)]
    pub info: serde_json::Value,
    /// HLS media playlist (fMP4 segments, `EXT-X-MAP`, gaps as `EXT-X-GAP`).
    #[schema(format = "uri")]
    pub playlist_url: String,
    /// Poster image, when the agent sent one.
    #[schema(format = "uri")]
    pub poster_url: Option<String>,
}

fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Builds the public JSON of a recording.
pub fn recording(
    row: &RecordingRow,
    tracks: &[(TrackInfo, Option<String>)],
    public_url: &str,
) -> Recording {
    let c = &row.create;
    let base = format!("{public_url}/api/v2/recordings/{}", row.id);
    let live = c.kind == CallKind::Live;
    let recording_type = match (c.kind, c.direction) {
        (CallKind::Live, _) => RecordingType::Live,
        (_, Direction::Inbound) => RecordingType::Received,
        _ => RecordingType::Sent,
    };
    let queue = c
        .queue
        .as_deref()
        .map(|q| format!(" ({q})"))
        .unwrap_or_default();
    let recording_source = if live {
        "agentrec Live Session".to_owned()
    } else {
        format!("agentrec Call Recording{queue}")
    };
    let h = c.helpdesk.clone().unwrap_or_default();
    let ended_at_ms = row
        .duration_ms
        .filter(|_| row.state == RecordingState::Finalized)
        .map(|d| c.started_at_ms.saturating_add(d));
    let room_insights = live.then(|| {
        let participants: Vec<ParticipantInsight> = c
            .participants
            .iter()
            .map(|p| ParticipantInsight {
                participant_id: p.participant_id.to_string(),
                display_name: p.display_name.clone(),
                role: p.role.map(|r| snake(&r)),
                browser: p.browser.clone(),
                os: p.os.clone(),
                device: p.device.clone(),
                device_type: p.device_type.clone(),
                user_agent: p.user_agent.clone(),
                joined_at: p.joined_at_ms.map(rfc3339),
                left_at: p.left_at_ms.map(rfc3339),
            })
            .collect();
        let end = ended_at_ms.unwrap_or(c.started_at_ms);
        let minutes: f64 = c
            .participants
            .iter()
            .map(|p| {
                let from = p.joined_at_ms.unwrap_or(c.started_at_ms);
                let to = p.left_at_ms.unwrap_or(end);
                (to - from).max(0) as f64 / 60_000.0
            })
            .sum();
        let mut unique: Vec<&str> = c
            .participants
            .iter()
            .map(|p| p.participant_id.as_str())
            .collect();
        unique.sort_unstable();
        unique.dedup();
        RoomInsights {
            started_at: Some(rfc3339(c.started_at_ms)),
            ended_at: ended_at_ms.map(rfc3339),
            duration: ended_at_ms.map(|e| (e - c.started_at_ms) / 1000),
            total_participant_minutes: ended_at_ms.map(|_| (minutes * 100.0).round() / 100.0),
            total_unique_participants: Some(unique.len() as i64),
            participants_insights: Some(participants),
        }
    });
    let finalized = row.finalized.as_ref();
    Recording {
        uuid: row.id,
        title: row.title.clone(),
        summary: row.summary.clone(),
        description: row.description.clone(),
        metadata: RecordingMetadata {
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
            duration: row.duration_ms.map(|d| (d + 500) / 1000),
            impressions_count: row.impressions,
            recording_type,
            recording_source,
            url: format!("{public_url}/recordings/{}", row.id),
            helpdesk_info: HelpdeskInfo {
                platform: h.platform.into(),
                conversation_id: h.conversation_id,
                ticket_id: h.ticket_id,
                user_id: h.user_id,
                operator_id: h.operator_id,
                customer_id: h.customer_id,
                issue_id: h.issue_id,
            },
        },
        technical_details: TechnicalDetails {
            vendor: Some("agentrec".to_owned()),
            ip_address: row.ip_address.clone(),
            timezone: c.timezone.clone(),
            network_type: None,
            isp: None,
        },
        console_logs: None,
        customer: Customer {
            email: c.customer_email.clone(),
        },
        user: Some(RecordingUser {
            email: row.owner.email.clone(),
            name: row.owner.name.clone(),
        }),
        room_insights,
        agentrec: AgentrecDetails {
            state: snake(&row.state),
            outcome: finalized.map(|_| if row.partial { "partial" } else { "complete" }.to_owned()),
            end_reason: finalized.map(|f| snake(&f.reason)),
            call_id: c.call_id.to_string(),
            call_kind: snake(&c.kind),
            direction: snake(&c.direction),
            queue: c.queue.clone(),
            recorded_ms: finalized.map(|f| f.recorded_ms),
            duration_ms: row.duration_ms,
            size_bytes: row.size_bytes,
            width: row.width,
            height: row.height,
            legal_hold: row.legal_hold,
            started_at_ms: c.started_at_ms,
            tracks: tracks
                .iter()
                .map(|(info, poster)| TrackView {
                    track: info.track,
                    info: serde_json::to_value(info).unwrap_or_default(),
                    playlist_url: format!("{base}/tracks/{}/playlist.m3u8", info.track),
                    poster_url: poster
                        .as_ref()
                        .map(|_| format!("{base}/tracks/{}/poster", info.track)),
                })
                .collect(),
            timeline: finalized
                .map(|f| {
                    f.timeline
                        .iter()
                        .filter_map(|e| serde_json::to_value(e).ok())
                        .collect()
                })
                .unwrap_or_default(),
            missing: row
                .missing
                .iter()
                .filter_map(|m| serde_json::to_value(m).ok())
                .collect(),
            download_url: format!("{base}/download"),
            labels: Vec::new(),
            folder: row.folder.clone(),
            actions: RecordingActions::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_matches_pagy() {
        let p = Pagination::new(60, 2, 25, 25);
        assert_eq!((p.pages, p.last_page, p.from, p.to), (3, 3, 26, 50));
        assert_eq!((p.prev_page, p.next_page), (Some(1), Some(3)));
        let last = Pagination::new(60, 3, 25, 10);
        assert_eq!((last.from, last.to, last.next_page), (51, 60, None));
        let empty = Pagination::new(0, 1, 25, 0);
        assert_eq!(
            (empty.pages, empty.from, empty.to, empty.prev_page),
            (1, 0, 0, None)
        );
    }
}
