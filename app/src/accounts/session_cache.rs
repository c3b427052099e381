//! A short-lived copy, in this process, of the sessions it looked up lately.
//!
//! Every page and every server function starts by asking who is calling (the session row and
//! its account: one SQL statement). On SQLite through sqlx a statement costs about as much CPU
//! as rendering a whole page (docs/BENCHMARKS.md "Where a logged-in page's time goes"), and a
//! person clicking through the area asks the same question several times a second (the page,
//! then its server functions). This cache answers it from memory for at most
//! `ECM_SESSION_CACHE_SECONDS` (default 5; 0 turns it off).
//!
//! What keeps it honest:
//! - A cached session is only used while it is still live by the same rules as the database
//!   query (its absolute expiry and the idle timeout are checked again on every use); a copy
//!   that fails them is looked up again, never refused on its own say.
//! - Everything that ends a session or changes what a session says about its account — logout,
//!   «Esci da tutti i dispositivi», a password change or reset, an e-mail verification — drops the
//!   entries at once, after its transaction committed ([`SessionCache::forget`],
//!   [`SessionCache::forget_user`]).
//! - A lookup that read the database before such a change and finishes after it cannot put the
//!   old answer back: every drop moves a generation counter on, and an answer read under an
//!   older generation is not kept.
//! - It is bounded ([`CAPACITY`] entries); only live sessions are kept, never unknown tokens.
//!
//! With several portals over one PostgreSQL database, a drop reaches only the process that made
//! the change: the others may still accept an ended session for up to the cache's lifetime.
//! Deployments that run more than one instance and cannot accept that set it to 0 (README,
//! "Configuration").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::store::accounts::LiveSession;

/// At most this many sessions are kept; above it, stale entries go and then new ones are not kept.
pub const CAPACITY: usize = 10_000;

/// The cache shared by every request of one portal (cheap to clone).
#[derive(Clone)]
pub struct SessionCache {
    /// `None` when turned off (a lifetime of 0).
    shared: Option<Arc<Shared>>,
}

struct Shared {
    ttl: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Moved on by every drop (see the module documentation).
    generation: u64,
    /// By the SHA-256 of the session token, with when it was read from the database.
    entries: HashMap<String, (Instant, LiveSession)>,
}

impl std::fmt::Debug for SessionCache {
    /// The lifetime only: neither token hashes nor accounts go into logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCache").field("ttl", &self.shared.as_ref().map(|s| s.ttl)).finish()
    }
}

