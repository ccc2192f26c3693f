//! Files that hold secrets (the signing key, the API-key pepper, the vault's KEKs): mode
//! 0600, written whole to a temporary file first, so that no reader ever sees half of one;
//! and created at most once, so that processes starting together on a shared directory
//! (replicas, or `castellan seed` beside `castellan serve`) all end up with the same secret
//! instead of each keeping the one it generated.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What [`create`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    /// The file now holds the given text.
    Written,
    /// Another process created the file first: read and use theirs.
    Lost,
}

/// Creates the file at `path` holding `text`, unless one exists (then [`Created::Lost`]):
/// the text is written and synced under a temporary name, then linked to `path`, which
/// fails if `path` exists. Parent directories are created.
pub(crate) fn create(path: &Path, text: &str) -> std::io::Result<Created> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let staged = stage(path, text)?;
    let linked = std::fs::hard_link(&staged, path);
    discard(&staged);
    match linked {
        Ok(()) => Ok(Created::Written),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(Created::Lost),
        // A file system without hard links: an exclusive create, written in place.
        Err(_) => match write(path, text, OpenOptions::new().write(true).create_new(true)) {
            Ok(()) => Ok(Created::Written),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(Created::Lost),
            Err(err) => Err(err),
        },
    }
}

/// Replaces the file at `path` with `text`: written and synced under a temporary name, then
/// renamed into place (a crash leaves the old file or the new one, never half of one).
pub(crate) fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let staged = stage(path, text)?;
    std::fs::rename(&staged, path).inspect_err(|_| discard(&staged))
}

/// `text` in a new file (mode 0600) beside `path`, under a name no other writer uses.
fn stage(path: &Path, text: &str) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let staged = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    match write(
        &staged,
        text,
        OpenOptions::new().write(true).create_new(true),
    ) {
        Ok(()) => Ok(staged),
        Err(err) => {
            discard(&staged);
            Err(err)
        }
    }
}

/// Writes `text` to a file opened with `options` (plus mode 0600 on Unix) and syncs it.
fn write(path: &Path, text: &str, options: &mut OpenOptions) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Removes a temporary file; one left behind (logged) holds a secret, but only for the
/// account that owns the directory.
fn discard(staged: &Path) {
    if let Err(error) = std::fs::remove_file(staged) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %staged.display(), %error, "could not remove a temporary key file");
        }
    }
}

/// Runs `open` on `threads` threads at once against the same fresh file, `rounds` times,
/// and returns each round's results: what racing processes would each have ended up with.
#[cfg(test)]
pub(crate) fn race<T: Send>(
    rounds: usize,
    threads: usize,
    open: impl Fn(&Path) -> T + Sync,
) -> Vec<Vec<T>> {
    (0..rounds)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("keys/secret.key");
            let start = std::sync::Barrier::new(threads);
            std::thread::scope(|scope| {
                let racers: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            start.wait();
                            open(&path)
                        })
                    })
                    .collect();
                racers.into_iter().map(|r| r.join().unwrap()).collect()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_creator_wins_and_nothing_temporary_remains() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secret.key");
        assert_eq!(create(&path, "first").unwrap(), Created::Written);
        assert_eq!(create(&path, "second").unwrap(), Created::Lost);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first");
        replace(&path, "third").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "third");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret.key")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
