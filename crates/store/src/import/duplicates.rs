//! Finding ID numbers that occur more than once in a file, in memory that does not grow with
//! the file: (key, row) pairs are gathered in runs, each run sorted and, once there is more than
//! one, written to a temporary file; the sorted runs are merged at the end.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Half a million pairs (8 MB) are sorted in memory at a time.
const RUN: usize = 500_000;

pub(crate) struct DuplicateFinder {
    run: Vec<(u64, u64)>,
    spilled: Vec<File>,
    run_len: usize,
}

impl DuplicateFinder {
    pub fn new() -> Self {
        Self::with_run(RUN)
    }

    fn with_run(run_len: usize) -> Self {
        DuplicateFinder {
            run: Vec::new(),
            spilled: Vec::new(),
            run_len,
        }
    }

    pub fn push(&mut self, key: u64, row: u64) -> io::Result<()> {
        if self.run.capacity() == 0 {
            // One allocation of the run's full size: growing by doubling would briefly hold
            // one and a half times as much.
            self.run.reserve_exact(self.run_len);
        }
        self.run.push((key, row));
        if self.run.len() >= self.run_len {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.run.sort_unstable();
        let mut out = BufWriter::new(tempfile::tempfile()?);
        for (key, row) in self.run.drain(..) {
            out.write_all(&key.to_le_bytes())?;
            out.write_all(&row.to_le_bytes())?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.spilled.push(file);
        self.run = Vec::new();
        Ok(())
    }

    /// Every repeated key as (first row, later row), one pair per later row, by later row.
    pub fn finish(mut self) -> io::Result<Vec<(u64, u64)>> {
        let mut pairs = Vec::new();
        let mut report =
            |sorted: &mut dyn Iterator<Item = io::Result<(u64, u64)>>| -> io::Result<()> {
                let mut first: Option<(u64, u64)> = None;
                for entry in sorted {
                    let (key, row) = entry?;
                    match first {
                        Some((k, first_row)) if k == key => pairs.push((first_row, row)),
                        _ => first = Some((key, row)),
                    }
                }
                Ok(())
            };
        if self.spilled.is_empty() {
            self.run.sort_unstable();
            report(&mut self.run.drain(..).map(Ok))?;
        } else {
            if !self.run.is_empty() {
                self.spill()?;
            }
            report(&mut Merge::new(self.spilled)?)?;
        }
        pairs.sort_unstable_by_key(|&(_, later)| later);
        Ok(pairs)
    }
}

/// The k-way merge of sorted runs on disk, smallest (key, row) first.
struct Merge {
    runs: Vec<BufReader<File>>,
    heap: BinaryHeap<Reverse<(u64, u64, usize)>>,
}

impl Merge {
    fn new(files: Vec<File>) -> io::Result<Self> {
        let mut m = Merge {
            runs: files
                .into_iter()
                .map(|f| BufReader::with_capacity(1 << 16, f))
                .collect(),
            heap: BinaryHeap::new(),
        };
        for i in 0..m.runs.len() {
            m.refill(i)?;
        }
        Ok(m)
    }

    fn refill(&mut self, i: usize) -> io::Result<()> {
        let mut buf = [0u8; 16];
        match self.runs[i].read_exact(&mut buf) {
            Ok(()) => {
                let key = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
                let row = u64::from_le_bytes(buf[8..].try_into().expect("8 bytes"));
                self.heap.push(Reverse((key, row, i)));
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl Iterator for Merge {
    type Item = io::Result<(u64, u64)>;
    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((key, row, i)) = self.heap.pop()?;
        Some(self.refill(i).map(|()| (key, row)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(keys: &[u64], run: usize) -> Vec<(u64, u64)> {
        let mut f = DuplicateFinder::with_run(run);
        for (i, k) in keys.iter().enumerate() {
            f.push(*k, i as u64 + 2).unwrap();
        }
        f.finish().unwrap()
    }

    #[test]
    fn repeats_are_paired_with_their_first_row_in_memory_and_on_disk() {
        let keys = [5, 9, 5, 7, 9, 5, 1];
        let expected = vec![(2, 4), (3, 6), (2, 7)];
        assert_eq!(find(&keys, 1000), expected);
        // Runs of two: four runs on disk, merged.
        assert_eq!(find(&keys, 2), expected);
        assert!(find(&[1, 2, 3], 2).is_empty());
    }

    #[test]
    fn many_keys_across_many_runs() {
        let keys: Vec<u64> = (0..10_000u64).map(|i| (i * 7919) % 9_973).collect();
        let pairs = find(&keys, 997);
        // 10,000 keys drawn from 9,973 values: 27 repeats.
        assert_eq!(pairs.len(), 27);
        assert!(
            pairs
                .iter()
                .all(|&(a, b)| a < b && keys[(a - 2) as usize] == keys[(b - 2) as usize])
        );
    }
}
