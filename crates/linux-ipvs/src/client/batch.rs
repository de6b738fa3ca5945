//! Changes sent many per datagram: a slice at a time ([`Client::apply_batch`]) or as a
//! stream ([`Client::queue`], [`Client::send_queued`], [`Client::outcomes`]). Only a
//! datagram's last change asks for an ACK; the replies are matched to the changes by
//! sequence number, so each change gets its own outcome, in order. A batch that a socket
//! error cuts short says which changes reached the kernel and which did not
//! ([`BatchError`]).

use crate::client::{Change, Client, Transport};
use crate::consts::*;
use crate::error::Error;
use crate::netlink::Expect;
use crate::netlink::msg::{
    Messages, NLM_F_ACK, NLM_F_REQUEST, Reply, add_flags, push_genl_request,
};

/// Upper bound on the bytes of requests sent in one datagram. The kernel handles the
/// messages one by one and answers each one that fails with an error that echoes it;
/// keeping batches moderate keeps those replies well inside the socket's receive buffer.
pub const BATCH_BYTES: usize = 32 * 1024;

/// What became of one change of a batch that a socket error cut short
/// ([`BatchError::outcomes`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The kernel made the change.
    Applied,
    /// The kernel refused the change: [`Error::Kernel`] with its errno.
    Failed(Error),
    /// The change was sent, but its reply was lost with the ones after it (`ENOBUFS`, a
    /// timeout): the kernel may have made it or refused it. Read the table to know.
    Unknown,
    /// The change was never sent: the kernel did not see it.
    NotSent,
}

impl Outcome {
    fn of(result: Result<(), Error>) -> Outcome {
        match result {
            Ok(()) => Outcome::Applied,
            Err(e) => Outcome::Failed(e),
        }
    }

    /// Whether the kernel made the change.
    pub fn is_applied(&self) -> bool {
        matches!(self, Outcome::Applied)
    }
}

/// A batch of changes that a socket error cut short (inside [`Error::Batch`]): the error,
/// and what became of each change, in order. For [`Client::apply_batch`] there is one
/// outcome per change of the call; for [`Client::queue`] and [`Client::send_queued`], one
/// per change of the datagram that was in flight (the outcomes of the datagrams before it
/// wait in [`Client::outcomes`] as usual).
///
/// ```no_run
/// use linux_ipvs::{Change, Client, Error, Outcome};
///
/// # let changes: Vec<Change> = Vec::new();
/// match Client::open()?.apply_batch(&changes) {
///     Ok(results) => println!("{} changes answered", results.len()),
///     Err(Error::Batch(cut)) => {
///         for (change, outcome) in changes.iter().zip(cut.outcomes()) {
///             if !outcome.is_applied() {
///                 eprintln!("{:?}: {outcome:?}", change.kind()); // retry, or read the table
///             }
///         }
///     }
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct BatchError {
    error: Error,
    outcomes: Vec<Outcome>,
}

impl BatchError {
    /// The socket error that cut the batch short.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// What became of each change, in order.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// The outcomes, taken.
    pub fn into_outcomes(self) -> Vec<Outcome> {
        self.outcomes
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (batch cut short: {} applied, {} refused, {} unknown, {} not sent)",
            self.error,
            self.count(|o| matches!(o, Outcome::Applied)),
            self.count(|o| matches!(o, Outcome::Failed(_))),
            self.count(|o| matches!(o, Outcome::Unknown)),
            self.count(|o| matches!(o, Outcome::NotSent)),
        )
    }
}

impl std::error::Error for BatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A batch cut short by `error`, with these outcomes.
fn cut(error: Error, outcomes: Vec<Outcome>) -> Error {
    // An error of the flush that came first is about other changes: only its cause counts.
    let error = match error {
        Error::Batch(inner) => inner.error,
        e => e,
    };
    Error::Batch(Box::new(BatchError { error, outcomes }))
}

