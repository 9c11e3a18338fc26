//! Every file BioXen reads or writes goes through here; the engine opens none.
//!
//! **Inputs** are read only if they are regular files (after following symlinks), opened
//! without blocking (a FIFO swapped in after the check cannot hang a read), and read up to
//! a bound counted in bytes actually read: a file system's idea of a size is not trusted
//! (`/dev/zero` and `/proc` files say 0).
//!
//! **Outputs** are checked before any work starts ([`destination`]), then written one of
//! two ways. A regular file (or a path that does not exist yet) is written under a
//! temporary name beside it, synced and renamed, so a file under its final name is always
//! whole; a symlink is followed and its target replaced. A device, a pipe, `-` (standard
//! output) or anything under `/dev` or `/proc` is written straight through, since
//! replacing it would turn `/dev/null` into a file.
//!
//! **Temporaries** never outlive a failure: they are removed when their writer is dropped
//! without being committed (an error, a panic unwinding), by the signal handler on
//! SIGINT, SIGTERM or SIGHUP ([`install_cleanup`]), and, after a crash or `kill -9`, the
//! next time an output is written beside them.

use crate::error::{Error, Result};
use bioxen_engine::checkpoint;
use bioxen_engine::codec::FormatError;
use bioxen_engine::genbank::{self, GENBANK_BYTES_MAX};
use bioxen_engine::genome::Genome;
use bioxen_engine::package::{self, Package};
use bioxen_engine::scenario::{self, GenomeFileError, GenomeFiles, Scenario, ScenarioError};
use bioxen_engine::sim::Simulation;
use bioxen_engine::trace::TraceReader;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Largest scenario file read: scenarios are hand-written or generated lists of VMs;
/// 64 MiB holds the most VMs a scenario may have.
pub const SCENARIO_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// The suffix of every temporary file: `.<name>.<pid>.bioxen-tmp`.
const TEMPORARY_SUFFIX: &str = ".bioxen-tmp";

/// What a scratch file adds to its output's name: `.<name>.spool.<pid>.bioxen-tmp`.
const SPOOL_INFIX: &str = ".spool";

// ---------------------------------------------------------------------------- inputs

/// Why a path is not a readable input, in words.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("is a directory")
    } else if t.is_fifo() {
        Some("is a FIFO")
    } else if t.is_char_device() || t.is_block_device() {
        Some("is a device")
    } else if t.is_socket() {
        Some("is a socket")
    } else {
        Some("is not a regular file")
    }
}

/// Opens an input: a regular file (after symlinks), opened without blocking and checked
/// again once open.
pub fn open_input(path: &Path) -> io::Result<File> {
    let refuse = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{why}; bioxen reads regular files"));
    if let Some(why) = not_regular(&std::fs::metadata(path)?) {
        return Err(refuse(why));
    }
    // O_NONBLOCK: if the path became a FIFO since the check, opening it cannot block; for
    // a regular file the flag changes nothing.
    let file = OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    match not_regular(&file.metadata()?) {
        Some(why) => Err(refuse(why)),
        None => Ok(file),
    }
}

/// Reads a whole input of at most `max` bytes, counted as they are read.
pub fn read_input(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_input(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("is larger than the {max} bytes accepted")));
    }
    Ok(bytes)
}

/// Genome files named by a scenario, relative to the scenario's directory.
pub struct GenomeDir {
    base: PathBuf,
}

impl GenomeDir {
    /// Genome files relative to `base`.
    pub fn new(base: &Path) -> GenomeDir {
        // A scenario named without a directory (`s.toml`) has `""` for one: the current.
        let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
        GenomeDir { base: base.to_path_buf() }
    }
}

impl GenomeFiles for GenomeDir {
    fn genome(&mut self, path: &str) -> std::result::Result<Genome, GenomeFileError> {
        load_genome(&self.base.join(path), path)
    }

