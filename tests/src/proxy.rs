//! A fault-injecting TCP proxy for whole-system tests: between a kiosk and the aggregator it drops
//! connections, delays them, and cuts a request or a response in the middle, chosen per
//! connection from a seeded random generator so a failing run can be replayed.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How often each fault strikes a new connection (the rest pass untouched).
#[derive(Debug, Clone, Copy)]
pub struct FaultRates {
    /// Close the connection at once.
    pub drop: f64,
    /// Hold the connection up to `max_delay` before forwarding anything.
    pub delay: f64,
    /// Forward only part of the request, then close.
    pub cut_request: f64,
    /// Forward the whole request but only part of the response, then close.
    pub cut_response: f64,
    pub max_delay: Duration,
}

impl FaultRates {
    /// A hostile network: about half of all connections suffer one fault.
    pub fn hostile() -> FaultRates {
        FaultRates {
            drop: 0.12,
            delay: 0.12,
            cut_request: 0.12,
            cut_response: 0.12,
            max_delay: Duration::from_millis(300),
        }
    }
}

/// Counts of what the proxy did, to show a test met real faults.
#[derive(Debug, Default)]
pub struct FaultCounts {
    pub connections: AtomicU64,
    pub dropped: AtomicU64,
    pub delayed: AtomicU64,
    pub cut_requests: AtomicU64,
    pub cut_responses: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    Drop,
    Delay(Duration),
    CutRequest(usize),
    CutResponse(usize),
}

/// The proxy, listening on a loopback port until dropped.
pub struct FaultyProxy {
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    counts: Arc<FaultCounts>,
    acceptor: Option<JoinHandle<()>>,
}

impl FaultyProxy {
    pub fn start(
        upstream: SocketAddr,
        rates: FaultRates,
        seed: u64,
    ) -> std::io::Result<FaultyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(FaultCounts::default());
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let acceptor = {
            let (stopping, counts) = (stopping.clone(), counts.clone());
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let fault = match rng.lock() {
                        Ok(mut rng) => choose(&mut rng, &rates),
                        Err(_) => Fault::None,
                    };
                    let counts = counts.clone();
                    std::thread::spawn(move || serve(client, upstream, fault, &counts));
                }
            })
        };
        Ok(FaultyProxy {
            address,
            stopping,
            counts,
            acceptor: Some(acceptor),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn counts(&self) -> &FaultCounts {
        &self.counts
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn choose(rng: &mut StdRng, rates: &FaultRates) -> Fault {
    let roll: f64 = rng.random();
    let mut edge = rates.drop;
    if roll < edge {
        return Fault::Drop;
    }
    edge += rates.delay;
    if roll < edge {
        let max = rates.max_delay.as_millis().max(1) as u64;
        return Fault::Delay(Duration::from_millis(rng.random_range(1..=max)));
    }
    edge += rates.cut_request;
    if roll < edge {
        return Fault::CutRequest(rng.random_range(1..2048));
    }
    edge += rates.cut_response;
    if roll < edge {
        return Fault::CutResponse(rng.random_range(1..512));
    }
    Fault::None
}

fn serve(client: TcpStream, upstream: SocketAddr, fault: Fault, counts: &FaultCounts) {
    counts.connections.fetch_add(1, Ordering::Relaxed);
    let (mut request_limit, mut response_limit) = (usize::MAX, usize::MAX);
    match fault {
        Fault::None => {}
        Fault::Drop => {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            let _ = client.shutdown(Shutdown::Both);
            return;
        }
        Fault::Delay(delay) => {
            counts.delayed.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(delay); // the delay is the fault being injected
        }
        Fault::CutRequest(limit) => {
            counts.cut_requests.fetch_add(1, Ordering::Relaxed);
            request_limit = limit;
        }
        Fault::CutResponse(limit) => {
            counts.cut_responses.fetch_add(1, Ordering::Relaxed);
            response_limit = limit;
        }
    }
    let Ok(server) = TcpStream::connect(upstream) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(client_read), Ok(server_write)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let upstream_pump = std::thread::spawn(move || pump(client_read, server_write, request_limit));
    pump(server, client, response_limit);
    let _ = upstream_pump.join();
}

/// Copies `from` to `to` until EOF or `limit` bytes, then shuts both down (a cut ends the exchange).
fn pump(mut from: TcpStream, mut to: TcpStream, limit: usize) {
    let mut buffer = [0u8; 8192];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let allowed = n.min(limit - sent);
        if to.write_all(&buffer[..allowed]).is_err() {
            break;
        }
        sent += allowed;
        if sent >= limit {
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
            return;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback echo server for the proxy to sit in front of.
    fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut data = Vec::new();
                    let _ = stream.read_to_end(&mut data);
                    let _ = stream.write_all(&data);
                });
            }
        });
        address
    }

    fn round_trip(proxy: &FaultyProxy, message: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(proxy.address()).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = stream.write_all(message);
        let _ = stream.shutdown(Shutdown::Write);
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        reply
    }

    #[test]
    fn a_clean_proxy_passes_everything() {
        let none = FaultRates {
            drop: 0.0,
            delay: 0.0,
            cut_request: 0.0,
            cut_response: 0.0,
            max_delay: Duration::ZERO,
        };
        let proxy = FaultyProxy::start(echo_server(), none, 1).expect("proxy");
        let message = vec![7u8; 100_000];
        assert_eq!(round_trip(&proxy, &message), message);
    }

    #[test]
    fn a_hostile_proxy_damages_some_exchanges_and_counts_them() {
        let proxy = FaultyProxy::start(echo_server(), FaultRates::hostile(), 42).expect("proxy");
        let message = vec![9u8; 10_000];
        let damaged = (0..60)
            .filter(|_| round_trip(&proxy, &message) != message)
            .count();
        let c = proxy.counts();
        let faults = c.dropped.load(Ordering::Relaxed)
            + c.cut_requests.load(Ordering::Relaxed)
            + c.cut_responses.load(Ordering::Relaxed);
        assert_eq!(c.connections.load(Ordering::Relaxed), 60);
        assert!(
            damaged > 10 && damaged as u64 == faults,
            "damaged {damaged}, faults {faults}"
        );
        assert!(c.delayed.load(Ordering::Relaxed) > 0);
    }
}
