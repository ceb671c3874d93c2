//! A server process the benchmark started: its output goes to `<dir>/<name>.log`, and it is
//! killed (SIGKILL, by PID) and its temp dir removed when the guard drops — also on error,
//! panic or Ctrl-C (the binaries drop their futures on Ctrl-C).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running child process with its own temp dir and log.
pub struct Process {
    name: &'static str,
    child: Child,
    dir: PathBuf,
    /// Where it listens: `http://127.0.0.1:PORT` (`redis://…` for Redis).
    pub url: String,
}

impl Process {
    /// Spawns `command` (stdin closed, stdout and stderr to `<dir>/<name>.log`); `dir` is
    /// removed when the process is dropped, or now if it cannot start.
    pub fn spawn(
        name: &'static str,
        mut command: Command,
        dir: PathBuf,
        url: String,
    ) -> Result<Self, String> {
        let started = log_file(&dir, name).and_then(|log| {
            let log_err = log.try_clone().map_err(|e| format!("{name} log: {e}"))?;
            command
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .spawn()
                .map_err(|e| format!("start {name} ({:?}): {e}", command.get_program()))
        });
        match started {
            Ok(child) => Ok(Self {
                name,
                child,
                dir,
                url,
            }),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                Err(e)
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Errors (with the end of its log) when the process has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); its log ends with:\n{}",
                self.name,
                self.log_tail(30)
            )),
            Err(e) => Err(format!("cannot check {}: {e}", self.name)),
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.log", self.name))).unwrap_or_default()
    }

    /// The last `lines` lines of its log.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = self.log();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Lines logged so far.
    pub fn log_lines(&self) -> usize {
        self.log().lines().count()
    }

    /// Waits until `port` on loopback accepts TCP connections.
    pub async fn wait_port(&mut self, port: u16, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            self.check_alive()?;
            if Instant::now() >= deadline {
                return Err(format!(
                    "{} did not listen on {port} within {limit:?}",
                    self.name
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

fn log_file(dir: &Path, name: &str) -> Result<File, String> {
    let path = dir.join(format!("{name}.log"));
    File::create(&path).map_err(|e| format!("create {}: {e}", path.display()))
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
