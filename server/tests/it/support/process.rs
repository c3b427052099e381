//! Real binaries as child processes: the portal (`ecm-server`) and the MyPay simulator, each with
//! its output appended to a log file (the crash and shutdown tests).

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

/// A child process with its output appended to a log file; SIGKILLed when dropped.
pub struct Process {
    program: PathBuf,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Process {
    pub fn new(program: PathBuf, args: Vec<String>, envs: Vec<(String, String)>, dir: &Path, log: &str) -> Process {
        Process { program, args, envs, dir: dir.to_path_buf(), log: dir.join(log), child: None }
    }

    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.program.display());
        let log = OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(&self.program)
            .args(&self.args)
            .env_clear()
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.program.display()));
        self.child = Some(child);
    }

    /// SIGKILL (std's `Child::kill` on Unix) and reap.
    pub fn sigkill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the process to stop (SIGTERM), as a service manager does.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill(1) runs");
            assert!(status.success(), "kill -TERM {}", child.id());
        }
    }

    /// Waits up to `limit` for the process to exit; its status, or `None` if it still runs.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.exited() {
                self.child = None;
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// The whole log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = file.seek(SeekFrom::Start(len.saturating_sub(4000)));
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Where a server started on port 0 listens: the `addr=` field of its first log line that
    /// contains `marker` (the process must not exit meanwhile).
    pub async fn wait_listening(&mut self, marker: &str) -> std::net::SocketAddr {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                panic!(
                    "{} exited during start-up ({status}); log {}:\n{}",
                    self.program.display(),
                    self.log.display(),
                    self.log_tail()
                );
            }
            if let Some(addr) = self.log().lines().filter(|line| line.contains(marker)).find_map(addr_field) {
                return addr;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} did not say where it listens after 60 s:\n{}",
                self.program.display(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `GET {base}{path}` answers 200 (the process must not exit meanwhile).
    pub async fn wait_ready(&mut self, http: &reqwest::Client, url: &str) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                panic!(
                    "{} exited during start-up ({status}); log {}:\n{}",
                    self.program.display(),
                    self.log.display(),
                    self.log_tail()
                );
            }
            if let Ok(r) = http.get(url).send().await {
                if r.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{} not ready after 60 s:\n{}",
                self.program.display(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// The `addr=IP:PORT` field of a `tracing` log line, with or without colours.
fn addr_field(line: &str) -> Option<std::net::SocketAddr> {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An ANSI escape: `ESC [ parameters letter`.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let (_, rest) = plain.split_once(" addr=")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// A port that was free a moment ago. Only for a server that must come back on the same
/// address after a restart (the crash test, which runs alone): a port asked of the kernel now
/// may be handed to another listener of this process before the child binds it, so a server
/// that starts once is given port 0 and says where it listens ([`Process::wait_listening`]).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn base_env() -> Vec<(String, String)> {
    let mut envs = vec![("RUST_LOG".to_string(), "info,sqlx=warn,tower_http=warn".to_string())];
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let Ok(value) = std::env::var(key) {
            envs.push((key.to_string(), value));
        }
    }
    envs
}
