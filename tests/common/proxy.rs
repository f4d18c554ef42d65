//! A TCP fault proxy on loopback, put between opsdeck and a server to break the path the way
//! networks break: pass, blackhole (connections stay open, nothing arrives, no RST: a dropped
//! VPN, an expired NAT entry, a hung proxy), reset (every connection gets an RST, new ones
//! too: a server that is down) and delay (every chunk arrives late: a slow link).
//!
//! A connection that lost data to a blackhole stays dead after the path comes back, as a TCP
//! flow through an expired NAT entry does: the client must notice and open a new one.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does to traffic right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Blackhole,
    Reset,
    Delay(Duration),
}

/// The proxy; dropping it closes every connection it holds.
pub struct FaultProxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    accept: JoinHandle<()>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FaultProxy {
    /// Listen on 127.0.0.1 (a free port) and forward to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let (mode, watcher) = watch::channel(Mode::Pass);
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let held = conns.clone();
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let mode = watcher.clone();
                let task = tokio::spawn(async move {
                    if *mode.borrow() == Mode::Reset {
                        return reset(client);
                    }
                    let upstream = match TcpStream::connect(upstream).await {
                        Ok(s) => s,
                        Err(_) => return reset(client),
                    };
                    relay(client, upstream, mode).await;
                });
                let mut held = held.lock().unwrap();
                held.retain(|t| !t.is_finished());
                held.push(task);
            }
        });
        FaultProxy {
            addr,
            mode,
            accept,
            conns,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        for task in self.conns.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

/// Close with an RST (no FIN): what a client sees of a server that is not there.
fn reset(client: TcpStream) {
    let _ = client.set_zero_linger();
    drop(client);
}

/// Forward both ways, applying the mode to each chunk, until either side closes.
async fn relay(mut client: TcpStream, mut upstream: TcpStream, mut mode: watch::Receiver<Mode>) {
    let mut from_client = vec![0u8; 16 * 1024];
    let mut from_upstream = vec![0u8; 16 * 1024];
    let mut dead = *mode.borrow() == Mode::Blackhole;
    loop {
        let (to_upstream, read) = tokio::select! {
            r = client.read(&mut from_client) => (true, r),
            r = upstream.read(&mut from_upstream) => (false, r),
            changed = mode.changed() => {
                if changed.is_err() || *mode.borrow() == Mode::Reset {
                    return reset(client);
                }
                continue;
            }
        };
        let n = match read {
            // The server's FIN does not cross a blackhole either.
            Ok(0) | Err(_) if dead && !to_upstream => return park(client, mode).await,
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let current = *mode.borrow();
        match current {
            Mode::Reset => return reset(client),
            Mode::Blackhole => dead = true,
            Mode::Delay(d) => tokio::time::sleep(d).await,
            Mode::Pass => {}
        }
        if dead {
            continue;
        }
        let written = if to_upstream {
            upstream.write_all(&from_client[..n]).await
        } else {
            client.write_all(&from_upstream[..n]).await
        };
        if written.is_err() {
            break;
        }
    }
    let _ = client.shutdown().await;
    let _ = upstream.shutdown().await;
}

/// Hold a dead connection open, silent, until the proxy resets or goes.
async fn park(client: TcpStream, mut mode: watch::Receiver<Mode>) {
    while mode.changed().await.is_ok() {
        if *mode.borrow() == Mode::Reset {
            break;
        }
    }
    reset(client)
}
