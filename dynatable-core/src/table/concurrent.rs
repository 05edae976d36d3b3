//! The loop under every bulk driver: bounded concurrency that, on the first error, stops taking
//! work but lets the work in flight finish.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::Poll;

use futures::{Stream, StreamExt};

use super::error::Result;

/// Runs `work` on every item of `items`, at most `limit` at a time, and returns the first error
/// (of the stream or of `work`).
///
/// An error stops the intake: the stream is not polled again. The work already in flight runs
/// to its end, so every request that was sent has its outcome counted (and, for a resumable
/// driver, marked done) before the error is returned. Dropping those futures instead would leave
/// writes that happened uncounted, and a checkpoint behind the work actually done.
pub(crate) async fn run_concurrent<T, S, F, Fut>(items: S, limit: usize, mut work: F) -> Result<()>
where
    S: Stream<Item = Result<T>>,
    F: FnMut(T) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let stopped = AtomicBool::new(false);
    let first_error = Mutex::new(None);
    let fail = |error| {
        first_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(error);
        stopped.store(true, Ordering::Release);
    };
    let mut items = pin!(items);
    let intake = futures::stream::poll_fn(|cx| {
        if stopped.load(Ordering::Acquire) {
            Poll::Ready(None)
        } else {
            items.as_mut().poll_next(cx)
        }
    });
    intake
        .for_each_concurrent(limit, |item| {
            let running = item.map(&mut work);
            let fail = &fail;
            async move {
                let outcome = match running {
                    Ok(running) => running.await,
                    Err(error) => Err(error),
                };
                if let Err(error) = outcome {
                    fail(error);
                }
            }
        })
        .await;
    match first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;
    use crate::table::error::{Error, ErrorKind, Operation};

    fn failure(n: usize) -> Error {
        Error::new(
            Operation::Put,
            "t",
            None,
            ErrorKind::Request(format!("item {n}")),
        )
    }

    #[tokio::test]
    async fn work_in_flight_finishes_after_the_first_error_and_no_new_work_starts() {
        let (pulled, finished) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let items = futures::stream::iter(0..100).map(|n| {
            pulled.fetch_add(1, Ordering::SeqCst);
            Ok(n)
        });
        let result = run_concurrent(items, 8, |n| {
            let finished = &finished;
            async move {
                if n == 10 {
                    return Err(failure(n));
                }
                // Items 3..10 are still in flight when item 10 fails.
                tokio::time::sleep(Duration::from_millis(if n >= 3 { 50 } else { 0 })).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .await;
        let error = result.unwrap_err();
        assert!(error.to_string().contains("item 10"), "{error}");
        // Every item before the failing one finished, 3..10 after the error.
        assert_eq!(finished.load(Ordering::SeqCst), 10);
        assert_eq!(
            pulled.load(Ordering::SeqCst),
            11,
            "nothing pulled after the error"
        );
    }

    #[tokio::test]
    async fn a_stream_error_stops_the_intake_too() {
        let pulled = AtomicUsize::new(0);
        let items = futures::stream::iter(0..100).map(|n| {
            pulled.fetch_add(1, Ordering::SeqCst);
            if n == 5 { Err(failure(n)) } else { Ok(n) }
        });
        let done = AtomicUsize::new(0);
        let result = run_concurrent(items, 1, |_| {
            done.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .await;
        assert!(result.unwrap_err().to_string().contains("item 5"));
        assert_eq!(done.load(Ordering::SeqCst), 5);
        assert_eq!(pulled.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn without_errors_every_item_is_worked_on() {
        let done = AtomicUsize::new(0);
        let items = futures::stream::iter((0..1_000).map(Ok));
        run_concurrent(items, 16, |_| {
            done.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        })
        .await
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 1_000);
    }
}
