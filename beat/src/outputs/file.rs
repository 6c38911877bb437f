//! `output.console` and `output.file`: ndjson on stdout or in a file, the
//! file rotated as Packetbeat's file output does (`rotate_every_kb`,
//! `number_of_files`: `events.ndjson`, `events.ndjson.1`, ... the oldest
//! removed).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::delivery::{Batch, Deliver, Outcome, SendError};

/// The write buffer of a rotated file (written out at the end of each
/// batch, before it is acknowledged).
const BUFFER: usize = 256 * 1024;

/// Rotation of a file output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// A file grows to at most this many bytes (an event larger than that
    /// gets a file of its own).
    pub max_bytes: u64,
    /// Files kept, the current one included.
    pub files: usize,
}

/// Writes events, one per line, to stdout or a file.
pub struct Lines {
    out: Box<dyn Write + Send>,
    /// The file's path and its rotation, for a rotated file.
    rotate: Option<(PathBuf, Rotation)>,
    /// Bytes in the current file.
    size: u64,
}

impl Lines {
    /// Writes to `out` (an open file or stdout) without rotation.
    pub fn new(out: Box<dyn Write + Send>) -> Lines {
        Lines {
            out,
            rotate: None,
            size: 0,
        }
    }

    /// Writes to `file`, opened at `path`, rotating it.
    pub fn rotated(file: File, path: PathBuf, rotation: Rotation) -> Lines {
        let size = file.metadata().map_or(0, |m| m.len());
        Lines {
            out: Box::new(BufWriter::with_capacity(BUFFER, file)),
            rotate: Some((path, rotation)),
            size,
        }
    }

    /// Moves `path` to `path.1` (`path.1` to `path.2`...), removing the
    /// oldest so that `rotation.files` remain once `path` is made again.
    pub fn shift(path: &Path, rotation: Rotation) -> io::Result<()> {
        let numbered = |n: usize| {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{n}"));
            PathBuf::from(name)
        };
        let last = rotation.files.saturating_sub(1);
        if last == 0 {
            return std::fs::remove_file(path).or_else(ignore_missing);
        }
        std::fs::remove_file(numbered(last)).or_else(ignore_missing)?;
        for n in (1..last).rev() {
            std::fs::rename(numbered(n), numbered(n + 1)).or_else(ignore_missing)?;
        }
        std::fs::rename(path, numbered(1))
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some((path, rotation)) = &self.rotate else {
            return Ok(());
        };
        self.out.flush()?;
        Lines::shift(path, *rotation)?;
        self.out = Box::new(BufWriter::with_capacity(BUFFER, File::create(path)?));
        self.size = 0;
        Ok(())
    }

    fn write_event(&mut self, line: &[u8]) -> io::Result<()> {
        if let Some((_, rotation)) = &self.rotate {
            if self.size > 0 && self.size + line.len() as u64 > rotation.max_bytes {
                self.rotate()?;
            }
        }
        self.out.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }
}

fn ignore_missing(err: io::Error) -> io::Result<()> {
    match err.kind() {
        io::ErrorKind::NotFound => Ok(()),
        _ => Err(err),
    }
}

impl Deliver for Lines {
    fn send(&mut self, batch: &Batch, todo: &[usize]) -> Result<Vec<Outcome>, SendError> {
        let fatal = |err: io::Error| SendError::Fatal(format!("writing events: {err}"));
        if self.rotate.is_none() && todo.len() == batch.len() {
            self.out.write_all(&batch.data).map_err(fatal)?;
        } else {
            for &i in todo {
                let start = if i == 0 { 0 } else { batch.ends[i - 1] + 1 };
                self.write_event(&batch.data[start..=batch.ends[i]])
                    .map_err(fatal)?;
            }
            self.out.flush().map_err(fatal)?;
        }
        Ok(vec![Outcome::Acked; todo.len()])
    }

    fn close(&mut self) -> Result<(), SendError> {
        self.out
            .flush()
            .map_err(|err| SendError::Fatal(format!("writing events: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_the_newest_files() {
        let dir = std::env::temp_dir().join(format!("rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.ndjson");
        let rotation = Rotation {
            max_bytes: 10,
            files: 3,
        };
        let mut lines = Lines::rotated(File::create(&path).unwrap(), path.clone(), rotation);
        let mut batch = Batch::default();
        for n in 0..8 {
            batch.data.extend_from_slice(format!("event{n}").as_bytes());
            batch.end_event();
        }
        let all: Vec<usize> = (0..8).collect();
        assert_eq!(lines.send(&batch, &all).unwrap().len(), 8);
        lines.close().unwrap();
        let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
        // 7 bytes a line: one a file; three files kept.
        assert_eq!(read(&path), "event7\n");
        assert_eq!(read(&dir.join("events.ndjson.1")), "event6\n");
        assert_eq!(read(&dir.join("events.ndjson.2")), "event5\n");
        assert!(!dir.join("events.ndjson.3").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
