//! HTTP client of the agent endpoints (`/api/v2/agent/…`), one method per endpoint, answers
//! decoded into `core::wire` types and failures into [`ClientError`].

use std::time::Duration;

use agentrec_core::media::{SegmentInfo, TrackInfo, TrackNo};
use agentrec_core::wire::{
    CreateRecording, DURATION_MS_HEADER, EnrollRequest, EnrollResponse, FinalizeRequest,
    FinalizeResponse, Heartbeat, HeartbeatAck, SHA256_HEADER, START_MS_HEADER, SegmentStored,
    UploadStatus,
};
use agentrec_core::{Policy, RecordingId};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ClientError;

/// Connecting gives up after this long (then the request counts as a network failure).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Small JSON requests give up after this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Segment uploads give up after this long (a 60 s 4K segment on a slow uplink).
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// A client of one ingest server, with or without a device credential.
#[derive(Debug, Clone)]
pub struct AgentClient {
    http: reqwest::Client,
    /// `<server>/api/v2`.
    api: String,
    server: String,
    device_token: Option<String>,
}

impl AgentClient {
    /// A client of the server at `server_url` (`https://host[:port]`, no path).
    pub fn new(server_url: &str, device_token: Option<String>) -> Result<Self, ClientError> {
        let server = server_url.trim().trim_end_matches('/').to_owned();
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ClientError::BadUrl(server));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("agentrec-uploader/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Network(e.to_string()))?;
        Ok(AgentClient {
            http,
            api: format!("{server}/api/v2"),
            server,
            device_token,
        })
    }

    /// The same server with another device credential.
    pub fn with_device_token(&self, token: String) -> Self {
        AgentClient {
            device_token: Some(token),
            ..self.clone()
        }
    }

    /// The server's base URL.
    pub fn server_url(&self) -> &str {
        &self.server
    }

