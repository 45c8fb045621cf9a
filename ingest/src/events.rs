//! The agents' event hub: policy snapshots and relayed call events, delivered over each
//! agent app's SSE stream.
//!
//! Policy: the hub holds the current [`PolicySet`] in a watch channel; every change (org,
//! team override, team membership) bumps the persisted version and replaces it, and every
//! connected app gets its full effective policy again.
//!
//! Call events: each agent has a small buffer of recent events (kept for `ttl`) and a
//! broadcast channel to its connected apps. An event posted while the agent is offline waits
//! in the buffer; an app that connects (or reconnects with `Last-Event-ID`) first gets what it
//! has not seen. The buffer is in memory: it survives app reconnections, not a server restart,
//! and with several server instances behind a load balancer a CTI connector must reach the
//! instance the agent is connected to (documented limit; a PostgreSQL LISTEN/NOTIFY relay
//! would lift it).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentrec_core::wire::{AgentEvent, ServerEvent};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::clock::now_ms;
use crate::db::policy::PolicySet;

/// A call event waiting for or sent to an agent.
#[derive(Debug, Clone)]
pub struct Relayed {
    /// Position in this server's stream (the SSE id is `<boot>-<seq>`).
    pub seq: u64,
    /// SSE id.
    pub id: String,
    /// The event.
    pub event: ServerEvent,
    /// When it leaves the buffer, Unix ms.
    pub expires_at_ms: i64,
}

#[derive(Debug)]
struct AgentQueue {
    buffer: VecDeque<Relayed>,
    live: broadcast::Sender<Relayed>,
}

/// Most events kept per agent (a call produces a handful).
const MAX_BUFFERED: usize = 256;

/// The hub.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    policies: watch::Sender<Arc<PolicySet>>,
    agents: Mutex<HashMap<Uuid, AgentQueue>>,
    boot: i64,
    seq: AtomicU64,
    ttl: Duration,
    shutdown: CancellationToken,
}

/// What posting an event did.
#[derive(Debug, Clone)]
pub struct Posted {
    /// SSE id.
    pub id: String,
    /// Connected apps it went to.
    pub delivered: u32,
    /// Kept until, Unix ms.
    pub kept_until_ms: i64,
}

impl Hub {
    /// A hub starting from `policies`, keeping call events for `ttl`.
    pub fn new(policies: PolicySet, ttl: Duration, shutdown: CancellationToken) -> Hub {
        let (tx, _) = watch::channel(Arc::new(policies));
        Hub {
            inner: Arc::new(Inner {
                policies: tx,
                agents: Mutex::new(HashMap::new()),
                boot: now_ms(),
                seq: AtomicU64::new(0),
                ttl,
                shutdown,
            }),
        }
    }

    /// The policies now in force.
    pub fn policies(&self) -> Arc<PolicySet> {
        self.inner.policies.borrow().clone()
    }

    /// Publishes a new policy set to every connected app.
    pub fn publish_policies(&self, set: PolicySet) {
        self.inner.policies.send_replace(Arc::new(set));
    }

    /// Watches policy changes.
    pub fn watch_policies(&self) -> watch::Receiver<Arc<PolicySet>> {
        self.inner.policies.subscribe()
    }

