internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Why an input file could not be read. Messages name the file and what it was for, never its
/// content.
public enum InputFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such file, or a symbolic link to nothing.
    case missing(path: String, what: String, danglingLink: Bool)
    /// A directory, a FIFO, a device or a socket: only regular files are read.
    case notARegularFile(path: String, what: String, kind: String)
    /// The system refused to open or read it (the reason from the system).
    case unreadable(path: String, what: String, reason: String)
    /// Longer than the documented limit for this kind of input.
    case tooLarge(path: String, what: String, limit: Int64)

    public var description: String {
        switch self {
        case .missing(let p, let what, true): "\(what) \(p) is a symbolic link to a file that does not exist"
        case .missing(let p, let what, false): "\(what) \(p) does not exist"
        case .notARegularFile(let p, let what, let kind): "\(what) \(p) is \(kind), not a regular file"
        case .unreadable(let p, let what, let why): "cannot read \(what) \(p): \(why)"
        case .tooLarge(let p, let what, let limit): "\(what) \(p) is larger than \(limit) bytes, the most Sealbook reads for it"
        }
    }
}

/// Reading input files safely: only regular files (never a directory, FIFO, device or socket,
/// which would block, fail late or never end), opened without blocking, and bounded where a
/// limit applies (README, "Limits").
public enum InputFile {
    /// Opens `path` for reading; the descriptor is a regular file. `what` names the input in
    /// messages ("data file", "bundle", …). The caller closes the descriptor.
    public static func openRegular(_ path: String, what: String) throws(InputFileError) -> Int32 {
        var st = stat()
        if stat(path, &st) != 0 {
            let err = errno
            var l = stat()
            if err == ENOENT, lstat(path, &l) == 0, (l.st_mode & S_IFMT) == S_IFLNK {
                throw .missing(path: path, what: what, danglingLink: true)
            }
            if err == ENOENT || err == ENOTDIR { throw .missing(path: path, what: what, danglingLink: false) }
            throw .unreadable(path: path, what: what, reason: String(cString: strerror(err)))
        }
        if let kind = kindName(st.st_mode) { throw .notARegularFile(path: path, what: what, kind: kind) }
        // O_NONBLOCK: should the path have become a FIFO since, open does not wait for a writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, what: what, reason: String(cString: strerror(errno))) }
        var fst = stat()
        guard fstat(fd, &fst) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw .unreadable(path: path, what: what, reason: why)
        }
        if let kind = kindName(fst.st_mode) {
            close(fd)
            throw .notARegularFile(path: path, what: what, kind: kind)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// The whole of a regular file of at most `limit` bytes; its size is checked before anything
    /// is read, and no more than `limit` + 1 bytes are read should it grow meanwhile.
    public static func read(_ path: String, what: String, limit: Int) throws(InputFileError) -> [UInt8] {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > off_t(limit) { throw .tooLarge(path: path, what: what, limit: Int64(limit)) }
        return try readBounded(fd, path: path, what: what, limit: limit)
    }

    /// Standard input, to its end, refused past `limit` bytes (without reading further).
    public static func readStandardInput(what: String, limit: Int) throws(InputFileError) -> [UInt8] {
        try readBounded(STDIN_FILENO, path: "(standard input)", what: what, limit: limit)
    }

    /// Streams a regular file of any size through `body`, in chunks of `chunkSize`, holding one
    /// chunk at a time; returns the byte count.
    @discardableResult
    public static func stream(
        _ path: String, what: String, chunkSize: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) -> Void
    ) throws(InputFileError) -> Int64 {
        let fd = try openRegular(path, what: what)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, what: what, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return total }
            total += Int64(n)
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    private static func readBounded(_ fd: Int32, path: String, what: String, limit: Int) throws(InputFileError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, what: what, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw .tooLarge(path: path, what: what, limit: Int64(limit)) }
        }
    }

    /// Nil for a regular file, else what it is.
    private static func kindName(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }
}
