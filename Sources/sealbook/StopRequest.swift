import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Set by the SIGINT/SIGTERM handler; an atomic store is async-signal-safe.
private let stopSignalled = Atomic<Bool>(false)

/// A stop asked for with Ctrl-C (SIGINT) or SIGTERM, for commands that run until stopped
/// (`report --follow`): the handler only sets a flag, the command finishes what it is writing,
/// looks at the flag between waits, and exits 0. Waits must be short or interruptible (a
/// signal interrupts `poll`, which then returns EINTR).
struct StopRequest: Sendable {
    /// Installs the handler for SIGINT and SIGTERM, replacing the default (and an inherited
    /// SIG_IGN: whoever asks to follow expects to be able to stop it), and unblocks both on
    /// the calling thread: a parent that spawned us from a thread blocking them (a libdispatch
    /// worker does) leaves them blocked, and a blocked SIGTERM would stay pending forever.
    static func install() -> StopRequest {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            #if canImport(Darwin)
                action.__sigaction_u.__sa_handler = { _ in stopSignalled.store(true, ordering: .relaxed) }
            #else
                action.__sigaction_handler.sa_handler = { _ in stopSignalled.store(true, ordering: .relaxed) }
            #endif
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // no SA_RESTART: a wait in poll returns at once
            sigaction(signal, &action, nil)
            sigaddset(&unblock, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return StopRequest()
    }

    var isRequested: Bool { stopSignalled.load(ordering: .relaxed) }
}