    fn expression(&mut self, path: &str) -> std::result::Result<String, GenomeFileError> {
        let bytes =
            read_input(&self.base.join(path), EXPRESSION_BYTES_MAX).map_err(|e| unreadable("expression", path, e))?;
        Ok(String::from_utf8(bytes).map_err(|_| format!("expression file `{path}` is not UTF-8 text"))?)
    }

    /// `packages/<name>.toml` beside the scenario if there is one, else the shipped package.
    fn package(&mut self, name: &str) -> std::result::Result<Package, String> {
        find_package(&self.base, name)
    }

    /// A timeline script's file, relative to the scenario and inside its directory tree
    /// (as packages are): a scenario cannot make BioXen read, or echo, any file it likes.
    fn script(&mut self, path: &str) -> std::result::Result<String, String> {
        let inside = || format!("script file `{path}` must be inside the scenario's directory");
        let relative = Path::new(path);
        if relative.is_absolute() || relative.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(format!("{} (a relative path without `..`)", inside()));
        }
        let full = self.base.join(relative);
        // A symlink out of the tree is refused as a path out of it would be.
        if let (Ok(base), Ok(resolved)) = (std::fs::canonicalize(&self.base), std::fs::canonicalize(&full))
            && !resolved.starts_with(&base)
        {
            return Err(format!("{} (it links out of it)", inside()));
        }
        let bytes =
            read_input(&full, SCRIPT_BYTES_MAX).map_err(|e| format!("cannot read script file `{path}`: {e}"))?;
        String::from_utf8(bytes).map_err(|_| format!("script file `{path}` is not UTF-8 text"))
    }
}

/// The most bytes a script file may have (the gate's bound on a timeline script).
pub const SCRIPT_BYTES_MAX: u64 = bioxen_engine::scenario::limits::SCRIPT_BYTES_MAX as u64;

