//! The server name a TLS client asks for (SNI, in its ClientHello): a tunnel to a registry
//! carries TLS for that registry and no other name. Without this check a tunnel opened to an
//! allowed CDN-hosted registry could ask the CDN for any other site it serves (domain
//! fronting by server name).
//!
//! Invariant: the gateway passes a tunnel's bytes on only after it has read a whole
//! ClientHello whose server name is the host the tunnel was opened to; the bytes it read go on
//! unchanged.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest ClientHello read.
const MAX_HELLO: usize = 64 * 1024;
/// TLS record content type `handshake`, handshake type `client_hello`, extension
/// `server_name`, name type `host_name`.
const HANDSHAKE: u8 = 22;
const CLIENT_HELLO: u8 = 1;
const SERVER_NAME: u16 = 0;
const HOST_NAME: u8 = 0;

/// Reads a ClientHello from `from`: the bytes read (to send on) and the handshake message.
pub async fn read_client_hello(from: &mut (impl AsyncRead + Unpin)) -> Result<(Vec<u8>, Vec<u8>), String> {
    let io = |e: std::io::Error| format!("reading the TLS ClientHello: {e}");
    let mut raw = Vec::new();
    let mut handshake = Vec::new();
    loop {
        let mut header = [0u8; 5];
        from.read_exact(&mut header).await.map_err(io)?;
        if header[0] != HANDSHAKE {
            return Err("the tunnel does not start with a TLS handshake".into());
        }
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        let mut fragment = vec![0u8; len];
        from.read_exact(&mut fragment).await.map_err(io)?;
        raw.extend_from_slice(&header);
        raw.extend_from_slice(&fragment);
        handshake.extend_from_slice(&fragment);
        if handshake.len() >= 4 {
            let wanted = 4 + u32::from_be_bytes([0, handshake[1], handshake[2], handshake[3]]) as usize;
            if handshake.len() >= wanted {
                handshake.truncate(wanted);
                return Ok((raw, handshake));
            }
        }
        if raw.len() > MAX_HELLO {
            return Err("the TLS ClientHello is too long".into());
        }
    }
}

/// Reads `n` bytes at `*at`.
fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> Result<&'a [u8], String> {
    let slice = bytes.get(*at..*at + n).ok_or("the TLS ClientHello is cut short")?;
    *at += n;
    Ok(slice)
}

fn u8_at(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    Ok(take(bytes, at, 1)?[0] as usize)
}

fn u16_at(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
    let b = take(bytes, at, 2)?;
    Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
}

/// The host name a ClientHello handshake message asks for, if it names one.
pub fn server_name(handshake: &[u8]) -> Result<Option<String>, String> {
    let mut at = 0;
    if u8_at(handshake, &mut at)? != CLIENT_HELLO as usize {
        return Err("the first TLS handshake message is not a ClientHello".into());
    }
    take(handshake, &mut at, 3 + 2 + 32)?; // length, client version, random
    let session_id = u8_at(handshake, &mut at)?;
    take(handshake, &mut at, session_id)?;
    let suites = u16_at(handshake, &mut at)?;
    take(handshake, &mut at, suites)?;
    let compression = u8_at(handshake, &mut at)?;
    take(handshake, &mut at, compression)?;
    if at == handshake.len() {
        return Ok(None); // no extensions
    }
    let extensions_len = u16_at(handshake, &mut at)?;
    let extensions = take(handshake, &mut at, extensions_len)?;
    let mut at = 0;
    while at < extensions.len() {
        let kind = u16_at(extensions, &mut at)?;
        let len = u16_at(extensions, &mut at)?;
        let data = take(extensions, &mut at, len)?;
        if kind != SERVER_NAME as usize {
            continue;
        }
        let mut at = 0;
        let list_len = u16_at(data, &mut at)?;
        let list = take(data, &mut at, list_len)?;
        let mut at = 0;
        while at < list.len() {
            let name_type = u8_at(list, &mut at)?;
            let len = u16_at(list, &mut at)?;
            let name = take(list, &mut at, len)?;
            if name_type == HOST_NAME as usize {
                let name = std::str::from_utf8(name).map_err(|_| "the TLS server name is not text")?;
                return Ok(Some(name.to_ascii_lowercase()));
            }
        }
    }
    Ok(None)
}

