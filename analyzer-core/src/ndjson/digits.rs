//! Decimal digits for the ndjson writer: fixed widths for timestamps, and
//! numbers made on the stack with what follows them, appended as one copy
//! of fixed size (no `memcpy` call for a few bytes).

/// `"00"` to `"99"`.
static PAIRS: [u8; 200] = {
    let mut table = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        table[2 * i] = b'0' + (i / 10) as u8;
        table[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    table
};

/// Writes `value` in decimal into all of `digits`, zero-padded (`value`
/// has no more digits than that).
#[inline(always)]
pub(super) fn fixed_digits(digits: &mut [u8], mut value: u64) {
    let mut end = digits.len();
    while end >= 2 {
        let pair = (value % 100) as usize * 2;
        digits[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        value /= 100;
        end -= 2;
    }
    if end == 1 {
        digits[0] = b'0' + value as u8;
    }
}

/// A number's digits (as `itoa` writes them) and then a closing byte,
/// made once and appended as often as needed.
#[derive(Clone, Copy)]
pub(super) struct Decimal {
    /// The digits end at [`Decimal::END`], the closing byte after them;
    /// [`Decimal::ROOM`] bytes from the first digit are copied.
    text: [u8; Decimal::END + Decimal::ROOM],
    /// Where the first digit is.
    start: usize,
}

impl Decimal {
    /// The digits of `u64::MAX` and the closing byte.
    const ROOM: usize = 24;
    /// Where the digits end.
    const END: usize = 20;

    /// `value`'s digits followed by `close`: written from the last, two at
    /// a time, so that their number need not be known first.
    #[inline(always)]
    pub(super) fn new(mut value: u64, close: u8) -> Decimal {
        let mut text = [0u8; Decimal::END + Decimal::ROOM];
        text[Decimal::END] = close;
        let mut start = Decimal::END;
        while value >= 100 {
            let pair = (value % 100) as usize * 2;
            text[start - 2..start].copy_from_slice(&PAIRS[pair..pair + 2]);
            value /= 100;
            start -= 2;
        }
        if value >= 10 {
            let pair = value as usize * 2;
            text[start - 2..start].copy_from_slice(&PAIRS[pair..pair + 2]);
            start -= 2;
        } else {
            text[start - 1] = b'0' + value as u8;
            start -= 1;
        }
        Decimal { text, start }
    }

    /// Appends the digits and the closing byte.
    #[inline(always)]
    pub(super) fn append(&self, out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&self.text[self.start..self.start + Decimal::ROOM]);
        out.truncate(at + Decimal::END + 1 - self.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_what_itoa_writes() {
        let mut values: Vec<u64> = vec![0, 1, 9, 10, 99, 100, 999, 1000, u64::MAX, u64::MAX - 1];
        for power in 0..20 {
            let p = 10u64.pow(power);
            values.extend([p - 1, p, p + 1, p.saturating_mul(7) / 3]);
        }
        values.extend((0..2000u64).map(|i| i * 7919));
        for value in values {
            let mut out = b"x".to_vec();
            Decimal::new(value, b'}').append(&mut out);
            let expected = format!("x{}}}", itoa::Buffer::new().format(value));
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
    }

    #[test]
    fn fixed_widths_are_zero_padded() {
        let mut digits = [0u8; 9];
        fixed_digits(&mut digits, 123_456);
        assert_eq!(&digits, b"000123456");
        let mut digits = [0u8; 6];
        fixed_digits(&mut digits, 999_999);
        assert_eq!(&digits, b"999999");
    }
}
