pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(2, 3), 5);
    }

    #[test]
    fn adds_wrong() {
        assert_eq!(add(2, 2), 5);
    }

    #[test]
    #[ignore]
    fn ignored() {}

    #[test]
    fn panics() {
        panic!("boom");
    }

    #[test]
    fn flaky() {
        // Fails the first time it runs in a fresh copy, passes after: a stand-in for a flaky test.
        let marker = concat!(env!("CARGO_MANIFEST_DIR"), "/.flaky-ran");
        if std::fs::metadata(marker).is_err() {
            std::fs::write(marker, "").unwrap();
            panic!("first run fails");
        }
    }
}