/// Records the replies of one datagram in `window` (by position: sequence number less
/// `first_seq`); returns whether the last change was answered.
fn record(
    window: &mut [Option<Result<(), Error>>],
    first_seq: u32,
    data: &[u8],
) -> Result<bool, Error> {
    let mut last_answered = false;
    for m in Messages::new(data) {
        let m = m?;
        let idx = m.seq.wrapping_sub(first_seq) as usize;
        if idx >= window.len() || window[idx].is_some() {
            continue;
        }
        let outcome = match m.reply()? {
            Reply::Ack => Ok(()),
            Reply::Error { errno, ext_ack } => Err(Error::Kernel { errno, ext_ack }),
            _ => continue,
        };
        window[idx] = Some(outcome);
        last_answered |= idx == window.len() - 1;
    }
    Ok(last_answered)
}

/// The outcomes of a datagram whose replies stopped early. The kernel handles a datagram's
/// changes in order and answers each one that fails, in order, and drops replies only
/// once its receive buffer is full (and then every later one, until it is read): so a
/// change without a reply before the last one answered succeeded, and one after it is
/// unknown.
fn cut_short(window: &mut Vec<Option<Result<(), Error>>>) -> Vec<Outcome> {
    let answered = window.iter().rposition(Option::is_some);
    window
        .drain(..)
        .enumerate()
        .map(|(i, r)| match r {
            Some(r) => Outcome::of(r),
            None if answered.is_some_and(|a| i < a) => Outcome::Applied,
            None => Outcome::Unknown,
        })
        .collect()
}

impl<T: Transport> Client<T> {
    /// Applies one change and waits for its ACK; `Err` carries the kernel's errno when it
    /// refuses the change (for example `EEXIST` for a service that is already there).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client};
    ///
    /// Client::open()?.apply(&Change::Flush)?; // delete every service
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn apply(&mut self, change: &Change) -> Result<(), Error> {
        let mut results = self.apply_batch(std::slice::from_ref(change))?;
        results.pop().unwrap_or(Ok(()))
    }