/// Reads a UTF-8 text input of at most `max` bytes; a missing, oversized or non-UTF-8 file
/// is bad input naming it.
pub fn read_text(path: &Path, max: u64) -> crate::Result<String> {
    let bytes = read_input(path, max).map_err(|e| crate::Error::BadInput(format!("{}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|_| crate::Error::BadInput(format!("{}: not UTF-8 text", path.display())))
}

/// The package called `name` for a run whose scenario holds `held`: the one it holds (so a
/// run never sees two packages of one name), else `<dir>/packages/<name>.toml` when there
/// is a `dir`, else the shipped one.
pub fn package_for(held: &[Package], dir: Option<&Path>, name: &str) -> std::result::Result<Package, String> {
    if let Some(p) = held.iter().find(|p| p.name == name) {
        return Ok(p.clone());
    }
    match dir {
        Some(dir) => find_package(dir, name),
        None => package::shipped(name).ok_or_else(|| bioxen_engine::scenario::unknown_package(name)),
    }
}

/// The names of the packages in `<dir>/packages/` (the stems of its `.toml` files), sorted.
pub fn package_names(dir: &Path) -> crate::Result<Vec<String>> {
    let packages = dir.join("packages");
    let listing =
        std::fs::read_dir(&packages).map_err(|e| crate::Error::BadInput(format!("{}: {e}", packages.display())))?;
    let mut names: Vec<String> = listing
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|x| x == "toml"))
        .filter_map(|path| path.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

/// The most bytes a package file may have (a handful of genes take a few kB).
pub const PACKAGE_BYTES_MAX: u64 = 1024 * 1024;

/// The package called `name`: `<dir>/packages/<name>.toml` if that file exists (a package
/// of one's own, or an edited copy of a shipped one), else the one shipped with BioXen.
/// A name is a plain file stem (letters, digits, `_`, `-`), never a path.
pub fn find_package(dir: &Path, name: &str) -> std::result::Result<Package, String> {
    let plain =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plain {
        return Err(bioxen_engine::scenario::unknown_package(name));
    }
    let path = dir.join("packages").join(format!("{name}.toml"));
    if path.exists() {
        let written = path.display().to_string();
        let bytes =
            read_input(&path, PACKAGE_BYTES_MAX).map_err(|e| format!("cannot read package `{written}`: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("package `{written}` is not UTF-8 text"))?;
        let package = package::parse(&text, &written).map_err(|e| e.to_string())?;
        if package.name != name {
            return Err(format!("{written}: the package is called `{}`, not `{name}`", package.name));
        }
        return Ok(package);
    }
    package::shipped(name).ok_or_else(|| bioxen_engine::scenario::unknown_package(name))
}

/// The most bytes an expression file may have (a CSV row per gene, at most 65,536 genes).
pub const EXPRESSION_BYTES_MAX: u64 = 16 * 1024 * 1024;

/// Reads and parses the GenBank annotation at `full`, which the user named `written`.
pub fn load_genome(full: &Path, written: &str) -> std::result::Result<Genome, GenomeFileError> {
    let bytes = read_input(full, GENBANK_BYTES_MAX).map_err(|e| unreadable("genome", written, e))?;
    Ok(genbank::parse(&bytes, written).map_err(|e| e.to_string())?)
}

/// A genome or expression file that could not be read, keeping the I/O error's kind.
fn unreadable(what: &str, written: &str, e: std::io::Error) -> GenomeFileError {
    GenomeFileError { kind: Some(e.kind()), message: format!("cannot read {what} file `{written}`: {e}") }
}

/// Reads and parses a scenario file; its `genome_file`s are relative to it. A placement
/// table is checked and left out (see [`load_scenario_placed`]).
pub fn load_scenario(path: &Path) -> std::result::Result<Scenario, ScenarioError> {
    load_scenario_placed(path).map(|(s, _)| s)
}

/// Reads and parses a scenario file, and its placement table if it has one
/// ([`crate::placement`]), which the engine never sees.
pub fn load_scenario_placed(
    path: &Path,
) -> std::result::Result<(Scenario, Option<crate::placement::PlacementTable>), ScenarioError> {
    let file = path.display().to_string();
    let fail = |message: String| ScenarioError { file: file.clone(), where_: "1:1".into(), message };
    let bytes = read_input(path, SCENARIO_BYTES_MAX).map_err(|e| fail(format!("cannot read scenario: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| fail(format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to())))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let (text, placement) = crate::placement::strip(&text, &file)?;
    let s = scenario::parse(&text, &file, &mut GenomeDir::new(base))?;
    report_expression(&s);
    Ok((s, placement))
}

/// Says, for each genome given measured expression, how many of its protein genes the
/// measurements cover (the others keep the default weight).
fn report_expression(s: &Scenario) {
    for g in &s.genomes {
        let Some(e) = &g.expression else { continue };
        let protein: Vec<usize> =
            (0..g.genes.len()).filter(|&i| g.genes[i].kind == bioxen_engine::genome::GeneKind::Protein).collect();
        let measured = protein.iter().filter(|&&i| e[i].is_some()).count();
        tracing::info!(
            "{}: measured expression for {measured} of {} protein genes; {} keep the default weight",
            g.origin,
            protein.len(),
            protein.len() - measured
        );
    }
}

/// Opens a trace and reads its header and scenario.
pub fn open_trace(path: &Path) -> std::result::Result<TraceReader<BufReader<File>>, FormatError> {
    let what = path.display().to_string();
    let file = open_input(path).map_err(|source| FormatError::Io { what: what.clone(), source })?;
    TraceReader::new(BufReader::new(file), &what)
}

/// Reads a checkpoint and rebuilds the simulation at its tick.
pub fn read_checkpoint(path: &Path) -> std::result::Result<Simulation, checkpoint::CheckpointError> {
    let what = path.display().to_string();
    let file = open_input(path).map_err(|source| FormatError::Io { what: what.clone(), source })?;
    checkpoint::read(BufReader::new(file), &what)
}

/// True when `a` and `b` are the same existing file (same device and inode).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

// --------------------------------------------------------------------------- outputs

/// Where an output goes, decided before any work starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (`-`).
    Stdout,
    /// A device, pipe or socket, written straight through.
    Through(PathBuf),
    /// A regular file (symlinks followed), replaced atomically.
    Replace(PathBuf),
}

impl Destination {
    /// The path written, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Destination::Stdout => None,
            Destination::Through(p) | Destination::Replace(p) => Some(p),
        }
    }

    /// How errors name it: its path, or `standard output`.
    pub fn name(&self) -> String {
        self.path().map_or_else(|| "standard output".to_string(), |p| p.display().to_string())
    }
}

/// Decides where an output named `path` goes, refusing what cannot be written: a
/// directory, a path whose directory does not exist, a symlink loop. `flag` names the
/// argument in errors.
pub fn destination(path: &Path, flag: &str) -> Result<Destination> {
    let bad = |why: String| Error::BadInput(format!("{flag} {}: {why}", path.display()));
    // Our own standard output, however it is named: opening /dev/stdout afresh would give
    // a new file position (and no O_APPEND), overwriting what `>>` meant to append to.
    if ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].iter().any(|name| path.as_os_str() == *name) {
        return Ok(Destination::Stdout);
    }
    if path.starts_with("/dev") || path.starts_with("/proc") {
        return Ok(Destination::Through(path.to_path_buf()));
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(bad("is a directory".into())),
        Ok(meta) if !meta.is_file() => return Ok(Destination::Through(path.to_path_buf())),
        Ok(_) => return Ok(Destination::Replace(std::fs::canonicalize(path).map_err(|e| bad(e.to_string()))?)),
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(bad(e.to_string())),
        Err(_) => {}
    }
    // Not there yet: a dangling symlink is written where it points; either way the
    // directory must exist.
    let target = match std::fs::read_link(path) {
        Ok(link) => path.parent().unwrap_or(Path::new(".")).join(link),
        Err(_) => path.to_path_buf(),
    };
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(Destination::Replace(target)),
        Ok(_) => Err(bad(format!("{} is not a directory", dir.display()))),
        Err(e) => Err(bad(format!("cannot write in {}: {e}", dir.display()))),
    }
}

/// Refuses an output (`flag given`, going to `dest`) that would overwrite one of the
/// command's inputs.
pub fn refuse_overwriting(dest: &Destination, flag: &str, given: &Path, inputs: &[&Path]) -> Result<()> {
    if let Some(out) = dest.path()
        && let Some(input) = inputs.iter().find(|input| same_file(out, input))
    {
        return Err(Error::BadInput(format!(
            "{flag} {} is the input {}: refusing to overwrite it",
            given.display(),
            input.display()
        )));
    }
    Ok(())
}

/// An output being written: committed with [`Output::commit`]; dropped uncommitted, it
/// leaves nothing behind (its temporary is removed).
pub struct Output {
    sink: Sink,
    /// The first write that failed, kept so that the error names this output whatever
    /// wrote to it (an encoder knows only that its writer failed).
    failed: Option<io::Error>,
}

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Through(BufWriter<File>, PathBuf),
    Replace { out: BufWriter<File>, temporary: Temporary, path: PathBuf },
}

impl Output {
    /// Starts writing to `dest`.
    pub fn create(dest: &Destination) -> Result<Output> {
        let sink = match dest {
            Destination::Stdout => Sink::Stdout(BufWriter::new(io::stdout())),
            Destination::Through(p) => {
                let file = OpenOptions::new().write(true).open(p).map_err(|e| Error::io(p.display(), e))?;
                Sink::Through(BufWriter::new(file), p.clone())
            }
            Destination::Replace(p) => {
                let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                remove_stale_temporaries(dir, Some(&name));
                let temporary = Temporary::new(temporary_path(p));
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&temporary.path)
                    .map_err(|e| Error::io(p.display(), e))?;
                Sink::Replace { out: BufWriter::with_capacity(1 << 20, file), temporary, path: p.clone() }
            }
        };
        Ok(Output { sink, failed: None })
    }

    /// Keeps the first write error seen (its kind and words: an `io::Error` is not `Clone`).
    fn noted<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && self.failed.is_none()
        {
            self.failed = Some(io::Error::new(e.kind(), e.to_string()));
        }
        result
    }

    /// Finishes the output: flushes it and, for a regular file, syncs it and moves it to
    /// its final name.
    pub fn commit(self) -> Result<()> {
        match self.sink {
            Sink::Stdout(mut w) => w.flush().map_err(|e| Error::io("standard output", e)),
            Sink::Through(mut w, p) => w.flush().map_err(|e| Error::io(p.display(), e)),
            Sink::Replace { out, temporary, path } => {
                let file = out.into_inner().map_err(|e| Error::io(path.display(), e.into_error()))?;
                file.sync_all().map_err(|e| Error::io(path.display(), e))?;
                std::fs::rename(&temporary.path, &path).map_err(|e| Error::io(path.display(), e))?;
                temporary.kept();
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match &mut self.sink {
            Sink::Stdout(w) => w.write(buf),
            Sink::Through(w, _) => w.write(buf),
            Sink::Replace { out, .. } => out.write(buf),
        };
        self.noted(result)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::Through(w, _) => w.flush(),
            Sink::Replace { out, .. } => out.flush(),
        };
        self.noted(result)
    }
}

/// Writes `dest` in one go with `fill`; nothing is left under the final name unless
/// `fill` succeeds.
pub fn write_output(dest: &Destination, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let mut out = Output::create(dest)?;
    if let Err(e) = fill(&mut out) {
        // An I/O error of the kind a write to this output failed with is that write's:
        // named by this output's path, whatever `fill` called it. Any other error (an
        // input that could not be read, say) stays as it is.
        return Err(match (e, out.failed.take()) {
            (Error::Io { source, .. }, Some(io)) if source.kind() == io.kind() => Error::io(dest.name(), io),
            (e, _) => e,
        });
    }
    out.commit()
}

/// Writes a whole output at `path` by the one output rule ([`destination`]): a regular
/// file (or a new one, or a symlink's target) atomically, a device or pipe straight
/// through; a directory or a missing directory is refused before anything is written.
pub fn write_file(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    write_output(&destination(path, "output")?, fill)
}

/// Opens (creating it if absent) a log that rows are appended to one write at a time, so a
/// crash leaves whole rows and at most one torn last line (a sweep's `results.jsonl`). An
/// existing path must be a regular file.
pub fn append_log(path: &Path) -> Result<File> {
    if let Ok(meta) = std::fs::metadata(path)
        && let Some(why) = not_regular(&meta)
    {
        return Err(Error::BadInput(format!("{}: {why}", path.display())));
    }
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io(path.display(), e))
}

