//! What the JSON API (`http`) and the dashboard's pages share, below both: the [`AppState`]
//! every handler reaches, the client's address ([`ClientIp`]), the one API [`Error`] and the
//! dashboard's [`session`] cookie. The routers themselves are composed in [`crate::startup`].

pub mod error;
pub mod session;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

pub use error::Error;
use session::SessionPolicy;

use crate::config::{Limits, RateLimits};
use crate::credentials;
use crate::passwords::PasswordSlots;
use crate::proxies::TrustedProxies;
use crate::rate_limit::{RateLimiter, client_key};
use crate::storage::Storage;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub limiters: Arc<Limiters>,
    /// SHA-256 of the admin API token; `None` disables the admin routes.
    pub admin_token_sha256: Option<[u8; 32]>,
    /// The dashboard's session timeouts and cookie.
    pub sessions: SessionPolicy,
    /// Whose forwarding headers name the client; see [`ClientIp`].
    pub proxies: Arc<TrustedProxies>,
    /// Argon2id runs only in one of these.
    pub password_slots: PasswordSlots,
    /// Timeouts and caps.
    pub limits: Limits,
}

/// The server's rate limiters, one per policy of [`RateLimits`], each within
/// [`RateLimits::max_bytes_per_limiter`].
pub struct Limiters {
    /// Enrollment attempts per client IP.
    pub enroll: RateLimiter<IpAddr>,
    /// Authenticated kiosk requests per kiosk id.
    pub kiosk: RateLimiter<String>,
    /// Refused bearer tokens per client IP.
    pub bad_token: RateLimiter<IpAddr>,
    /// Dashboard sign-in attempts per client IP.
    pub login_ip: RateLimiter<IpAddr>,
    /// Dashboard sign-in attempts per (username, client IP).
    pub login_user: RateLimiter<(String, IpAddr)>,
    /// Failed sign-ins per username from every address: past them, attempts are slowed down.
    pub login_slow_down: RateLimiter<String>,
}

impl Limiters {
    pub fn new(limits: RateLimits) -> Limiters {
        let bytes = limits.max_bytes_per_limiter;
        Limiters {
            enroll: RateLimiter::new(limits.enroll, bytes),
            kiosk: RateLimiter::new(limits.kiosk, bytes),
            bad_token: RateLimiter::new(limits.bad_token, bytes),
            login_ip: RateLimiter::new(limits.login_ip, bytes),
            login_user: RateLimiter::new(limits.login_user, bytes),
            login_slow_down: RateLimiter::new(limits.login_slow_down, bytes),
        }
    }
}

impl AppState {
    pub(crate) fn is_admin_token(&self, token_sha256: &[u8; 32]) -> bool {
        self.admin_token_sha256
            .is_some_and(|admin| credentials::hashes_equal(&admin, token_sha256))
    }
}

/// The client's address, the key of every per-address rate limit (IPv6 by its /64): the peer's,
/// or the client a trusted proxy forwards (see [`TrustedProxies::client_address`]).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

/// The one place the client's address is decided. The peer comes from `ConnectInfo` (set by
/// the server for each connection); a router served without it puts every client in one bucket.
pub(crate) fn client_ip(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    client_key(state.proxies.client_address(peer, &parts.headers))
}