    /// Fires when the server shuts down (streams end).
    pub fn shutdown(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    /// Relays an event to an agent: sent to its connected apps and kept for late ones.
    pub fn post(&self, agent: Uuid, event: AgentEvent) -> Posted {
        let now = now_ms();
        let seq = self.inner.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let ttl_ms = i64::try_from(self.inner.ttl.as_millis()).unwrap_or(i64::MAX);
        let relayed = Relayed {
            seq,
            id: format!("{}-{seq}", self.inner.boot),
            event: ServerEvent::Agent {
                event,
                received_at_ms: now,
            },
            expires_at_ms: now.saturating_add(ttl_ms),
        };
        let mut agents = self
            .inner
            .agents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let queue = agents.entry(agent).or_insert_with(|| AgentQueue {
            buffer: VecDeque::new(),
            live: broadcast::channel(64).0,
        });
        prune(&mut queue.buffer, now);
        if queue.buffer.len() >= MAX_BUFFERED
            && let Some(dropped) = queue.buffer.pop_front()
        {
            tracing::warn!(%agent, id = %dropped.id, "call event buffer full: oldest event dropped");
        }
        queue.buffer.push_back(relayed.clone());
        let delivered = queue.live.send(relayed.clone()).unwrap_or(0);
        Posted {
            id: relayed.id,
            delivered: u32::try_from(delivered).unwrap_or(u32::MAX),
            kept_until_ms: relayed.expires_at_ms,
        }
    }

    /// Subscribes an app of `agent`: the buffered events after `last_event_id`, and a
    /// receiver for new ones (subscribed first, so nothing falls between).
    pub fn subscribe(
        &self,
        agent: Uuid,
        last_event_id: Option<&str>,
    ) -> (Vec<Relayed>, broadcast::Receiver<Relayed>) {
        let after = last_event_id
            .and_then(|id| id.split_once('-'))
            .filter(|(boot, _)| boot.parse::<i64>().ok() == Some(self.inner.boot))
            .and_then(|(_, seq)| seq.parse::<u64>().ok())
            .unwrap_or(0);
        let now = now_ms();
        let mut agents = self
            .inner
            .agents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let queue = agents.entry(agent).or_insert_with(|| AgentQueue {
            buffer: VecDeque::new(),
            live: broadcast::channel(64).0,
        });
        let rx = queue.live.subscribe();
        prune(&mut queue.buffer, now);
        let missed = queue
            .buffer
            .iter()
            .filter(|r| r.seq > after)
            .cloned()
            .collect();
        (missed, rx)
    }

    /// Drops expired events and idle agents (run periodically); logs what expired unseen.
    pub fn sweep(&self) {
        let now = now_ms();
        let mut agents = self
            .inner
            .agents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        agents.retain(|agent, q| {
            let before = q.buffer.len();
            prune(&mut q.buffer, now);
            if q.buffer.len() < before && q.live.receiver_count() == 0 {
                tracing::warn!(%agent, expired = before - q.buffer.len(),
                    "call events expired while the agent was offline");
            }
            !q.buffer.is_empty() || q.live.receiver_count() > 0
        });
    }
}

fn prune(buffer: &mut VecDeque<Relayed>, now: i64) {
    while buffer.front().is_some_and(|r| r.expires_at_ms <= now) {
        buffer.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentrec_core::CallEvent;

    fn hub(ttl: Duration) -> Hub {
        Hub::new(
            PolicySet {
                version: 1,
                org: Default::default(),
                teams: HashMap::new(),
            },
            ttl,
            CancellationToken::new(),
        )
    }

    fn held(call: &str) -> AgentEvent {
        AgentEvent::Call(CallEvent::Held {
            call_id: call.into(),
        })
    }

    #[test]
    fn events_for_an_offline_agent_wait_for_its_app() {
        let hub = hub(Duration::from_secs(60));
        let agent = Uuid::new_v4();
        let posted = hub.post(agent, held("c1"));
        assert_eq!(posted.delivered, 0);
        let (missed, _rx) = hub.subscribe(agent, None);
        assert_eq!(missed.len(), 1);
        assert_eq!(missed[0].id, posted.id);
    }

    #[test]
    fn reconnecting_with_last_event_id_gets_only_what_it_missed() {
        let hub = hub(Duration::from_secs(60));
        let agent = Uuid::new_v4();
        let first = hub.post(agent, held("c1"));
        let second = hub.post(agent, held("c2"));
        let (missed, _rx) = hub.subscribe(agent, Some(&first.id));
        assert_eq!(
            missed.iter().map(|r| &r.id).collect::<Vec<_>>(),
            vec![&second.id]
        );
        // An id from another boot of the server replays everything kept.
        let (all, _rx) = hub.subscribe(agent, Some("1-1"));
        assert_eq!(all.len(), 2);
    }

    #[tokio::test]
    async fn connected_apps_get_events_live() {
        let hub = hub(Duration::from_secs(60));
        let agent = Uuid::new_v4();
        let (_, mut rx) = hub.subscribe(agent, None);
        assert_eq!(hub.post(agent, held("c1")).delivered, 1);
        assert_eq!(rx.recv().await.unwrap().seq, 1);
    }

    #[test]
    fn events_expire_after_the_ttl() {
        let hub = hub(Duration::ZERO);
        let agent = Uuid::new_v4();
        hub.post(agent, held("c1"));
        hub.sweep();
        let (missed, _rx) = hub.subscribe(agent, None);
        assert!(missed.is_empty());
    }
}
