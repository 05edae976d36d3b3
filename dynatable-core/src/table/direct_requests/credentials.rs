//! The credentials direct requests sign with: asked of the configuration's provider (the standard
//! chain: environment, profile, web identity, ECS, EC2 instance metadata) once, then reused until
//! they are about to expire, as the SDK's own identity cache does.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

/// How long before their expiry credentials are asked for again (the SDK's cache uses 10 s).
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(60);

/// A provider's credentials, cached.
#[derive(Debug)]
pub(super) struct CachedCredentials {
    provider: SharedCredentialsProvider,
    /// Shared, not cloned, with each request: a `Credentials` clone copies its property bag.
    current: RwLock<Option<Arc<Credentials>>>,
    /// Held while asking the provider, so that concurrent writes ask once.
    refreshing: tokio::sync::Mutex<()>,
}

impl CachedCredentials {
    pub(super) fn new(provider: SharedCredentialsProvider) -> Self {
        Self {
            provider,
            current: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// Credentials valid for at least [`REFRESH_BEFORE_EXPIRY`] more, when the provider gives any.
    ///
    /// # Errors
    /// The provider's, as text.
    pub(super) async fn get(&self) -> Result<Arc<Credentials>, String> {
        if let Some(credentials) = self.fresh() {
            return Ok(credentials);
        }
        let _refreshing = self.refreshing.lock().await;
        if let Some(credentials) = self.fresh() {
            return Ok(credentials);
        }
        let credentials = self.provider.provide_credentials().await.map_err(|e| {
            format!(
                "no AWS credentials: {}",
                aws_sdk_dynamodb::error::DisplayErrorContext(e)
            )
        })?;
        let credentials = Arc::new(credentials);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) =
            Some(Arc::clone(&credentials));
        Ok(credentials)
    }

    fn fresh(&self) -> Option<Arc<Credentials>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|c| {
                c.expiry().is_none_or(|expiry| {
                    expiry
                        .duration_since(SystemTime::now())
                        .is_ok_and(|left| left > REFRESH_BEFORE_EXPIRY)
                })
            })
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_credential_types::provider::future::ProvideCredentials as CredentialsFuture;

    use super::*;

    /// Counts its calls; its credentials expire `lifetime` after each call.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> CredentialsFuture<'a>
        where
            Self: 'a,
        {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            CredentialsFuture::ready(Ok(Credentials::new(
                format!("key{call}"),
                "secret",
                None,
                Some(SystemTime::now() + self.lifetime),
                "test",
            )))
        }
    }

    fn cache(lifetime: Duration) -> (CachedCredentials, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let provider = Counting {
            calls: calls.clone(),
            lifetime,
        };
        (
            CachedCredentials::new(SharedCredentialsProvider::new(provider)),
            calls,
        )
    }

    #[tokio::test]
    async fn credentials_are_asked_for_once_while_they_are_valid() {
        let (cache, calls) = cache(Duration::from_secs(3600));
        for _ in 0..100 {
            assert_eq!(cache.get().await.unwrap().access_key_id(), "key0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn credentials_about_to_expire_are_asked_for_again() {
        let (cache, calls) = cache(Duration::from_secs(30));
        assert_eq!(cache.get().await.unwrap().access_key_id(), "key0");
        assert_eq!(cache.get().await.unwrap().access_key_id(), "key1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
