internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Why a file could not be written.
public enum FileOutputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path exists and replacing it was not asked for.
    case exists(String)
    /// The path exists and is not a regular file (a directory, a symlink, a device…): never replaced.
    case notARegularFile(String)
    /// The write failed (the reason from the system).
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .exists(let p): "\(p) already exists; choose another name or pass --force"
        case .notARegularFile(let p): "\(p) exists and is not a regular file: it is never replaced"
        case .cannotWrite(let p, let why): "cannot write \(p): \(why)"
        }
    }
}

/// Writing files so that a reader, or a crash, never sees half of one.
public enum FileOutput {
    /// Writes `bytes` to `path` through a temporary file in the same directory: written,
    /// flushed to disk (`fsync`), renamed over `path`, and the directory flushed, so that after a
    /// crash `path` holds either the old content or the new one. The directory is created
    /// (mode 0700) when missing. An existing `path` is replaced only when `replace` is true and
    /// it is a regular file (never a directory, and never through a symlink).
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644, replace: Bool = true) throws(FileOutputError) {
        try writeAtomically(to: path, mode: mode, replace: replace) { write in try write(bytes) }
    }

    /// The same, for output too large to hold: `produce` is called with a function that appends
    /// bytes to the temporary file; when it returns, the file is flushed and renamed over
    /// `path`. An error thrown by `produce` leaves `path` as it was (and is rethrown as
    /// ``FileOutputError/cannotWrite(_:_:)`` unless it is a ``FileOutputError``).
    public static func writeAtomically(
        to path: String, mode: UInt32 = 0o644, replace: Bool = true,
        _ produce: (_ write: ([UInt8]) throws(FileOutputError) -> Void) throws -> Void
    ) throws(FileOutputError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw .cannotWrite(path, "cannot create \(dir): \(error.localizedDescription)")
            }
        }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path) }
            guard replace else { throw .exists(path) }
        }
        let tmp = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        guard fd >= 0 else { throw .cannotWrite(path, String(cString: strerror(errno))) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        func append(_ bytes: [UInt8]) throws(FileOutputError) {
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw .cannotWrite(path, String(cString: strerror(errno)))
                }
                offset += n
            }
        }
        do { try produce(append) } catch let e as FileOutputError {
            close(fd)
            throw e
        } catch {
            close(fd)
            throw .cannotWrite(path, "\(error)")
        }
        if fchmod(fd, mode_t(mode)) != 0 || fsync(fd) != 0 {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .cannotWrite(path, why)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw .cannotWrite(path, String(cString: strerror(errno))) }
        ok = true
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
