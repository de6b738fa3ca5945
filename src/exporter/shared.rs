//! Scrapes that share one read: the scrapes of an exposition format that arrive while a
//! read of the watched namespaces is under way are answered from that read, and the read
//! never waits for any of them.
//!
//! A read ([`Read`]) keeps the tables it read ([`Reading`]), not their text; each scrape's
//! [`Reader`] encodes the exposition from them a piece at a time, at its client's own
//! pace, so a client that stops reading holds up no one else (it only keeps that read's
//! tables alive until its connection ends), and memory holds the tables once and one piece
//! per scrape, however many scrapes share the read. A read whose readers have all gone
//! stops before its next namespace: a scrape whose client went away stops reading the
//! kernel.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

use hyper::body::Bytes;

use crate::exec::metrics::Watch;
use crate::output::metrics::{Cursor, Format, Reading};

/// What a read has made, and who waits for it.
#[derive(Debug, Default)]
struct State {
    /// The tables read, once the read is over (`None` before, or when it stopped).
    reading: Option<Arc<Reading>>,
    /// Whether the read is over (its tables there, or stopped for want of readers).
    done: bool,
    /// The scrapes still reading it.
    readers: usize,
    /// The scrapes waiting for it.
    wakers: Vec<Waker>,
}

/// One read of the watched namespaces, shared by the scrapes that joined it.
#[derive(Debug, Default)]
pub struct Read {
    state: Mutex<State>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Read {
    /// Whether anyone still reads (when not, the read is over).
    fn wanted(&self) -> bool {
        let mut s = lock(&self.state);
        if s.readers == 0 {
            s.done = true;
        }
        !s.done
    }

    /// Ends the read with its tables (`None`: it stopped) and wakes the readers.
    fn finish(&self, reading: Option<Reading>) {
        let mut s = lock(&self.state);
        s.reading = reading.map(Arc::new);
        s.done = true;
        s.wakers.drain(..).for_each(Waker::wake);
    }
}

/// A read still to be done: [`Job::run`] it where blocking is allowed (it reads the
/// kernel).
#[derive(Debug)]
pub struct Job {
    read: Arc<Read>,
    format: Format,
    watch: Arc<Mutex<Watch>>,
}

impl Job {
    /// Reads the watched namespaces into the shared read; returns the log lines. The
    /// watch is locked while the kernel is read (the two formats' reads take turns), never
    /// while a client is waited for.
    pub fn run(self) -> Vec<String> {
        let read = &self.read;
        let (reading, lines) = lock(&self.watch).scrape(self.format, &|| read.wanted());
        read.finish(reading);
        lines
    }
}

/// One scrape's place in a read: how far its exposition is sent.
#[derive(Debug)]
pub struct Reader {
    read: Arc<Read>,
    cursor: Cursor,
}

impl Reader {
    /// The next piece: ready once the read is over (encoded then, from its tables),
    /// `None` after the last.
    pub fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let reading = {
            let mut s = lock(&self.read.state);
            match &s.reading {
                Some(r) => r.clone(),
                None if s.done => return Poll::Ready(None),
                None => {
                    s.wakers.push(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        let mut piece = String::new();
        if reading.next(&mut self.cursor, &mut piece) {
            Poll::Ready(Some(Bytes::from(piece)))
        } else {
            Poll::Ready(None)
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        lock(&self.read.state).readers -= 1;
    }
}

/// The reads under way, one per format, and the namespaces they read.
#[derive(Debug)]
pub struct Hub {
    watch: Arc<Mutex<Watch>>,
    /// The read under way of each format (Prometheus text, OpenMetrics), if any.
    current: Mutex<[Weak<Read>; 2]>,
}

impl Hub {
    /// A hub reading what `watch` watches.
    pub fn new(watch: Watch) -> Hub {
        Hub {
            watch: Arc::new(Mutex::new(watch)),
            current: Mutex::new([Weak::new(), Weak::new()]),
        }
    }

    /// A scrape in `format`: a reader of the read under way, or of a new read, which comes
    /// back as a job to run.
    pub fn join(&self, format: Format) -> (Reader, Option<Job>) {
        let slot = usize::from(format == Format::OpenMetrics);
        let mut current = lock(&self.current);
        if let Some(read) = current[slot].upgrade() {
            let mut s = lock(&read.state);
            if !s.done {
                s.readers += 1;
                drop(s);
                return (
                    Reader {
                        read,
                        cursor: Cursor::default(),
                    },
                    None,
                );
            }
        }
        let read = Arc::new(Read::default());
        lock(&read.state).readers = 1;
        current[slot] = Arc::downgrade(&read);
        let job = Job {
            read: read.clone(),
            format,
            watch: self.watch.clone(),
        };
        (
            Reader {
                read,
                cursor: Cursor::default(),
            },
            Some(job),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::task::Waker;

    fn hub() -> Hub {
        // A namespace that cannot be read: `up` 0, and a whole exposition all the same.
        Hub::new(Watch::new(vec![PathBuf::from("/nonexistent-netns")], None))
    }

    fn drain(r: &mut Reader) -> String {
        let mut cx = Context::from_waker(Waker::noop());
        let mut text = Vec::new();
        while let Poll::Ready(Some(p)) = r.poll_piece(&mut cx) {
            text.extend_from_slice(&p);
        }
        String::from_utf8(text).unwrap()
    }

    /// Scrapes that join a read under way share it (one job); each gets the whole text
    /// from the start; once the read is over, the next scrape makes a new one.
    #[test]
    fn scrapes_under_way_share_one_read() {
        let hub = hub();
        let (mut a, job) = hub.join(Format::Prometheus);
        let job = job.expect("the first scrape reads");
        let (mut b, none) = hub.join(Format::Prometheus);
        assert!(none.is_none(), "a second scrape joins the read");
        let (mut om, other) = hub.join(Format::OpenMetrics);
        let other = other.expect("another format is another read");
        let mut cx = Context::from_waker(Waker::noop());
        assert!(a.poll_piece(&mut cx).is_pending());
        assert!(job.run().len() == 1);
        let text = drain(&mut a);
        assert!(
            text.contains("ipvs_up{netns=\"/nonexistent-netns\"} 0\n"),
            "{text}"
        );
        assert_eq!(drain(&mut b), text);
        let (mut c, late) = hub.join(Format::Prometheus);
        assert!(late.is_some(), "a read that is over is not joined");
        drop(c.poll_piece(&mut cx));
        assert!(other.run().is_empty());
        assert!(drain(&mut om).ends_with("# EOF\n"));
    }

    /// A read whose readers all went away stops: nothing is pushed, nothing is read.
    #[test]
    fn a_read_nobody_wants_stops() {
        let hub = hub();
        let (a, job) = hub.join(Format::Prometheus);
        let job = job.unwrap();
        drop(a);
        let read = job.read.clone();
        assert!(!read.wanted());
        assert!(
            job.run().is_empty(),
            "the namespace was not read, nothing logged"
        );
        assert!(lock(&read.state).reading.is_none());
    }
}
