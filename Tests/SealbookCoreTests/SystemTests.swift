// The one process-spawning helper (ChildProcess) and the one bounded blocking queue
// (BoundedQueue) of SealbookCore/System, used by the embedded cluster, `sealbook run`, the log
// reader and the benchmark.

import Foundation
import Testing

@testable import SealbookCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs `/bin/sh -c script` with stdout into a temporary file; (wait status, stdout).
private func sh(
    _ script: String, directory: String? = nil, environment: [String: String]? = nil, defaultSignals: [Int32] = []
) throws -> (status: Int32, stdout: String) {
    let path = NSTemporaryDirectory() + "sealbook-spawn-\(UUID().uuidString)"
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    try #require(fd >= 0)
    defer {
        close(fd)
        unlink(path)
    }
    let pid = try ChildProcess.spawn(
        executable: "/bin/sh", arguments: ["sh", "-c", script], environment: environment, directory: directory,
        stdout: .descriptor(fd), defaultSignals: defaultSignals
    ).get()
    let status = try #require(ChildProcess.wait(pid))
    return (status, try String(contentsOfFile: path, encoding: .utf8))
}

@Suite("System: spawning children")
struct ChildProcessTests {
    @Test("exit codes and signals, as a shell reports them")
    func statuses() throws {
        #expect(ChildProcess.shellStatus(try sh("exit 0").status) == 0)
        let three = try sh("exit 3").status
        #expect(ChildProcess.outcome(ofStatus: three) == (3, nil))
        #expect(ChildProcess.shellStatus(three) == 3)
        let killed = try sh("kill -9 $$").status
        #expect(ChildProcess.outcome(ofStatus: killed) == (nil, SIGKILL))
        #expect(ChildProcess.shellStatus(killed) == 137)
    }

    @Test("the child runs in the directory, with the environment, given")
    func directoryAndEnvironment() throws {
        let r = try sh("pwd -P; echo \"$ONLY\"; echo \"${HOME:-unset}\"", directory: "/", environment: ["ONLY": "this"])
        #expect(r.stdout == "/\nthis\nunset\n")
        // nil: this process's environment.
        #expect(try sh("echo \"$PATH\"").stdout == (ProcessInfo.processInfo.environment["PATH"] ?? "") + "\n")
    }

    #if os(Linux)
        @Test("the child gets stdin, stdout, stderr and no other descriptor, not even one without close-on-exec")
        func noInheritedDescriptors() throws {
            let leaky = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: exec alone would pass it on
            defer { close(leaky) }
            #expect(leaky > 2)
            // 3 is the directory ls itself opens to list it.
            #expect(try sh("exec ls /proc/self/fd").stdout == "0\n1\n2\n3\n")
        }

        @Test("the child starts with an empty signal mask even when the spawning thread blocks signals")
        func emptySignalMask() throws {
            var block = sigset_t()
            sigemptyset(&block)
            sigaddset(&block, SIGTERM)
            sigaddset(&block, SIGUSR1)
            var previous = sigset_t()
            pthread_sigmask(SIG_BLOCK, &block, &previous)
            defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
            // SigBlk in /proc/self/status: the blocked signals, as hex.
            let r = try sh("exec grep '^SigBlk' /proc/self/status")
            #expect(r.stdout == "SigBlk:\t0000000000000000\n")
        }

        @Test("signals listed get their default action back; others keep being ignored")
        func defaultSignals() throws {
            var ignore = sigaction()
            ignore.__sigaction_handler.sa_handler = SIG_IGN
            var previousUSR1 = sigaction(), previousUSR2 = sigaction()
            sigaction(SIGUSR1, &ignore, &previousUSR1)
            sigaction(SIGUSR2, &ignore, &previousUSR2)
            defer {
                sigaction(SIGUSR1, &previousUSR1, nil)
                sigaction(SIGUSR2, &previousUSR2, nil)
            }
            // SigIgn: SIGUSR1 is bit 9 (0x200), SIGUSR2 bit 11 (0x800).
            let r = try sh("exec grep '^SigIgn' /proc/self/status", defaultSignals: [SIGUSR1])
            let mask = UInt64(r.stdout.dropFirst("SigIgn:\t".count).trimmingCharacters(in: .whitespacesAndNewlines), radix: 16)
            let ignored = try #require(mask, "\(r.stdout)")
            #expect(ignored & 0x200 == 0, "SIGUSR1 is back to its default")
            #expect(ignored & 0x800 != 0, "SIGUSR2 stays ignored")
        }
    #endif

