//! Bounded random-access reads for the probes: one cached window, a total read budget, no whole-file reads.

use std::fs::File;
use std::io::{self, BufRead, Read, Seek, SeekFrom};

/// Size of the cached window; the first window is the head that sniffing sees.
pub(crate) const WINDOW: usize = 64 * 1024;

/// Most bytes one probe may read from disk, head included; past it reads come back short.
pub(crate) const READ_BUDGET: u64 = 16 * 1024 * 1024;

/// Why a container parser stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The file could not be read; `probe` reports this.
    Io(io::Error),
    /// The bytes are not the format, are truncated, or ran past the read budget; what was found so far is kept.
    Malformed,
}

impl From<io::Error> for Stop {
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            Self::Malformed
        } else {
            Self::Io(err)
        }
    }
}

/// Result of a parsing step.
pub(crate) type Parse<T> = Result<T, Stop>;

/// A file seen through a cached window, with a cap on the bytes read from disk.
pub(crate) struct Source<'f> {
    file: &'f mut File,
    len: u64,
    window: Vec<u8>,
    window_start: u64,
    budget: u64,
    /// Position for the `Read`/`Seek` impls, which `imagesize` drives.
    cursor: u64,
    /// A disk error hidden from a third-party parser, to be reported afterwards.
    failure: Option<io::Error>,
}

impl<'f> Source<'f> {
    /// Wraps `file`, allowing at most `budget` bytes of disk reads.
    pub(crate) fn new(file: &'f mut File, budget: u64) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file,
            len,
            window: Vec::new(),
            window_start: 0,
            budget,
            cursor: 0,
            failure: None,
        })
    }

    /// Length of the file in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The bytes from `offset` on that are cached after making sure at least `want` (capped at
    /// [`WINDOW`]) are there, unless the file or the budget ends first.
    pub(crate) fn bytes_from(&mut self, offset: u64, want: usize) -> io::Result<&[u8]> {
        let want = want.min(WINDOW) as u64;
        let window_end = self.window_start + self.window.len() as u64;
        let covered = offset >= self.window_start && offset.saturating_add(want) <= window_end;
        if !covered {
            self.load(offset)?;
        }
        let skip = usize::try_from(offset - self.window_start).unwrap_or(usize::MAX);
        Ok(self.window.get(skip..).unwrap_or_default())
    }

    /// Exactly `N` bytes at `offset`, or [`Stop::Malformed`] when the file or budget ends first.
    pub(crate) fn array<const N: usize>(&mut self, offset: u64) -> Parse<[u8; N]> {
        let bytes = self.bytes_from(offset, N)?;
        bytes
            .get(..N)
            .and_then(|b| b.try_into().ok())
            .ok_or(Stop::Malformed)
    }

    /// Fills the window starting at `offset`, charging the budget.
    fn load(&mut self, offset: u64) -> io::Result<()> {
        self.window.clear();
        self.window_start = offset;
        let want = (WINDOW as u64)
            .min(self.len.saturating_sub(offset))
            .min(self.budget);
        if want == 0 {
            return Ok(());
        }
        self.file.seek(SeekFrom::Start(offset))?;
        (&mut *self.file).take(want).read_to_end(&mut self.window)?;
        self.budget -= self.window.len() as u64;
        Ok(())
    }

    /// Moves the `Read` cursor back to the start of the file.
    pub(crate) fn rewind_cursor(&mut self) {
        self.cursor = 0;
    }

    /// A disk error that happened while a third-party parser was reading, if any.
    pub(crate) fn take_failure(&mut self) -> Option<io::Error> {
        self.failure.take()
    }

    /// Like [`Self::bytes_from`] at the cursor, remembering a disk error for [`Self::take_failure`].
    fn at_cursor(&mut self) -> io::Result<&[u8]> {
        if let Err(err) = self.bytes_from(self.cursor, 1) {
            let kind = err.kind();
            self.failure = Some(err);
            return Err(kind.into());
        }
        self.bytes_from(self.cursor, 1)
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.at_cursor()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.cursor += n as u64;
        Ok(n)
    }
}

impl BufRead for Source<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.at_cursor()
    }

    fn consume(&mut self, amount: usize) {
        self.cursor = self.cursor.saturating_add(amount as u64);
    }
}

impl Seek for Source<'_> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.cursor.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek before start of file")
        })?;
        self.cursor = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> File {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(bytes).unwrap();
        file
    }

    #[test]
    fn windows_slide_and_stop_at_the_end() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = file_with(&data);
        let mut src = Source::new(&mut file, READ_BUDGET).unwrap();
        assert_eq!(src.len(), 200_000);
        assert_eq!(src.bytes_from(0, WINDOW).unwrap().len(), WINDOW);
        let far: [u8; 4] = src.array(150_000).unwrap();
        assert_eq!(far, data[150_000..150_004]);
        assert_eq!(src.bytes_from(199_998, 8).unwrap(), &data[199_998..]);
        assert!(matches!(src.array::<8>(199_998), Err(Stop::Malformed)));
        assert!(src.bytes_from(u64::MAX, 8).unwrap().is_empty());
    }

    #[test]
    fn the_budget_caps_disk_reads() {
        let data = vec![7u8; 3 * WINDOW];
        let mut file = file_with(&data);
        let mut src = Source::new(&mut file, WINDOW as u64 + 10).unwrap();
        assert_eq!(src.bytes_from(0, 1).unwrap().len(), WINDOW);
        assert_eq!(src.bytes_from(2 * WINDOW as u64, 1).unwrap().len(), 10);
        assert!(src.bytes_from(0, 1).unwrap().is_empty());
    }

    #[test]
    fn read_and_seek_follow_the_cursor() {
        let mut file = file_with(b"0123456789");
        let mut src = Source::new(&mut file, READ_BUDGET).unwrap();
        src.seek(SeekFrom::Start(3)).unwrap();
        let mut two = [0u8; 2];
        src.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"34");
        assert_eq!(src.seek(SeekFrom::Current(-1)).unwrap(), 4);
        assert_eq!(src.seek(SeekFrom::End(-2)).unwrap(), 8);
        assert!(src.seek(SeekFrom::Current(-100)).is_err());
        let mut rest = Vec::new();
        src.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"89");
        assert!(src.take_failure().is_none());
    }
}
