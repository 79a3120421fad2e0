//! `kiosque serve-http`: the slash commands over Discord's HTTP interactions endpoint. Discord
//! POSTs each interaction, signed, to a URL; this module serves it with axum, refuses what
//! Discord did not sign ([`verify`]), and answers through the same reply builders, limits and
//! allowed mentions as the gateway bot ([`dispatch`]). What answers at once goes back in the
//! HTTP response; what may take longer (a question by meaning) is deferred and finished by
//! editing the original response through Discord's API, with retries.
//!
//! No state lives here but the per-user limit and the replay window: any number of these
//! processes may answer behind a load balancer, each over its own copy of the index.

mod dispatch;
#[cfg(feature = "cluster")]
pub mod jobs;
pub mod verify;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::ratelimit::RateLimiter;
use super::{RATE_MAX, RATE_WINDOW};
use crate::config::Endpoint as Settings;
use crate::engine::Engine;
use verify::{BadKey, Verifier};

/// The largest body accepted; Discord's interactions are a few kilobytes.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(transparent)]
    Key(#[from] BadKey),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

/// One endpoint's state, shared by its requests.
pub struct Endpoint {
    engine: Arc<Engine>,
    limiter: RateLimiter,
    /// With NATS: the per-user limit shared by the replicas (the local one when it cannot
    /// say).
    #[cfg(feature = "cluster")]
    shared_limits: Option<crate::cluster::limits::Limits>,
    verifier: Verifier,
    application_id: u64,
    /// Discord's API, up to and with `/api/v10`.
    api: String,
    client: reqwest::Client,
    /// Deferred replies not yet delivered: shutting down waits for them.
    pending: AtomicUsize,
}

impl Endpoint {
    /// Counts a question from `user`: `Err(wait)` when over the limit. Shared by the replicas
    /// when NATS is set and answers, per process otherwise.
    pub(crate) async fn limit(&self, user: u64) -> Result<(), Duration> {
        #[cfg(feature = "cluster")]
        if let Some(limits) = &self.shared_limits {
            if let Some(verdict) = limits.check(user).await {
                return verdict;
            }
        }
        self.limiter.check(user, std::time::Instant::now())
    }

    /// With NATS, once connected: where admin jobs go (to the writer).
    #[cfg(feature = "cluster")]
    pub(crate) fn jobs(&self) -> Option<&crate::cluster::Shared> {
        self.shared_limits.as_ref().and_then(|l| l.shared())
    }

    pub fn new(settings: &Settings, engine: Arc<Engine>) -> Result<Endpoint, EndpointError> {
        let base = settings
            .api_base
            .as_deref()
            .unwrap_or("https://discord.com")
            .trim_end_matches('/');
        Ok(Endpoint {
            engine,
            limiter: RateLimiter::new(RATE_MAX, RATE_WINDOW),
            #[cfg(feature = "cluster")]
            shared_limits: settings
                .cluster
                .clone()
                .map(|c| crate::cluster::limits::Limits::start(c, RATE_MAX, RATE_WINDOW)),
            verifier: Verifier::new(settings.public_key)?,
            application_id: settings.application_id,
            api: format!("{base}/api/v10"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            pending: AtomicUsize::new(0),
        })
    }
}

/// The endpoint's routes: `POST /interactions` (and `POST /`, for a URL without a path),
/// and `GET /healthz` for a load balancer.
pub fn router(endpoint: Arc<Endpoint>) -> Router {
    Router::new()
        .route("/", post(receive))
        .route("/interactions", post(receive))
        .route("/healthz", get(health))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(endpoint)
}

/// Serves the endpoint until Ctrl-C or SIGTERM, then waits (a bounded while) for the
/// deferred replies still being delivered.
pub async fn run(settings: Settings, engine: Arc<Engine>) -> Result<(), EndpointError> {
    let endpoint = Arc::new(Endpoint::new(&settings, engine)?);
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| EndpointError::Listen(settings.listen, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| EndpointError::Listen(settings.listen, e))?;
    tracing::info!("listening for Discord's interactions on http://{local}/interactions");
    axum::serve(listener, router(endpoint.clone()))
        .with_graceful_shutdown(super::shutdown_signal())
        .await
        .map_err(EndpointError::Serve)?;
    tracing::info!("shutting down");
    for _ in 0..300 {
        if endpoint.pending.load(Ordering::SeqCst) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

async fn health(State(endpoint): State<Arc<Endpoint>>) -> Response {
    let articles = endpoint.engine.articles(1, 1).total;
    (StatusCode::OK, format!("ok: {articles} articles\n")).into_response()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = endpoint.verifier.check(
        text("x-signature-ed25519"),
        text("x-signature-timestamp"),
        &body,
        now(),
    );
    if let Err(why) = checked {
        tracing::debug!("refused an interaction: {why}");
        return (StatusCode::UNAUTHORIZED, "invalid request signature\n").into_response();
    }
    match dispatch::interaction(&endpoint, &body).await {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(why) => {
            tracing::debug!("a signed interaction that is not one: {why}");
            (StatusCode::BAD_REQUEST, "not an interaction\n").into_response()
        }
    }
}
