//! Random identifiers in Slack's shapes.

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).expect("the OS random source failed");
    bytes
}

/// `n` random uppercase letters and digits (the alphabet of Slack's ids).
pub(crate) fn upper_alnum(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in random_bytes(n) {
            // 252 = 7 × 36: rejecting the rest keeps the choice uniform.
            if b < 252 && out.len() < n {
                out.push(UPPER_ALNUM[usize::from(b % 36)] as char);
            }
        }
    }
    out
}

/// `n` random lowercase hex digits.
pub(crate) fn hex(n: usize) -> String {
    random_bytes(n.div_ceil(2)).iter().map(|b| format!("{b:02x}")).collect::<String>()[..n].to_string()
}

/// `n` random decimal digits, the first not zero.
pub(crate) fn digits(n: usize) -> String {
    random_bytes(n)
        .iter()
        .enumerate()
        .map(|(i, b)| char::from(b'0' + if i == 0 { 1 + b % 9 } else { b % 10 }))
        .collect()
}

/// An Events API `event_id`: `Ev` and ten letters and digits (`Ev0PV52K25`).
pub(crate) fn event_id() -> String {
    format!("Ev{}", upper_alnum(10))
}

/// A `trigger_id`: `398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c`.
pub(crate) fn trigger_id() -> String {
    format!("{}.{}.{}", digits(12), digits(11), hex(32))
}

/// A lowercase UUID v4 (`client_msg_id`).
pub(crate) fn uuid() -> String {
    let h = hex(32);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..])
}

/// A block id as Slack makes one up for a block sent without (`4nW7`-like, five characters).
pub(crate) fn block_id() -> String {
    let mut id = upper_alnum(5);
    id.make_ascii_lowercase();
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(event_id().starts_with("Ev") && event_id().len() == 12);
        let trigger = trigger_id();
        let parts: Vec<&str> = trigger.split('.').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [12, 11, 32]);
        let uuid = uuid();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(upper_alnum(40).bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert!(digits(8).bytes().all(|b| b.is_ascii_digit()));
    }
}
