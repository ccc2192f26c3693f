//! Work that must not stop halfway: actix drops a request's future when the client goes
//! away (and a handler's other extractors when one fails), which would cancel a storage
//! call mid-flight. [`RunToEnd`] polls the work in place, like any future, and only if it
//! is dropped unfinished hands the rest to a task of its own. Cheaper than a task per
//! request: a box instead of a task's allocation, scheduling and join. A panic in the work
//! is caught, as a task's would be: the request answers 500 rather than losing its
//! connection.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The work panicked (the panic's message went to the log through the panic hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request's work panicked")]
pub struct Panicked;

/// `work`, finished in a task of its own if dropped before its end.
pub fn run_to_end<F>(work: F) -> RunToEnd<F>
where
    F: Future + 'static,
{
    RunToEnd {
        work: Some(Box::pin(work)),
    }
}

/// See [`run_to_end`].
#[derive(Debug)]
pub struct RunToEnd<F: Future + 'static> {
    work: Option<Pin<Box<F>>>,
}

impl<F: Future + 'static> Future for RunToEnd<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(work) = self.work.as_mut() else {
            return Poll::Pending; // polled after its end: never happens
        };
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx)));
        let out = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(out)) => Ok(out),
            Err(_) => Err(Panicked),
        };
        // Finished (or broken by its panic): nothing left to hand to a task when dropped.
        self.work = None;
        Poll::Ready(out)
    }
}

impl<F: Future + 'static> Drop for RunToEnd<F> {
    fn drop(&mut self) {
        let Some(work) = self.work.take() else {
            return;
        };
        // Outside a local task set (the runtime shutting down) spawning panics: the work is
        // then dropped with its runtime, as every other task is.
        let spawned = std::panic::catch_unwind(AssertUnwindSafe(|| {
            actix_web::rt::spawn(async move {
                work.await;
            });
        }));
        if spawned.is_err() {
            tracing::warn!("unfinished request work dropped at shutdown");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::run_to_end;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    #[actix_web::test]
    async fn dropped_work_still_finishes() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = finished.clone();
        let work = run_to_end(async move {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, Ordering::SeqCst);
        });
        // Polled once (it starts), then dropped, like a request whose client went away.
        let _ = actix_web::rt::time::timeout(Duration::from_millis(5), work).await;
        assert!(!finished.load(Ordering::SeqCst));
        actix_web::rt::time::sleep(Duration::from_millis(150)).await;
        assert!(
            finished.load(Ordering::SeqCst),
            "finished in a task of its own"
        );
    }

    #[actix_web::test]
    async fn finished_work_answers_in_place() {
        assert_eq!(run_to_end(async { 42 }).await, Ok(42));
    }

    #[actix_web::test]
    async fn a_panic_is_an_answer() {
        let work = run_to_end(async {
            if std::hint::black_box(true) {
                panic!("a handler's bug");
            }
        });
        assert_eq!(work.await, Err(super::Panicked));
    }
}
