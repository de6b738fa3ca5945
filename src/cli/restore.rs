//! The `-R` line tokenizer (spec 9.1): one line of standard input becomes the words of one
//! invocation. The caller prepends the program name and skips lines without words.

/// The longest token the reference keeps in one piece; longer ones are cut.
const MAX_TOKEN: usize = 4096;

/// Splits one restore line into argv words: delimiters are space, TAB, CR and LF; tokens
/// longer than 4096 bytes are split into pieces of 4096 bytes (at a character boundary, so
/// a piece can be a little shorter when a multi-byte character straddles the cut); every
/// piece equal to `ipvsadm` is dropped. `#` has no special meaning here.
pub fn restore_words(line: &str) -> Vec<&str> {
    let mut words = Vec::with_capacity(16);
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        // The delimiters are ASCII, so `start..i` lies on character boundaries.
        let mut rest = &line[start..i];
        while !rest.is_empty() {
            let mut end = rest.len().min(MAX_TOKEN);
            while !rest.is_char_boundary(end) {
                end -= 1;
            }
            let (piece, tail) = rest.split_at(end);
            if piece != "ipvsadm" {
                words.push(piece);
            }
            rest = tail;
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_blanks() {
        assert_eq!(
            restore_words("  -A\t-t 192.0.2.1:80   -s rr\r\n"),
            vec!["-A", "-t", "192.0.2.1:80", "-s", "rr"]
        );
        assert!(restore_words(" \t\r\n").is_empty());
        assert!(restore_words("").is_empty());
    }

    #[test]
    fn drops_ipvsadm_everywhere() {
        assert_eq!(
            restore_words("ipvsadm -a ipvsadm -t x ipvsadm -r y"),
            vec!["-a", "-t", "x", "-r", "y"]
        );
        assert_eq!(
            restore_words("/sbin/ipvsadm -C"),
            vec!["/sbin/ipvsadm", "-C"]
        );
        assert_eq!(restore_words("IPVSADM"), vec!["IPVSADM"]);
    }

    #[test]
    fn hash_is_ordinary() {
        assert_eq!(restore_words("# comment"), vec!["#", "comment"]);
        assert_eq!(restore_words("-s rr#x"), vec!["-s", "rr#x"]);
    }

    #[test]
    fn long_tokens_are_cut() {
        let long = "a".repeat(4096 * 2 + 5);
        let line = format!("-s {long} -n");
        let w = restore_words(&line);
        assert_eq!(w.len(), 5);
        assert_eq!(w[1].len(), 4096);
        assert_eq!(w[2].len(), 4096);
        assert_eq!(w[3], "aaaaa");
        assert_eq!(w[4], "-n");
        let exact = "b".repeat(4096);
        assert_eq!(restore_words(&exact), vec![exact.clone()]);
    }
}