/// A scratch file beside an output (a session's trace, spooled until its header is
/// known): hidden, removed when it (or the reader it becomes) is dropped, and on a signal
/// like every temporary.
pub struct Scratch {
    out: BufWriter<File>,
    temporary: Temporary,
}

impl Scratch {
    /// A new scratch file beside `path`.
    pub fn beside(path: &Path) -> Result<Scratch> {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        remove_stale_temporaries(dir, Some(&name));
        let temporary = Temporary::new(
            path.with_file_name(format!(".{name}{SPOOL_INFIX}.{}{TEMPORARY_SUFFIX}", std::process::id())),
        );
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temporary.path)
            .map_err(|e| Error::io(path.display(), e))?;
        Ok(Scratch { out: BufWriter::new(file), temporary })
    }

    /// Everything written, read from the start.
    pub fn reader(self) -> Result<ScratchReader> {
        let what = self.temporary.path.display().to_string();
        let mut file = self.out.into_inner().map_err(|e| Error::io(&what, e.into_error()))?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0)).map_err(|e| Error::io(&what, e))?;
        Ok(ScratchReader { input: BufReader::new(file), _temporary: self.temporary })
    }
}

impl Write for Scratch {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A [`Scratch`] file being read back; removed when dropped.
pub struct ScratchReader {
    input: BufReader<File>,
    _temporary: Temporary,
}

impl Read for ScratchReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

// ------------------------------------------------------------------------ temporaries

/// Temporaries of this process not yet committed or removed: what the signal handler
/// removes.
static TEMPORARIES: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn registry() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary file: removed when dropped, unless [`Temporary::kept`].
struct Temporary {
    path: PathBuf,
}

impl Temporary {
    fn new(path: PathBuf) -> Temporary {
        registry().insert(path.clone());
        Temporary { path }
    }

