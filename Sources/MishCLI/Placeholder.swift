public enum MishCLI { public static func main() {} }
