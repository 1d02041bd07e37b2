internal import CSodium

/// One-time libsodium initialisation (`sodium_init`). Every entry point into libsodium goes
/// through ``Sodium/ensureInitialized()``; the Swift runtime runs the static initializer once.
enum Sodium {
    private static let initialized: Bool = {
        // sodium_init returns 0 on success, 1 if already initialised, -1 on failure.
        sodium_init() >= 0
    }()

    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise (sodium_init returned -1)")
    }
}

/// Fills `count` bytes from libsodium's CSPRNG (`randombytes_buf`).
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    Sodium.ensureInitialized()
    var out = [UInt8](repeating: 0, count: count)
    out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
    return out
}
