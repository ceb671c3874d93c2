//! Redis fan-out: every relay publishes events to one channel and subscribes to it.
//!
//! With Redis configured, the publish endpoint does not hand events to its own component; it
//! `PUBLISH`es them to [`CHANNEL`], and a subscriber task in every relay (this one included)
//! delivers what arrives on the channel to its component. So a client on any relay receives
//! events published through any relay, exactly once per relay.
//!
//! Failures: the publisher keeps one multiplexed connection, dropped on any error and
//! re-opened by the next publish (bounded by short timeouts), so a publish while Redis is down
//! fails fast with 503 instead of hanging. The subscriber reconnects forever with exponential
//! backoff (0.25 s → 10 s). Events published while a subscriber is reconnecting are lost for
//! that relay's clients, who catch up by refetching (persist-then-publish).

use super::actor::Command;
use super::publish::PublishError;
use anyhow::{Context as _, Result};
use futures::StreamExt as _;
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

/// The Redis channel events travel on.
pub const CHANNEL: &str = "owui-chats:events";
/// Connecting to Redis may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// A command may wait this long for its reply.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// The Redis side of one relay: a publisher and a subscriber task.
pub struct RedisBus {
    client: redis::Client,
    publisher: Mutex<Option<MultiplexedConnection>>,
    subscriber: JoinHandle<()>,
}

impl RedisBus {
    /// Parses `url` and starts the subscriber, which delivers events into `deliver`.
    /// Fails only for an invalid URL: an unreachable server is retried in the background.
    pub fn start(url: &str, deliver: mpsc::Sender<Command>) -> Result<Self> {
        let client = redis::Client::open(url).context("invalid Redis URL")?;
        let subscriber = tokio::spawn(subscribe_forever(client.clone(), deliver));
        Ok(Self {
            client,
            publisher: Mutex::new(None),
            subscriber,
        })
    }

    /// Publishes one event to [`CHANNEL`].
    pub async fn publish(&self, event: &str) -> Result<(), PublishError> {
        let mut conn = {
            // Held while connecting, so that many publishers during an outage make one attempt.
            let mut guard = self.publisher.lock().await;
            match &*guard {
                Some(conn) => conn.clone(),
                None => {
                    let config = AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(CONNECT_TIMEOUT))
                        .set_response_timeout(Some(RESPONSE_TIMEOUT));
                    let conn = self
                        .client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await
                        .map_err(|e| PublishError::Unavailable(format!("Redis: {e}")))?;
                    *guard = Some(conn.clone());
                    conn
                }
            }
        };
        let result: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(event)
            .query_async(&mut conn)
            .await;
        match result {
            Ok(_receivers) => Ok(()),
            Err(e) => {
                *self.publisher.lock().await = None;
                Err(PublishError::Unavailable(format!("Redis: {e}")))
            }
        }
    }

    /// Stops the subscriber.
    pub fn stop(&self) {
        self.subscriber.abort();
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        self.subscriber.abort();
    }
}

async fn subscribe_forever(client: redis::Client, deliver: mpsc::Sender<Command>) {
    let mut backoff = BACKOFF_MIN;
    loop {
        match subscribe_once(&client, &deliver, &mut backoff).await {
            Ok(Delivery::ActorGone) => return,
            Ok(Delivery::Lost) => tracing::warn!("Redis subscription lost; reconnecting"),
            Err(e) => tracing::warn!("Redis subscription failed: {e:#}; retrying in {backoff:?}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

enum Delivery {
    /// The connection ended; try again.
    Lost,
    /// The actor stopped; so do we.
    ActorGone,
}

async fn subscribe_once(
    client: &redis::Client,
    deliver: &mpsc::Sender<Command>,
    backoff: &mut Duration,
) -> Result<Delivery> {
    let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
        .await
        .context("connect timed out")??;
    pubsub.subscribe(CHANNEL).await?;
    tracing::info!("subscribed to Redis channel {CHANNEL}");
    *backoff = BACKOFF_MIN;
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let event: String = match msg.get_payload() {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!("ignoring a non-text message on {CHANNEL}: {e}");
                continue;
            }
        };
        if deliver.send(Command::Publish { event }).await.is_err() {
            return Ok(Delivery::ActorGone);
        }
    }
    Ok(Delivery::Lost)
}
