import Foundation
enum Demo { static func run(directory: String?) -> Int32 { 0 } }
