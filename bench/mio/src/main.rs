// SPDX-License-Identifier: MIT
//! echo_mio — the benchmark's echo server on Rust mio 0.8, the library cmio ports.
//!
//!   echo_mio --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]
//!
//! Binds (port 0 picks a free port; a Unix PATH is unlinked first and again at exit), prints
//! exactly one line `ready ADDRESS` on stdout, then echoes on one thread with one `Poll`:
//!   - a readable listener accepts every pending connection (until `WouldBlock`);
//!   - a readable connection is read into its own 64 KiB buffer and everything read is written
//!     back. By default it stops after a short read (fewer bytes than the buffer holds); with
//!     `--drain` it reads until `WouldBlock`. A partial write keeps the rest in the buffer and
//!     nothing more is read until the rest is flushed on a writable event. EOF or an error closes;
//!   - UDP: each datagram is sent back to its sender. A datagram whose send would block is
//!     dropped, as UDP may.
//!
//! SIGTERM or SIGINT write a byte to a self-pipe registered with the `Poll` (through `SourceFd`);
//! the loop then ends, every socket is dropped and it exits 0.
//!
//! mio is edge-triggered, which shapes three things:
//!   - a connection is registered READABLE when accepted and re-registered WRITABLE only while a
//!     partial write waits for room (the same scheme as bench/echo_cmio.c). WRITABLE is not left
//!     on: a Unix stream socket reports a writable edge each time the peer reads, which would cost
//!     a wake-up per round trip;
//!   - after a pending write is flushed the connection is re-registered READABLE and reads at
//!     once: data that came while it waited brought its edge then, and that edge will not come
//!     again;
//!   - the default mode's "stop after a short read" is safe for streams (a short read of a TCP or
//!     Unix stream socket has emptied its receive queue, so more data makes a new edge), but a
//!     UDP socket must always be read until `WouldBlock` (a datagram left queued would wait for
//!     the next one to arrive): `--drain` or not, every queued datagram is echoed per event,
//!     where echo_libev and echo_libevent echo one per event by default (echo_libuv up to 32).
//!
//! Nothing is allocated per event: a connection's buffer is allocated once, at accept.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::unix::io::RawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};

use mio::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

const BUF_SIZE: usize = 64 * 1024;
const SERVER: Token = Token(0);
const SIGNAL: Token = Token(1);
const FIRST_CONN: usize = 2;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Tcp,
    Unix,
    Udp,
}

// ---- signals ----------------------------------------------------------------------------------

static SIGNAL_WRITE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_signum: libc::c_int) {
    let fd = SIGNAL_WRITE_FD.load(Ordering::Relaxed);
    let byte = 1u8;
    // write(2) is async-signal-safe; a full pipe already has a wake-up in it.
    unsafe {
        libc::write(fd, &byte as *const u8 as *const libc::c_void, 1);
    }
}

/// A non-blocking pipe whose write end SIGTERM and SIGINT write to.
struct SignalPipe {
    read_fd: RawFd,
    write_fd: RawFd,
}

impl SignalPipe {
    fn install() -> io::Result<SignalPipe> {
        let mut fds = [0 as libc::c_int; 2];
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        SIGNAL_WRITE_FD.store(fds[1], Ordering::Relaxed);
        for signum in [libc::SIGTERM, libc::SIGINT] {
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                if libc::sigaction(signum, &sa, std::ptr::null_mut()) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        Ok(SignalPipe {
            read_fd: fds[0],
            write_fd: fds[1],
        })
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}

// ---- connections ------------------------------------------------------------------------------

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => registry.register(s, token, interest),
            Stream::Unix(s) => registry.register(s, token, interest),
        }
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interest: Interest,
    ) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => registry.reregister(s, token, interest),
            Stream::Unix(s) => registry.reregister(s, token, interest),
        }
    }
}

struct Conn {
    stream: Stream,
    buf: Box<[u8]>,
    /// Bytes read but not yet written back: `buf[off..len]`.
    off: usize,
    len: usize,
}