    /// It has been renamed into place: nothing to remove.
    fn kept(self) {
        registry().remove(&self.path);
        std::mem::forget(self);
    }
}

impl Drop for Temporary {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        registry().remove(&self.path);
    }
}

/// The temporary name `path` is written under: hidden, beside it, naming this process.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}{TEMPORARY_SUFFIX}", std::process::id()))
}

/// Removes temporaries in `dir` left by processes that are gone (a crash, `kill -9`):
/// those of output `name` only (its temporary and its spool), or all of them. Another
/// running process's temporaries are left alone (its pid is in the name; Linux's `/proc`
/// says whether it lives).
pub fn remove_stale_temporaries(dir: &Path, name: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix('.').and_then(|r| r.strip_suffix(TEMPORARY_SUFFIX)) else { continue };
        let Some((stem, pid)) = rest.rsplit_once('.') else { continue };
        // An output's own temporary, or the spool of its records (a scripted run's trace).
        if name.is_some_and(|n| n != stem && stem.strip_suffix(SPOOL_INFIX) != Some(n)) {
            continue;
        }
        let dead = pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id()
                && Path::new("/proc/self").exists()
                && !Path::new("/proc").join(pid.to_string()).exists()
        });
        if dead {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes every temporary of this process (on a signal, or a panic).
fn remove_temporaries() {
    for path in registry().iter() {
        let _ = std::fs::remove_file(path);
    }
}

/// Work that must run before this process dies of a signal (tearing down the XCP-ng VMs it
/// made), each under its key; each bounds its own time.
type SignalWork = std::sync::Arc<dyn Fn() + Send + Sync>;
static ON_SIGNAL: Mutex<std::collections::BTreeMap<String, SignalWork>> = Mutex::new(std::collections::BTreeMap::new());

/// Runs `work` if this process is stopped by SIGINT, SIGTERM or SIGHUP (once
/// [`install_cleanup`] is installed), under `key`: a second registration under the same
/// key replaces the first.
pub fn on_signal(key: &str, work: impl Fn() + Send + Sync + 'static) {
    ON_SIGNAL.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), std::sync::Arc::new(work));
}

