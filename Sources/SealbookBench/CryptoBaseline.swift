internal import CSodium
internal import Dispatch
internal import Foundation

/// Raw libsodium: `crypto_sign_verify_detached` and `crypto_sign_detached` per second, on one
/// core and on all cores, over messages of the benchmark's own size (the signing messages of
/// real bench events). No Swift wrapper, no allocation in the loop: the ceiling the verifier is
/// measured against.
struct CryptoBaseline: Sendable {
    let verifyOneCore: Double
    let verifyAllCores: Double
    let signOneCore: Double
    let signAllCores: Double
    let threads: Int
    let messageBytes: Int
    let secondsPerRun: Double

    var json: BenchJSON {
        .object([
            ("library", .string("libsodium \(Machine.libsodiumVersion)")),
            ("verifyPerSecOneCore", .num(verifyOneCore)), ("verifyPerSecAllCores", .num(verifyAllCores)),
            ("signPerSecOneCore", .num(signOneCore)), ("signPerSecAllCores", .num(signAllCores)),
            ("threads", .int(Int64(threads))), ("messageBytes", .int(Int64(messageBytes))),
            ("secondsPerRun", .num(secondsPerRun, 2)),
        ])
    }

    /// `messages`: sample messages (signed with a fresh key here); `seconds`: per run.
    static func measure(messages: [[UInt8]], seconds: Double, threads: Int, verifyOnly: Bool = false) -> CryptoBaseline {
        precondition(!messages.isEmpty)
        _ = sodium_init()
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_keypair(&pk, &sk)
        // One contiguous buffer of messages and one of signatures, read in place by every thread.
        let sigs: [[UInt8]] = messages.map { m in
            var s = [UInt8](repeating: 0, count: 64)
            crypto_sign_detached(&s, nil, m, UInt64(m.count), sk)
            return s
        }
        let material = Material(pk: pk, sk: sk, messages: messages, signatures: sigs)
        let v1 = rate(threads: 1, seconds: seconds) { i in material.verify(i) }
        let vN = rate(threads: threads, seconds: seconds) { i in material.verify(i) }
        let s1 = verifyOnly ? .nan : rate(threads: 1, seconds: seconds) { i in material.sign(i) }
        let sN = verifyOnly ? .nan : rate(threads: threads, seconds: seconds) { i in material.sign(i) }
        let avg = messages.reduce(0) { $0 + $1.count } / messages.count
        return CryptoBaseline(
            verifyOneCore: v1, verifyAllCores: vN, signOneCore: s1, signAllCores: sN, threads: threads,
            messageBytes: avg, secondsPerRun: seconds)
    }

    /// Operations per second of `op` on `threads` threads (concurrentPerform, as the verifier).
    private static func rate(threads: Int, seconds: Double, _ op: @escaping @Sendable (Int) -> Void) -> Double {
        let counts = Locked([Int](repeating: 0, count: threads))
        let start = monotonicSeconds()
        let deadline = start + seconds
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var n = 0
            var i = t * 7919
            while true {
                for _ in 0..<32 {
                    op(i)
                    i &+= 1
                }
                n += 32
                if monotonicSeconds() >= deadline { break }
            }
            counts.withLock { $0[t] = n }
        }
        let elapsed = monotonicSeconds() - start
        return Double(counts.withLock { $0.reduce(0, +) }) / elapsed
    }

    private final class Material: Sendable {
        let pk: [UInt8]
        let sk: [UInt8]
        let messages: [[UInt8]]
        let signatures: [[UInt8]]

        init(pk: [UInt8], sk: [UInt8], messages: [[UInt8]], signatures: [[UInt8]]) {
            self.pk = pk
            self.sk = sk
            self.messages = messages
            self.signatures = signatures
        }

        func verify(_ i: Int) {
            let k = i % messages.count
            let ok = signatures[k].withUnsafeBufferPointer { s in
                messages[k].withUnsafeBufferPointer { m in
                    pk.withUnsafeBufferPointer { p in
                        crypto_sign_verify_detached(s.baseAddress!, m.baseAddress!, UInt64(m.count), p.baseAddress!)
                    }
                }
            }
            precondition(ok == 0, "libsodium refused its own signature")
        }

        func sign(_ i: Int) {
            let k = i % messages.count
            var sig = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &sig) { s in
                messages[k].withUnsafeBufferPointer { m in
                    sk.withUnsafeBufferPointer { key in
                        _ = crypto_sign_detached(
                            s.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, m.baseAddress!, UInt64(m.count),
                            key.baseAddress!)
                    }
                }
            }
        }
    }
}