/// Whether a tunnel opened to `host` may carry the ClientHello `handshake`: it must name
/// `host` (any case, without a trailing dot).
pub fn check(host: &str, handshake: &[u8]) -> Result<(), String> {
    let want = host.trim_end_matches('.').to_ascii_lowercase();
    match server_name(handshake)? {
        Some(name) if name.trim_end_matches('.') == want => Ok(()),
        Some(name) => Err(format!("the tunnel to {host} asks TLS for {name:?}")),
        None => Err(format!("the tunnel to {host} names no TLS server")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A ClientHello record naming `name` (or none), with another extension before it.
    pub fn client_hello(name: Option<&str>) -> Vec<u8> {
        let mut extensions = vec![0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d]; // supported_groups
        if let Some(name) = name {
            let n = name.len() as u16;
            extensions.extend_from_slice(&[0x00, 0x00]);
            extensions.extend_from_slice(&(n + 5).to_be_bytes());
            extensions.extend_from_slice(&(n + 3).to_be_bytes());
            extensions.push(HOST_NAME);
            extensions.extend_from_slice(&n.to_be_bytes());
            extensions.extend_from_slice(name.as_bytes());
        }
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[7u8; 32]);
        body.extend_from_slice(&[32]);
        body.extend_from_slice(&[9u8; 32]);
        body.extend_from_slice(&[0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        body.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        body.extend_from_slice(&extensions);
        let mut handshake = vec![CLIENT_HELLO, 0, 0, 0];
        handshake[1..4].copy_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        handshake.extend_from_slice(&body);
        let mut record = vec![HANDSHAKE, 0x03, 0x01];
        record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
        record.extend_from_slice(&handshake);
        record
    }

    #[test]
    fn the_server_name_is_read_and_compared() {
        let hello = client_hello(Some("Registry.npmjs.org"));
        assert_eq!(server_name(&hello[5..]), Ok(Some("registry.npmjs.org".into())));
        assert_eq!(check("registry.npmjs.org", &hello[5..]), Ok(()));
        assert_eq!(check("registry.npmjs.org.", &hello[5..]), Ok(()));
        let fronted = client_hello(Some("evil.example"));
        assert!(check("registry.npmjs.org", &fronted[5..]).unwrap_err().contains("asks TLS for \"evil.example\""));
        let nameless = client_hello(None);
        assert!(check("registry.npmjs.org", &nameless[5..]).unwrap_err().contains("names no TLS server"));
        assert!(server_name(&hello[5..40]).unwrap_err().contains("cut short"));
        assert!(server_name(&[2, 0, 0, 0]).unwrap_err().contains("not a ClientHello"));
    }

    #[tokio::test]
    async fn a_hello_split_across_records_is_read_whole() {
        let hello = client_hello(Some("registry.npmjs.org"));
        let handshake = &hello[5..];
        // The same handshake message in two records, then application data that must stay.
        let mut stream = vec![];
        for part in [&handshake[..20], &handshake[20..]] {
            stream.extend_from_slice(&[HANDSHAKE, 0x03, 0x01]);
            stream.extend_from_slice(&(part.len() as u16).to_be_bytes());
            stream.extend_from_slice(part);
        }
        let records = stream.len();
        stream.extend_from_slice(b"more");
        let mut reader = &stream[..];
        let (raw, read) = read_client_hello(&mut reader).await.unwrap();
        assert_eq!((raw.len(), read.as_slice()), (records, handshake));
        assert_eq!(reader, b"more");
        let mut plain: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
        assert!(read_client_hello(&mut plain).await.unwrap_err().contains("does not start with a TLS handshake"));
    }
}