    @Test("a program that cannot start is a failure with its errno, and nothing is left to wait for")
    func cannotStart() {
        let missing = ChildProcess.spawn(executable: "/nonexistent/program", arguments: ["program"])
        guard case .failure(let failure) = missing else {
            Issue.record("a missing program started: \(missing)")
            return
        }
        #expect(failure.code == ENOENT)
        #expect(failure.description == String(cString: strerror(ENOENT)))
        // A file without execute permission.
        let path = NSTemporaryDirectory() + "sealbook-not-a-program-\(UUID().uuidString)"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("echo hi\n".utf8), attributes: [.posixPermissions: 0o644]))
        defer { unlink(path) }
        let notProgram = ChildProcess.spawn(executable: path, arguments: ["x"])
        if case .success(let pid) = notProgram { _ = ChildProcess.wait(pid) }
        #expect(throws: ChildProcess.SpawnFailure.self) { try notProgram.get() }
        if case .failure(let f) = notProgram { #expect(f.code == EACCES, "\(f)") }
    }

    @Test("wait4 reports the child's CPU time")
    func usage() throws {
        let pid = try ChildProcess.spawn(
            executable: "/bin/sh", arguments: ["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"]
        ).get()
        var usage = rusage()
        let status = try #require(ChildProcess.wait(pid, usage: &usage))
        #expect(ChildProcess.shellStatus(status) == 0)
        #expect(usage.ru_utime.tv_sec > 0 || usage.ru_utime.tv_usec > 0)
        #expect(usage.ru_maxrss > 0)
        #expect(ChildProcess.wait(pid) == nil, "reaped already")
    }
}

@Suite("System: the bounded blocking queue")
struct BoundedQueueTests {
    @Test("items come out in order; a producer waits while the queue is full")
    func orderAndBackPressure() throws {
        let queue = BoundedQueue<Int?>(capacity: 2)
        let produced = Locked(0)
        let producer = Thread {
            for i in 1...100 {
                queue.put(i)
                produced.withLock { $0 = i }
            }
            queue.put(nil)
        }
        producer.start()
        for _ in 0..<500 where produced.withLock({ $0 }) < 2 { usleep(10_000) }
        usleep(200_000)
        // Nothing taken yet: the producer put two and waits to put the third.
        #expect(produced.withLock { $0 } == 2)
        var taken: [Int] = []
        while let item = queue.take() { taken.append(item) }
        #expect(taken == Array(1...100))
    }

    @Test("cancel releases a waiting producer and refuses further items; what is queued can still be taken")
    func cancel() throws {
        let queue = BoundedQueue<Int>(capacity: 1)
        queue.put(1)
        let done = Locked(false)
        let producer = Thread {
            queue.put(2)  // waits: the queue is full
            done.withLock { $0 = true }
        }
        producer.start()
        usleep(100_000)
        #expect(!done.withLock { $0 })
        #expect(!queue.isCancelled)
        queue.cancel()
        for _ in 0..<100 where !done.withLock({ $0 }) { usleep(10_000) }
        #expect(done.withLock { $0 }, "cancel did not release the producer")
        #expect(queue.isCancelled)
        queue.put(3)  // refused, returns at once
        #expect(queue.take() == 1)
    }
}

/// A value shared between test threads.
private final class Locked<T: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched with `lock` held.
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func withLock<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