impl SessionCache {
    /// A cache keeping each session for `ttl` after it was read; `Duration::ZERO` turns it off.
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache { shared: (!ttl.is_zero()).then(|| Arc::new(Shared { ttl, inner: Mutex::new(Inner::default()) })) }
    }

    fn inner(&self) -> Option<(Duration, MutexGuard<'_, Inner>)> {
        // A panic while holding the lock cannot leave the map half-written in a way that matters
        // (each operation is one insert or removal), so a poisoned lock is used as it is.
        self.shared.as_ref().map(|shared| (shared.ttl, shared.inner.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// The session read for this token hash less than the lifetime ago, if any.
    pub(crate) fn get(&self, token_hash: &str) -> Option<LiveSession> {
        self.get_at(token_hash, Instant::now())
    }

    fn get_at(&self, token_hash: &str, now: Instant) -> Option<LiveSession> {
        let (ttl, inner) = self.inner()?;
        let (read_at, session) = inner.entries.get(token_hash)?;
        (now.saturating_duration_since(*read_at) < ttl).then(|| session.clone())
    }

    /// The generation to hand back to [`SessionCache::insert`]: take it before reading the database.
    pub(crate) fn generation(&self) -> u64 {
        self.inner().map_or(0, |(_, inner)| inner.generation)
    }

    /// Keeps a session read from the database under `generation`, unless something was dropped
    /// since (then the answer may be older than the drop, and is not kept).
    pub(crate) fn insert(&self, token_hash: &str, session: LiveSession, generation: u64) {
        self.insert_at(token_hash, session, generation, Instant::now());
    }

    fn insert_at(&self, token_hash: &str, session: LiveSession, generation: u64, now: Instant) {
        let Some((ttl, mut inner)) = self.inner() else { return };
        if inner.generation != generation {
            return;
        }
        if inner.entries.len() >= CAPACITY && !inner.entries.contains_key(token_hash) {
            inner.entries.retain(|_, (read_at, _)| now.saturating_duration_since(*read_at) < ttl);
            if inner.entries.len() >= CAPACITY {
                return;
            }
        }
        inner.entries.insert(token_hash.to_string(), (now, session));
    }

    /// Notes a use written to the database, so that the next requests do not write it again.
    pub(crate) fn touched(&self, token_hash: &str, last_seen: &str) {
        if let Some((_, mut inner)) = self.inner() {
            if let Some((_, session)) = inner.entries.get_mut(token_hash) {
                session.last_seen = last_seen.to_string();
            }
        }
    }

    /// Drops a copy that the database no longer confirms (the session is gone or no longer live).
    pub(crate) fn remove(&self, token_hash: &str) {
        if let Some((_, mut inner)) = self.inner() {
            inner.entries.remove(token_hash);
        }
    }

    /// A session ended (logout): its copy goes, and no lookup begun before can bring it back.
    pub fn forget(&self, token_hash: &str) {
        if let Some((_, mut inner)) = self.inner() {
            inner.generation += 1;
            inner.entries.remove(token_hash);
        }
    }

    /// Every session of an account ended or now says something else about it (password
    /// changed or reset, address verified): all their copies go.
    pub fn forget_user(&self, user_id: &str) {
        if let Some((_, mut inner)) = self.inner() {
            inner.generation += 1;
            inner.entries.retain(|_, (_, session)| session.user.id != user_id);
        }
    }

    /// How many sessions are kept now.
    pub fn len(&self) -> usize {
        self.inner().map_or(0, |(_, inner)| inner.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{CurrentUser, Role};

    fn session(user_id: &str) -> LiveSession {
        LiveSession {
            user: CurrentUser {
                id: user_id.to_string(),
                email: format!("{user_id}@provider.it"),
                display_name: "Anna".to_string(),
                role: Role::Provider,
                email_verified: true,
            },
            expires_at: "2026-12-03T20:00:00.000Z".to_string(),
            last_seen: "2026-12-03T12:00:00.000Z".to_string(),
        }
    }

    #[test]
    fn a_session_is_kept_for_its_lifetime_only() {
        let cache = SessionCache::new(Duration::from_secs(5));
        let start = Instant::now();
        cache.insert_at("h1", session("u1"), cache.generation(), start);
        assert_eq!(cache.get_at("h1", start + Duration::from_secs(4)), Some(session("u1")));
        assert_eq!(cache.get_at("h1", start + Duration::from_secs(5)), None);
        assert_eq!(cache.get_at("h2", start), None);
    }

    #[test]
    fn turned_off_it_keeps_nothing() {
        let cache = SessionCache::new(Duration::ZERO);
        cache.insert("h1", session("u1"), cache.generation());
        assert_eq!(cache.get("h1"), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_lookup_begun_before_a_drop_does_not_bring_the_session_back() {
        let cache = SessionCache::new(Duration::from_secs(5));
        // A request reads the session from the database …
        let generation = cache.generation();
        // … meanwhile the account logs out everywhere …
        cache.forget_user("u1");
        // … and the request's answer, read before the logout, is not kept.
        cache.insert("h1", session("u1"), generation);
        assert_eq!(cache.get("h1"), None);
        // A lookup begun after the drop is kept.
        cache.insert("h1", session("u1"), cache.generation());
        assert!(cache.get("h1").is_some());
    }

    #[test]
    fn forgetting_an_account_drops_all_its_sessions_and_only_those() {
        let cache = SessionCache::new(Duration::from_secs(5));
        for (hash, user) in [("a1", "u1"), ("a2", "u1"), ("b1", "u2")] {
            cache.insert(hash, session(user), cache.generation());
        }
        cache.forget_user("u1");
        assert_eq!((cache.get("a1"), cache.get("a2")), (None, None));
        assert!(cache.get("b1").is_some());
        cache.forget("b1");
        assert_eq!(cache.get("b1"), None);
    }

    #[test]
    fn a_recorded_use_updates_the_copy_and_never_revives_a_dropped_one() {
        let cache = SessionCache::new(Duration::from_secs(5));
        cache.insert("h1", session("u1"), cache.generation());
        cache.touched("h1", "2026-12-03T12:05:00.000Z");
        assert_eq!(cache.get("h1").unwrap().last_seen, "2026-12-03T12:05:00.000Z");
        cache.remove("h1");
        cache.touched("h1", "2026-12-03T12:06:00.000Z");
        assert_eq!(cache.get("h1"), None);
    }

    #[test]
    fn it_is_bounded() {
        let cache = SessionCache::new(Duration::from_secs(5));
        let start = Instant::now();
        for i in 0..CAPACITY {
            cache.insert_at(&format!("h{i}"), session("u1"), cache.generation(), start);
        }
        // Full of fresh entries: a new one is not kept, the old ones stay.
        cache.insert_at("new", session("u2"), cache.generation(), start + Duration::from_secs(1));
        assert_eq!((cache.len(), cache.get_at("new", start + Duration::from_secs(1))), (CAPACITY, None));
        // Once they are stale, they make room.
        let later = start + Duration::from_secs(6);
        cache.insert_at("new", session("u2"), cache.generation(), later);
        assert_eq!(cache.len(), 1);
        assert!(cache.get_at("new", later).is_some());
    }
}