    /// Applies changes in order, many per datagram, and returns each one's outcome, in the
    /// same order. The kernel carries on after a failed change, as separate requests would.
    /// The outer error is [`Error::TooLong`] for a change too long to encode (then nothing
    /// is sent), or [`Error::Batch`] for a failure of the socket, which says what became of
    /// each change: applied, refused, unknown (sent, its reply lost) or not sent. (Changes
    /// queued earlier with [`Client::queue`] are sent first; if that fails, none of these
    /// is sent.)
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client, Dest, Family, Service, ServiceKey};
    ///
    /// let svc = Service::new(ServiceKey::Fwmark { family: Family::Inet, mark: 7 });
    /// let servers = ["198.51.100.2", "198.51.100.3"];
    /// let mut changes = vec![Change::AddService(svc.clone())];
    /// for a in servers {
    ///     changes.push(Change::AddDest(svc.key, Dest::new(a.parse()?, 0)));
    /// }
    /// for (change, outcome) in changes.iter().zip(Client::open()?.apply_batch(&changes)?) {
    ///     if let Err(e) = outcome {
    ///         eprintln!("{:?} failed: errno {}", change.kind(), e.errno());
    ///     }
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_batch(&mut self, changes: &[Change]) -> Result<Vec<Result<(), Error>>, Error> {
        let not_sent = || changes.iter().map(|_| Outcome::NotSent).collect();
        self.send_queued().map_err(|e| cut(e, not_sent()))?;
        // Nothing is queued now, so the datagram buffer is free for a trial encoding: a
        // change too long to encode fails the call before anything is sent.
        for c in changes {
            self.tx.clear();
            let cmd = c.kind().cmd();
            push_genl_request(
                &mut self.tx,
                self.family,
                0,
                0,
                cmd,
                IPVS_GENL_VERSION,
                |w| c.encode(w),
            )?;
        }
        let before = self.done.len();
        let sent = changes
            .iter()
            .try_for_each(|c| self.queue(c))
            .and_then(|()| self.send_queued());
        let mine = self.done.split_off(before);
        match sent {
            Ok(()) => Ok(mine),
            // The datagrams answered, then the one in flight, then those never sent.
            Err(Error::Batch(b)) => {
                let mut outcomes: Vec<Outcome> = mine.into_iter().map(Outcome::of).collect();
                outcomes.extend(b.outcomes);
                outcomes.resize_with(changes.len(), || Outcome::NotSent);
                Err(cut(b.error, outcomes))
            }
            Err(e) => Err(e),
        }
    }

    /// Encodes a change into the datagram being filled, with its own sequence number; once
    /// the datagram holds [`BATCH_BYTES`], or as many changes as the socket has room for
    /// replies ([`Transport::reply_room`]: room for an error for each), sends it and waits
    /// for its replies (see [`Client::send_queued`]). An error is a failure of the socket
    /// itself ([`Error::Batch`], with the outcome of each change of that datagram); or
    /// [`Error::TooLong`] for a change too long to encode, which is then not queued (the
    /// others are unaffected).
    ///
    /// ```no_run
    /// use linux_ipvs::{Change, Client, Family, Service, ServiceKey};
    ///
    /// let mut ipvs = Client::open()?;
    /// for mark in 1..=10_000 {
    ///     let key = ServiceKey::Fwmark { family: Family::Inet, mark };
    ///     ipvs.queue(&Change::AddService(Service::new(key)))?;
    ///     // Outcomes arrive a datagram at a time, in queueing order.
    ///     for outcome in ipvs.outcomes() {
    ///         outcome?;
    ///     }
    /// }
    /// ipvs.send_queued()?;
    /// assert!(ipvs.outcomes().all(|o| o.is_ok()));
    /// # Ok::<(), linux_ipvs::Error>(())
    /// ```
    pub fn queue(&mut self, change: &Change) -> Result<(), Error> {
        let seq = self.seq.wrapping_add(1);
        if self.queued == 0 {
            self.tx.clear();
        }
        // A change too long to encode is refused here, and takes no sequence number.
        let last_before = std::mem::replace(&mut self.last_queued, self.tx.len());
        push_genl_request(
            &mut self.tx,
            self.family,
            NLM_F_REQUEST,
            seq,
            change.kind().cmd(),
            IPVS_GENL_VERSION,
            |w| change.encode(w),
        )
        .inspect_err(|_| self.last_queued = last_before)?;
        self.seq = seq;
        if self.queued == 0 {
            self.first_queued = seq;
        }
        self.queued += 1;
        if self.tx.len() >= BATCH_BYTES || self.queued >= self.sock.reply_room() {
            self.send_queued()?;
        }
        Ok(())
    }

    /// Sends the queued changes, if any, in one datagram and waits for their replies; the
    /// outcomes then wait in [`Client::outcomes`]. (See [`Client::queue`] for an example.)
    ///
    /// Only the datagram's last change asks for an ACK (`NLM_F_ACK`). The kernel handles a
    /// datagram's messages in order and answers every one that fails with its error and its
    /// sequence number, ACK or not, all before it answers the last one; so once the last
    /// change is answered (an ACK, or its own error), every change without an error reply
    /// has succeeded. A reply the kernel had to drop for want of room surfaces as `ENOBUFS`
    /// on the next receive, which fails the batch with [`Error::Batch`] rather than making
    /// an outcome up: the changes before the last one answered are known, the others are
    /// [`Outcome::Unknown`] (or [`Outcome::NotSent`] if the send itself failed).
    pub fn send_queued(&mut self) -> Result<(), Error> {
        let count = std::mem::take(&mut self.queued);
        if count == 0 {
            return Ok(());
        }
        let first_seq = self.first_queued;
        add_flags(&mut self.tx[self.last_queued..], NLM_F_ACK);
        self.window.clear();
        self.window.resize_with(count, || None);
        if let Err(e) = self.sock.send(&self.tx) {
            let outcomes = self.window.drain(..).map(|_| Outcome::NotSent).collect();
            return Err(cut(e, outcomes));
        }
        let mut last_answered = false;
        while !last_answered {
            let window = &mut self.window;
            let received = self.sock.recv_many(Expect::Acks, &mut |data| {
                last_answered |= record(window, first_seq, data)?;
                Ok(())
            });
            if let Err(e) = received {
                // `ENOBUFS`: the kernel dropped replies, from some change on. The replies
                // that came before it still wait: they say what became of the changes
                // before that one. Replies still waiting belong to this batch only.
                self.sock.read_waiting(&mut |data| {
                    let _ = record(window, first_seq, data);
                });
                return Err(cut(e, cut_short(window)));
            }
        }
        // The last change is answered: no error reply means success.
        self.done
            .extend(self.window.drain(..).map(|r| r.unwrap_or(Ok(()))));
        Ok(())
    }

    /// The outcomes of the changes sent so far and not taken yet, oldest first: one per
    /// queued change, `Err` with the kernel's errno for a change it refused.
    pub fn outcomes(&mut self) -> std::vec::Drain<'_, Result<(), Error>> {
        self.done.drain(..)
    }
}

