/// Walks a captured stream line by line (`\n`-separated bytes), saying of the last line whether it may have been cut
/// off mid-write (the stream did not end with a newline): the JSON-lines readers treat such a line as truncated,
/// not as garbage.
enum Lines {
  static func forEach(in bytes: [UInt8], _ body: (ArraySlice<UInt8>, _ mayBeCut: Bool) -> Void) {
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    let endsMidLine = bytes.last.map { $0 != 0x0A } ?? false
    for (index, line) in lines.enumerated() { body(line, index == lines.count - 1 && endsMidLine) }
  }
}
