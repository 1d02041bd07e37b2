internal import Foundation

#if canImport(Glibc)
    package import Glibc
#elseif canImport(Musl)
    package import Musl
#elseif canImport(Darwin)
    package import Darwin
#endif

/// Starting programs with `posix_spawn`, the one way Sealbook does it (the embedded cluster's
/// `initdb`/`pg_ctl`, `sealbook run`, the benchmark's measured children). Foundation's `Process`
/// is not used: on Linux it learns that a program ended only when every holder of a descriptor
/// it hands the child has closed it, so a program that leaves a process behind (`pg_ctl start`,
/// a command that starts a daemon) would never end.
///
/// Every child starts with its stdin, stdout and stderr as asked, **no other descriptor** of
/// this process, an empty signal mask (a thread that blocks signals does not pass that on), and
/// the signals of `defaultSignals` back to their default action (an ignored SIGPIPE, say).
package enum ChildProcess {
    /// One of the child's standard descriptors.
    package enum Stream: Sendable {
        /// This process's own descriptor of the same number.
        case inherit
        /// This descriptor (of this process), duplicated into place.
        case descriptor(Int32)
    }

    /// Why a child could not be started: the `errno` value (0 when there is none) and a text.
    package struct SpawnFailure: Error, Sendable, CustomStringConvertible {
        package let code: Int32
        package let description: String
    }

    /// Starts `executable` (a path; no `PATH` search) with `arguments` (`argv`, `argv[0]`
    /// included), `environment` (nil: this process's), in `directory` (nil: this process's).
    package static func spawn(
        executable: String, arguments: [String], environment: [String: String]? = nil, directory: String? = nil,
        stdin: Stream = .inherit, stdout: Stream = .inherit, stderr: Stream = .inherit, defaultSignals: [Int32] = []
    ) -> Result<pid_t, SpawnFailure> {
        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        for (number, stream) in [stdin, stdout, stderr].enumerated() {
            switch stream {
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, Int32(number))
            case .inherit:
                #if canImport(Darwin)
                    posix_spawn_file_actions_addinherit_np(&actions, Int32(number))
                #endif
                break
            }
        }
        #if canImport(Darwin)
            // Every descriptor not named above is closed.
            flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
            if let directory, directory.withCString({ posix_spawn_file_actions_addchdir_np(&actions, $0) }) != 0 {
                return .failure(SpawnFailure(code: 0, description: "could not change to the directory \(directory)"))
            }
        #else
            if let addCloseFrom = SpawnExtensions.addCloseFrom {
                _ = addCloseFrom(&actions, 3)
            } else {
                for fd in SpawnExtensions.openDescriptors() where fd > 2 {
                    posix_spawn_file_actions_addclose(&actions, fd)
                }
            }
            if let directory {
                guard let addChdir = SpawnExtensions.addChdir else {
                    return .failure(
                        SpawnFailure(
                            code: 0,
                            description:
                                "this C library cannot start a program in another directory (glibc 2.29 or later is needed)"))
                }
                _ = directory.withCString { addChdir(&actions, $0) }
            }
        #endif

        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let error = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard error == 0 else {
            return .failure(SpawnFailure(code: error, description: String(cString: strerror(error))))
        }
        return .success(pid)
    }

    /// Waits for the child `pid` to end and reaps it: its wait status, or nil when it cannot be
    /// waited for (something else reaped it). Interrupted waits are resumed.
    package static func wait(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        return status
    }

    /// ``wait(_:)`` that also returns the child's resource usage (`wait4`).
    package static func wait(_ pid: pid_t, usage: inout rusage) -> Int32? {
        var status: Int32 = 0
        while wait4(pid, &status, 0, &usage) < 0 {
            if errno != EINTR { return nil }
        }
        return status
    }

    /// A wait status as an exit code (0…255) or the signal that ended the child.
    package static func outcome(ofStatus status: Int32) -> (exitCode: Int32?, signal: Int32?) {
        let signal = status & 0x7F
        return signal == 0 ? ((status >> 8) & 0xFF, nil) : (nil, signal)
    }

    /// A wait status as a shell reports it: the exit code, or 128 + the signal.
    package static func shellStatus(_ status: Int32) -> Int32 {
        let (exitCode, signal) = outcome(ofStatus: status)
        return signal.map { 128 + $0 } ?? exitCode ?? 1
    }
}