impl Conn {
    /// Writes `buf[off..len]`: `Ok(true)` when all is written, `Ok(false)` if some is left.
    fn flush(&mut self) -> io::Result<bool> {
        while self.off < self.len {
            match self.stream.write(&self.buf[self.off..self.len]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.off += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.off = 0;
        self.len = 0;
        Ok(true)
    }

    /// Reads and echoes until a short read (or `WouldBlock` with `drain`), or until a write is
    /// left pending, which re-registers the connection WRITABLE. `Err` means close.
    fn echo(&mut self, registry: &Registry, token: Token, drain: bool) -> io::Result<()> {
        loop {
            match self.stream.read(&mut self.buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.off = 0;
                    self.len = n;
                    if !self.flush()? {
                        return self.stream.reregister(registry, token, Interest::WRITABLE);
                    }
                    if n < BUF_SIZE && !drain {
                        return Ok(()); // a short read: the socket is empty, new data brings an edge
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Handles one event for the connection registered as `token`; `Err` means close.
    fn ready(&mut self, registry: &Registry, token: Token, drain: bool) -> io::Result<()> {
        if self.off < self.len {
            // Registered WRITABLE: flush first, read nothing until the rest is out.
            if !self.flush()? {
                return Ok(()); // the next writable edge resumes
            }
            self.stream
                .reregister(registry, token, Interest::READABLE)?;
            // Data that came while we waited for room brought its edge then: read it now.
        }
        self.echo(registry, token, drain)
    }
}

/// The open connections, indexed by token - FIRST_CONN; freed slots are reused.
struct Conns {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
}

impl Conns {
    fn insert(&mut self, poll: &Poll, stream: Stream) -> io::Result<()> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let mut conn = Conn {
            stream,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            off: 0,
            len: 0,
        };
        let token = Token(FIRST_CONN + slot);
        if let Err(e) = conn
            .stream
            .register(poll.registry(), token, Interest::READABLE)
        {
            self.free.push(slot);
            return Err(e);
        }
        self.slots[slot] = Some(conn);
        Ok(())
    }

    fn ready(&mut self, registry: &Registry, token: Token, drain: bool) {
        let slot = token.0 - FIRST_CONN;
        if let Some(Some(conn)) = self.slots.get_mut(slot) {
            if conn.ready(registry, token, drain).is_err() {
                // Dropping the stream closes it, which also takes it out of the epoll set.
                self.slots[slot] = None;
                self.free.push(slot);
            }
        }
    }
}

// ---- the server -------------------------------------------------------------------------------

enum Server {
    Tcp(TcpListener),
    Unix(UnixListener),
    Udp(UdpSocket),
}

fn accept_all(server: &Server, poll: &Poll, conns: &mut Conns) {
    loop {
        let accepted = match server {
            Server::Tcp(l) => l.accept().map(|(s, _)| Stream::Tcp(s)),
            Server::Unix(l) => l.accept().map(|(s, _)| Stream::Unix(s)),
            Server::Udp(_) => unreachable!(),
        };
        match accepted {
            Ok(stream) => {
                if let Err(e) = conns.insert(poll, stream) {
                    eprintln!("echo_mio: register: {}", e);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e)
                if e.kind() == io::ErrorKind::Interrupted
                    || e.kind() == io::ErrorKind::ConnectionAborted => {}
            Err(e) => {
                eprintln!("echo_mio: accept: {}", e);
                return;
            }
        }
    }
}

fn echo_datagrams(socket: &UdpSocket, buf: &mut [u8]) {
    loop {
        match socket.recv_from(buf) {
            Ok((n, peer)) => {
                let _ = socket.send_to(&buf[..n], peer); // WouldBlock: dropped
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(_) => {} // EINTR, or an error reported for an earlier send: read on
        }
    }
}

fn bind(mode: Mode, addr: &str) -> io::Result<(Server, String)> {
    let inet = || -> io::Result<SocketAddr> {
        addr.parse().map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "bad address (want HOST:PORT)")
        })
    };
    Ok(match mode {
        Mode::Tcp => {
            let l = TcpListener::bind(inet()?)?;
            let local = l.local_addr()?.to_string();
            (Server::Tcp(l), local)
        }
        Mode::Udp => {
            let s = UdpSocket::bind(inet()?)?;
            let local = s.local_addr()?.to_string();
            (Server::Udp(s), local)
        }
        Mode::Unix => {
            let _ = std::fs::remove_file(addr);
            (Server::Unix(UnixListener::bind(addr)?), addr.to_string())
        }
    })
}

fn run(mode: Mode, addr: &str, drain: bool) -> io::Result<()> {
    let mut poll = Poll::new()?;
    let signals = SignalPipe::install()?;
    poll.registry()
        .register(&mut SourceFd(&signals.read_fd), SIGNAL, Interest::READABLE)?;

    let (mut server, local) = bind(mode, addr)?;
    match &mut server {
        Server::Tcp(l) => poll.registry().register(l, SERVER, Interest::READABLE)?,
        Server::Unix(l) => poll.registry().register(l, SERVER, Interest::READABLE)?,
        Server::Udp(s) => poll.registry().register(s, SERVER, Interest::READABLE)?,
    }
    {
        let mut out = io::stdout().lock();
        writeln!(out, "ready {}", local)?;
        out.flush()?;
    }

    let mut conns = Conns {
        slots: Vec::new(),
        free: Vec::new(),
    };
    let mut dgram = vec![0u8; BUF_SIZE];
    let mut events = Events::with_capacity(1024);
    'poll: loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue; // the signal's byte is in the pipe: the next poll returns it
            }
            return Err(e);
        }
        for event in events.iter() {
            match event.token() {
                SIGNAL => break 'poll,
                SERVER => match &server {
                    Server::Udp(s) => echo_datagrams(s, &mut dgram),
                    _ => accept_all(&server, &poll, &mut conns),
                },
                token => conns.ready(poll.registry(), token, drain),
            }
        }
    }

    drop(conns);
    drop(server);
    if mode == Mode::Unix {
        let _ = std::fs::remove_file(addr);
    }
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!("usage: echo_mio --tcp HOST:PORT | --unix PATH | --udp HOST:PORT [--drain]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut target: Option<(Mode, String)> = None;
    let mut drain = false;
    let mut i = 0;
    while i < args.len() {
        let mode = match args[i].as_str() {
            "--drain" => {
                drain = true;
                i += 1;
                continue;
            }
            "--tcp" => Mode::Tcp,
            "--unix" => Mode::Unix,
            "--udp" => Mode::Udp,
            _ => return usage(),
        };
        if target.is_some() || i + 1 >= args.len() {
            return usage();
        }
        target = Some((mode, args[i + 1].clone()));
        i += 2;
    }
    let (mode, addr) = match target {
        Some(t) => t,
        None => return usage(),
    };
    match run(mode, &addr, drain) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_mio: {}: {}", addr, e);
            ExitCode::FAILURE
        }
    }
}