#[cfg(test)]
mod tests {
    //! Batches cut short by the socket, against the stand-in kernel made to fail mid-batch.

    use nix::libc;

    use super::*;
    use crate::fake::{FakeKernel, Fault, tcp};

    /// Ten service adds (ports 1 to 10) against a table that holds port 6 already, four
    /// changes to a datagram.
    fn ten_adds(fault: Fault) -> (Client<FakeKernel>, Vec<Change>) {
        let mut c = FakeKernel::client(vec![(tcp(6), Vec::new())]);
        c.transport_mut().reply_room = 4;
        c.transport_mut().fault = Some(fault);
        let changes = (1..=10).map(|p| Change::AddService(tcp(p))).collect();
        (c, changes)
    }

    /// The outcomes in short: `A`pplied, `F`ailed (with `EEXIST`), `U`nknown, `N`ot sent.
    fn letters(outcomes: &[Outcome]) -> String {
        outcomes
            .iter()
            .map(|o| match o {
                Outcome::Applied => 'A',
                Outcome::Failed(e) if e.is_exists() => 'F',
                Outcome::Failed(e) => panic!("{e}"),
                Outcome::Unknown => 'U',
                Outcome::NotSent => 'N',
            })
            .collect()
    }

    fn ports_in_table(c: &Client<FakeKernel>) -> Vec<u16> {
        let mut ports: Vec<u16> = c
            .transport()
            .table
            .entries()
            .iter()
            .map(|(s, _)| s.key.port())
            .collect();
        ports.sort_unstable();
        ports
    }

    #[test]
    fn replies_lost_mid_batch_say_which_changes_were_made_which_were_not_sent() {
        // The second datagram (ports 5 to 8) is made whole, but the replies from its third
        // change (port 7) on are dropped: its one error reply (port 6 is there) comes, the
        // ACK of its last change does not.
        let (mut c, changes) = ten_adds(Fault::LoseReplies { nth: 6 });
        let Err(Error::Batch(cut)) = c.apply_batch(&changes) else {
            panic!("the batch is cut short")
        };
        assert_eq!(cut.error().errno(), libc::ENOBUFS);
        assert_eq!(letters(cut.outcomes()), "AAAAAFUUNN");
        assert_eq!(ports_in_table(&c), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            cut.to_string(),
            "No buffer space available (os error 105) \
             (batch cut short: 5 applied, 1 refused, 2 unknown, 2 not sent)"
        );
        // The client is clean afterwards: the rest goes through.
        let rest = c.apply_batch(&changes[8..]).unwrap();
        assert!(rest.iter().all(Result::is_ok));
        assert_eq!(ports_in_table(&c), (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_send_that_fails_mid_batch_leaves_the_rest_unsent() {
        let (mut c, changes) = ten_adds(Fault::Send {
            nth: 1,
            errno: libc::ENOMEM,
        });
        let err = c.apply_batch(&changes).unwrap_err();
        assert_eq!(err.errno(), libc::ENOMEM);
        let Error::Batch(cut) = err else {
            panic!("{err:?}")
        };
        assert_eq!(letters(cut.outcomes()), "AAAANNNNNN");
        assert_eq!(ports_in_table(&c), [1, 2, 3, 4, 6]);
    }

    #[test]
    fn a_queued_datagram_cut_short_reports_its_own_changes() {
        let (mut c, changes) = ten_adds(Fault::LoseReplies { nth: 6 });
        let mut cut = None;
        for change in &changes[..8] {
            if let Err(Error::Batch(b)) = c.queue(change) {
                cut = Some(b);
            }
        }
        // The first datagram's outcomes wait as usual; the error has the second's.
        assert_eq!(c.outcomes().filter(Result::is_ok).count(), 4);
        assert_eq!(letters(cut.expect("cut short").outcomes()), "AFUU");
    }
}
