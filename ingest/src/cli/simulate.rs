//! `agentrec-ingest simulate-call`: plays a scripted call's CTI events for one agent against a
//! running server, as a contact-center platform would: answered (ACD, queue), held, resumed,
//! ended (wrap-up follows), wrap-up completed.

use std::time::Duration;

use agentrec_core::CallEvent;
use agentrec_core::call::{Answered, CallKind, Direction};
use agentrec_core::wire::{AgentEvent, CallEventAccepted, CallEventPost};
use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// An integration (or admin) API token.
    #[arg(long, env = "AGENTREC_TOKEN")]
    token: String,
    /// The agent's e-mail address.
    #[arg(long)]
    agent: String,
    /// Call id (default: a random one).
    #[arg(long)]
    call_id: Option<String>,
    /// Queue name.
    #[arg(long, default_value = "support")]
    queue: String,
    /// Seconds between events.
    #[arg(long, default_value_t = 5.0)]
    step_secs: f64,
    /// Put the call on hold and back in the middle.
    #[arg(long)]
    hold: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let call_id: agentrec_core::CallId = args
        .call_id
        .clone()
        .unwrap_or_else(|| format!("sim-{}", uuid::Uuid::new_v4()))
        .into();
    let mut script = vec![CallEvent::Answered(Answered {
        call_id: call_id.clone(),
        kind: CallKind::Voice,
        acd: true,
        queue: Some(args.queue.clone()),
        direction: Direction::Inbound,
    })];
    if args.hold {
        script.push(CallEvent::Held {
            call_id: call_id.clone(),
        });
        script.push(CallEvent::Resumed {
            call_id: call_id.clone(),
        });
    }
    script.push(CallEvent::Ended {
        call_id: call_id.clone(),
        wrapup: true,
    });
    script.push(CallEvent::WrapUpCompleted { call_id });
    let client = reqwest::Client::new();
    let url = format!(
        "{}/api/v2/integrations/call-events",
        args.server.trim_end_matches('/')
    );
    let step = Duration::from_secs_f64(args.step_secs.max(0.0));
    for (i, event) in script.into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(step).await;
        }
        let body = CallEventPost {
            agent: args.agent.clone(),
            event: AgentEvent::Call(event.clone()),
        };
        let response = client
            .post(&url)
            .bearer_auth(&args.token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!("{status}: {text}");
        }
        let accepted: CallEventAccepted = response.json().await?;
        tracing::info!(?event, id = %accepted.id, delivered = accepted.delivered, "posted");
        eprintln!(
            "{:<20} id {} delivered to {} app(s)",
            serde_json::to_value(&event)?["type"]
                .as_str()
                .unwrap_or("?"),
            accepted.id,
            accepted.delivered
        );
    }
    Ok(())
}
