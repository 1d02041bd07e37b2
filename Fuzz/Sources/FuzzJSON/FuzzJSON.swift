// libFuzzer target: the strict JSON parser (JSONParser), RFC 8785 canonicalization (JCS) and
// the event body rules (EventBody) over arbitrary bytes.
//
// Besides "no crash, no hang": whatever parses canonicalizes, its canonical form parses, and
// canonicalizing that again gives the same bytes (JCS is idempotent through the parser). A
// parsed value that is an event body renders to canonical bytes that decode to the same body.

import SealbookCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let value = try? JSONParser.parse(input) else { return 0 }

    // JCS throws only for a non-finite number, which the parser never returns.
    let canonical = try! JCS.canonicalize(value)
    let reparsed: JSONValue
    do { reparsed = try JSONParser.parse(canonical) } catch {
        fatalError("JCS output does not parse: \(error): \(String(decoding: canonical, as: UTF8.self))")
    }
    let again = try! JCS.canonicalize(reparsed)
    precondition(again == canonical, "JCS is not stable through the parser: \(String(decoding: canonical, as: UTF8.self))")

    if let body = try? EventBody(json: value) {
        guard let bytes = try? body.canonicalBytes() else { return 0 }  // over the size limit
        let back = try! EventBody(json: try! JSONParser.parse(bytes))
        precondition(back == body, "an event body does not survive its canonical bytes")
    }
    return 0
}