/// Forgets the work registered under `key`.
pub fn forget_on_signal(key: &str) {
    ON_SIGNAL.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
}

fn run_signal_work() {
    let work: Vec<SignalWork> = ON_SIGNAL.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
    for w in work {
        w();
    }
}

/// Installs, once, what removes this process's temporaries when it stops abnormally: a
/// panic hook (before the default one prints) and a thread that, on SIGINT, SIGTERM or
/// SIGHUP, removes them and then dies of that signal as it would have (exit status
/// 128 + n, as shells expect).
pub fn install_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            remove_temporaries();
            default_hook(info);
        }));
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            let _ = std::thread::Builder::new().name("bioxen-signals".into()).spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    remove_temporaries();
                    run_signal_work();
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                    std::process::exit(128 + signal);
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A genome file that cannot be read keeps its I/O error's kind (a missing file is not a
    /// forbidden one); one that is read but is not GenBank has none.
    #[test]
    fn genome_file_errors_keep_the_io_kind() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = GenomeDir::new(dir.path());
        let missing = files.genome("absent.gb").unwrap_err();
        assert_eq!(missing.kind, Some(std::io::ErrorKind::NotFound), "{missing}");
        assert!(missing.message.contains("absent.gb"), "{missing}");
        std::fs::write(dir.path().join("junk.gb"), "not genbank").unwrap();
        assert_eq!(files.genome("junk.gb").unwrap_err().kind, None);
        assert_eq!(files.expression("absent.csv").unwrap_err().kind, Some(std::io::ErrorKind::NotFound));
    }

    /// A write that fails is named by its output, whatever the encoder called it; an error
    /// that is no write's (an input that could not be read) is left as it was.
    #[test]
    fn a_failed_write_is_named_by_its_output_and_nothing_else_is_renamed() {
        let full = Destination::Through("/dev/full".into());
        let write = |w: &mut dyn Write| {
            w.write_all(&[0; 1 << 16])?;
            w.flush()
        };
        let e = write_output(&full, |w| write(w).map_err(|e| Error::io("the encoder", e))).unwrap_err();
        assert_eq!(e.to_string(), "/dev/full: No space left on device (os error 28)");
        let e = write_output(&full, |w| {
            let _ = write(w); // a writer that ignores its error, then fails on its input
            Err(Error::io("in.bxtr", io::Error::from(io::ErrorKind::UnexpectedEof)))
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("in.bxtr: "), "{e}");
        let e = write_output(&full, |w| {
            let _ = write(w);
            Err(Error::BadInput("in.bxtr: corrupt".into()))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "in.bxtr: corrupt");
    }

    #[test]
    fn destinations_are_classified_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert_eq!(destination(Path::new("-"), "--out").unwrap(), Destination::Stdout);
        assert_eq!(destination(Path::new("/dev/stdout"), "--out").unwrap(), Destination::Stdout);
        assert_eq!(destination(Path::new("/dev/null"), "--out").unwrap(), Destination::Through("/dev/null".into()));
        assert!(destination(d, "--out").is_err(), "a directory is not an output");
        assert!(destination(&d.join("no/such/dir/x.csv"), "--out").is_err());
        let real = d.join("real.csv");
        std::fs::write(&real, "old").unwrap();
        let link = d.join("link.csv");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let Destination::Replace(target) = destination(&link, "--out").unwrap() else { panic!("not replaced") };
        assert!(same_file(&target, &real), "a symlink is followed, not replaced");
        write_output(&Destination::Replace(target), |w| w.write_all(b"new").map_err(|e| Error::io("test", e))).unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn a_failed_output_leaves_nothing_and_stale_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.csv");
        let failed = write_file(&out, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::Failed("stopped".into()))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "a temporary or a partial file is left");
        // One left by a process that is gone (pid 0 never names a user process) and one of
        // a living process (this one, under another name).
        let stale = dir.path().join(format!(".out.csv.0{TEMPORARY_SUFFIX}"));
        let stale_spool = dir.path().join(format!(".out.csv{SPOOL_INFIX}.0{TEMPORARY_SUFFIX}"));
        let other_spool = dir.path().join(format!(".other.csv{SPOOL_INFIX}.0{TEMPORARY_SUFFIX}"));
        let live = dir.path().join(format!(".other.csv.{}{TEMPORARY_SUFFIX}", std::process::id()));
        for path in [&stale, &stale_spool, &other_spool, &live] {
            std::fs::write(path, "x").unwrap();
        }
        write_file(&out, |w| w.write_all(b"whole").map_err(|e| Error::io("test", e))).unwrap();
        assert!(!stale.exists(), "a dead process's temporary survived");
        assert!(!stale_spool.exists(), "a dead process's spool survived");
        assert!(other_spool.exists(), "another output's spool was removed");
        assert!(live.exists(), "a living process's temporary was removed");
    }

    #[test]
    fn inputs_must_be_regular_files_read_within_their_bound() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_input(Path::new("/dev/zero"), 10).unwrap_err().to_string().contains("is a device"));
        assert!(read_input(dir.path(), 10).unwrap_err().to_string().contains("is a directory"));
        let big = dir.path().join("big");
        std::fs::write(&big, [0u8; 11]).unwrap();
        assert!(read_input(&big, 10).unwrap_err().to_string().contains("larger than the 10 bytes"));
        assert_eq!(read_input(&big, 11).unwrap().len(), 11);
    }
}