    /// Whether a device credential is set.
    pub fn has_device_token(&self) -> bool {
        self.device_token.is_some()
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.api));
        match &self.device_token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    /// `POST /agent/enroll` with a one-time enrollment token.
    pub async fn enroll(
        &self,
        enrollment_token: &str,
        body: &EnrollRequest,
    ) -> Result<EnrollResponse, ClientError> {
        let r = self
            .http
            .post(format!("{}/agent/enroll", self.api))
            .bearer_auth(enrollment_token)
            .timeout(REQUEST_TIMEOUT)
            .json(body);
        json(send(r).await?).await
    }

    /// `POST /agent/heartbeat`.
    pub async fn heartbeat(&self, body: &Heartbeat) -> Result<HeartbeatAck, ClientError> {
        let r = self
            .request(Method::POST, "/agent/heartbeat")
            .timeout(REQUEST_TIMEOUT)
            .json(body);
        json(send(r).await?).await
    }

    /// `GET /agent/policy`.
    pub async fn policy(&self) -> Result<Policy, ClientError> {
        let r = self
            .request(Method::GET, "/agent/policy")
            .timeout(REQUEST_TIMEOUT);
        json(send(r).await?).await
    }

    /// The request of the event stream (`GET /agent/events`), resuming after `last_event_id`.
    /// No overall time-out: the stream is meant to stay open (the server sends keep-alive
    /// comments every 15 s; the caller watches for silence).
    pub fn events_request(&self, last_event_id: Option<&str>) -> RequestBuilder {
        let r = self
            .request(Method::GET, "/agent/events")
            .header(reqwest::header::ACCEPT, "text/event-stream");
        match last_event_id {
            Some(id) => r.header("last-event-id", id),
            None => r,
        }
    }

    /// Sends the event stream's request and checks the answer (an error status becomes a
    /// [`ClientError`]).
    pub async fn open_events(&self, last_event_id: Option<&str>) -> Result<Response, ClientError> {
        send(self.events_request(last_event_id)).await
    }

    /// `GET /agent/recordings/{id}/status`: what the server holds; `None` if it does not know
    /// the recording.
    pub async fn status(
        &self,
        recording: RecordingId,
    ) -> Result<Option<UploadStatus>, ClientError> {
        let r = self
            .request(
                Method::GET,
                &format!("/agent/recordings/{recording}/status"),
            )
            .timeout(REQUEST_TIMEOUT);
        match send(r).await {
            Ok(resp) => json(resp).await.map(Some),
            Err(ClientError::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `PUT /agent/recordings/{id}` (idempotent: the same body again is a 200).
    pub async fn create_recording(
        &self,
        recording: RecordingId,
        body: &CreateRecording,
    ) -> Result<UploadStatus, ClientError> {
        let r = self
            .request(Method::PUT, &format!("/agent/recordings/{recording}"))
            .timeout(REQUEST_TIMEOUT)
            .json(body);
        json(send(r).await?).await
    }

    /// `PUT /agent/recordings/{id}/tracks/{n}`.
    pub async fn put_track(
        &self,
        recording: RecordingId,
        info: &TrackInfo,
    ) -> Result<(), ClientError> {
        let r = self
            .request(
                Method::PUT,
                &format!("/agent/recordings/{recording}/tracks/{}", info.track),
            )
            .timeout(REQUEST_TIMEOUT)
            .json(info);
        send(r).await.map(drop)
    }

    /// `PUT …/tracks/{n}/init`.
    pub async fn upload_init(
        &self,
        recording: RecordingId,
        track: TrackNo,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> Result<SegmentStored, ClientError> {
        let r = self
            .request(
                Method::PUT,
                &format!("/agent/recordings/{recording}/tracks/{track}/init"),
            )
            .timeout(UPLOAD_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(SHA256_HEADER, sha256)
            .body(bytes);
        json(send(r).await?).await
    }

    /// `PUT …/tracks/{n}/segments/{seq}` with the segment's checksum and place on the
    /// timeline.
    pub async fn upload_segment(
        &self,
        recording: RecordingId,
        info: &SegmentInfo,
        bytes: Vec<u8>,
    ) -> Result<SegmentStored, ClientError> {
        let r = self
            .request(
                Method::PUT,
                &format!(
                    "/agent/recordings/{recording}/tracks/{}/segments/{}",
                    info.track, info.seq
                ),
            )
            .timeout(UPLOAD_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(SHA256_HEADER, &info.sha256)
            .header(START_MS_HEADER, info.start_ms)
            .header(DURATION_MS_HEADER, info.duration_ms)
            .body(bytes);
        json(send(r).await?).await
    }

    /// `PUT …/tracks/{n}/poster` (a JPEG).
    pub async fn upload_poster(
        &self,
        recording: RecordingId,
        track: TrackNo,
        jpeg: Vec<u8>,
    ) -> Result<(), ClientError> {
        let r = self
            .request(
                Method::PUT,
                &format!("/agent/recordings/{recording}/tracks/{track}/poster"),
            )
            .timeout(UPLOAD_TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "image/jpeg")
            .body(jpeg);
        send(r).await.map(drop)
    }

    /// `POST …/finalize` (idempotent: finalizing again answers the stored result).
    pub async fn finalize(
        &self,
        recording: RecordingId,
        body: &FinalizeRequest,
    ) -> Result<FinalizeResponse, ClientError> {
        let r = self
            .request(
                Method::POST,
                &format!("/agent/recordings/{recording}/finalize"),
            )
            .timeout(REQUEST_TIMEOUT)
            .json(body);
        json(send(r).await?).await
    }
}

/// Sends a request; a non-2xx answer becomes the matching [`ClientError`].
async fn send(request: RequestBuilder) -> Result<Response, ClientError> {
    let response = request.send().await.map_err(network)?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(&response);
    let text = response.text().await.unwrap_or_default();
    // The server's errors are `{"error": "…"}`; anything else (a proxy's page) is shown short.
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect());
    Err(match status {
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized(message),
        StatusCode::CONFLICT => ClientError::Conflict(message),
        StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS => ClientError::Unavailable {
            status: status.as_u16(),
            message,
            retry_after,
        },
        s if s.is_server_error() => ClientError::Unavailable {
            status: s.as_u16(),
            message,
            retry_after,
        },
        s => ClientError::Rejected {
            status: s.as_u16(),
            message,
        },
    })
}

fn network(e: reqwest::Error) -> ClientError {
    // Show the cause chain: reqwest's own message alone is "error sending request".
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ClientError::Network(message)
}

/// `Retry-After` in seconds (the HTTP-date form is not used by our server and is ignored).
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let bytes = response.bytes().await.map_err(network)?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_are_accepted_and_slashes_are_trimmed() {
        assert!(matches!(
            AgentClient::new("ftp://x", None),
            Err(ClientError::BadUrl(_))
        ));
        let c = AgentClient::new(" http://127.0.0.1:9/ ", None).unwrap();
        assert_eq!(c.server_url(), "http://127.0.0.1:9");
        assert!(!c.has_device_token());
        assert!(c.with_device_token("t".into()).has_device_token());
    }
}
