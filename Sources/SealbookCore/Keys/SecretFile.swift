internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// An error type of a secret file's reader (``KeyFileError``, the witness key's error): its
/// cases for what ``SecretFile`` reports, so that one mapping serves every such file.
package protocol SecretFileErrors {
    static func exists(_ path: String) -> Self
    static func missing(_ path: String) -> Self
    static func tooOpen(_ path: String, mode: UInt32) -> Self
    static func unreadable(_ path: String, _ why: String) -> Self
    static func cannotWrite(_ path: String, _ why: String) -> Self
}

extension SecretFileErrors {
    /// The error for what SecretFile reports about `path`.
    package static func from(_ f: SecretFile.Failure, _ path: String) -> Self {
        switch f {
        case .exists: .exists(path)
        case .missing: .missing(path)
        case .tooOpen(let mode): .tooOpen(path, mode: mode)
        case .tooLarge: .unreadable(path, "larger than Sealbook reads for it")
        case .unreadable(let why): .unreadable(path, why)
        case .cannotWrite(let why): .cannotWrite(path, why)
        }
    }
}

/// A file that holds a secret (a signing key, a witness key): created once, owner-only, never
/// overwritten; read only while it is still a regular file no one else can read. The one place
/// ``KeyFile`` and the witness key file do this.
public enum SecretFile {
    /// Why a secret file could not be created or read.
    public enum Failure: Error, Sendable {
        case exists
        case missing
        /// Readable or writable by group or others (the permission bits).
        case tooOpen(mode: UInt32)
        case tooLarge
        case unreadable(String)
        case cannotWrite(String)
    }

    /// Creates `path` with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600, writes `bytes` and
    /// syncs them; a short write removes the file.
    public static func create(_ path: String, bytes: [UInt8]) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let err = errno
            if err == EEXIST { throw .exists }
            throw .cannotWrite(String(cString: strerror(err)))
        }
        defer { close(fd) }
        // The umask cannot widen 0600, but make the mode explicit anyway.
        fchmod(fd, 0o600)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(path)
            throw .cannotWrite(why)
        }
    }

    /// Reads `path` (at most `limit` bytes): it must exist, be a regular file, and have no
    /// permission bits for group or others, as ssh requires of a private key.
    public static func read(_ path: String, what: String, limit: Int) throws(Failure) -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let err = errno
            if err == ENOENT { throw .missing }
            throw .unreadable(String(cString: strerror(err)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .unreadable("not a regular file") }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 == 0 else { throw .tooOpen(mode: UInt32(mode)) }
        do { return try InputFile.read(path, what: what, limit: limit) } catch {
            switch error {
            case .missing: throw .missing
            case .notARegularFile(_, _, let kind): throw .unreadable("it is \(kind), not a regular file")
            case .tooLarge: throw .tooLarge
            case .unreadable(_, _, let why): throw .unreadable(why)
            }
        }
    }
}
