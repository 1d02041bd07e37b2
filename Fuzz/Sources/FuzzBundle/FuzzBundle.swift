// libFuzzer target: the bundle reader and offline verifier (BundleVerifier.verifyBundle, with
// its LineReader, header, entry lines, key history, chain, tree roots and the checkpoint a
// header may carry) over arbitrary bytes.
//
// The verifier reads a bundle from a path only (a regular file, read in blocks), so each input
// is written to one temporary file of this process first: the fuzzed path is the product's.
// An input of even length is verified as `sealbook verify` does by default (stop at the first
// failure, root not pinned), one of odd length with `--all` and a pinned root (the root key of
// the seed bundles MakeSeeds writes): once each, since signature checks make a run slow. One
// worker thread: the results do not depend on it.

import SealbookCore

#if canImport(Glibc)
    import Glibc
#endif

private let path = "\(getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")/sealbook-fuzz-bundle-\(getpid()).bundle"

private let pinnedRoot = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 32)).publicKey

private let defaultOptions = VerifyOptions(trustRoot: nil, reportAll: false, parallelism: 1)
private let allOptions = VerifyOptions(trustRoot: pinnedRoot, reportAll: true, parallelism: 1)

private func write(_ data: UnsafePointer<UInt8>?, _ size: Int) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot open \(path): errno \(errno)")
    var done = 0
    while done < size {
        let n = Glibc.write(fd, data! + done, size - done)
        precondition(n > 0, "cannot write \(path): errno \(errno)")
        done += n
    }
    close(fd)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzBundleInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    atexit { unlink(path) }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    write(data, size)
    let options = size % 2 == 0 ? defaultOptions : allOptions
    guard let result = try? BundleVerifier.verifyBundle(path: path, options: options) else { return 0 }
    // What `sealbook verify` prints of the result: every failure's description.
    for failure in result.report.failures { _ = failure.description }
    precondition(result.report.isValid == result.report.failures.isEmpty, "a report is valid with failures, or not without")
    return 0
}
