//! A pack damaged on the wire: one byte inside an object flipped, the pack's trailing checksum
//! made right again, so only checking each object can tell (what a bad disk or a broken host
//! would send).

/// The largest payload of one sideband packet (64 KiB pkt-line less its length and band).
const BAND_PAYLOAD: usize = 65515;

/// `response` (an upload-pack answer: pkt-lines, the pack in sideband 1) with its pack's
/// middle byte flipped and the trailer recomputed; unchanged when it carries no pack.
pub fn damage_upload_pack_response(response: &[u8]) -> Vec<u8> {
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut pack = Vec::new();
    let mut at = 0;
    while at + 4 <= response.len() {
        let len = std::str::from_utf8(&response[at..at + 4])
            .ok()
            .and_then(|hex| usize::from_str_radix(hex, 16).ok())
            .expect("a pkt-line length");
        if len < 4 {
            let target = if pack.is_empty() {
                &mut before
            } else {
                &mut after
            };
            target.extend_from_slice(&response[at..at + 4]);
            at += 4;
            continue;
        }
        let payload = &response[at + 4..at + len];
        if payload.first() == Some(&1) {
            pack.extend_from_slice(&payload[1..]);
        } else {
            let target = if pack.is_empty() {
                &mut before
            } else {
                &mut after
            };
            target.extend_from_slice(&response[at..at + len]);
        }
        at += len;
    }
    if pack.len() < 12 + 20 + 2 || !pack.starts_with(b"PACK") {
        return response.to_vec();
    }
    let body_end = pack.len() - 20;
    let middle = 12 + (body_end - 12) / 2;
    pack[middle] ^= 0x5a;
    let mut hasher = gix_hash::hasher(gix_hash::Kind::Sha1);
    hasher.update(&pack[..body_end]);
    let trailer = hasher.try_finalize().expect("sha1");
    pack[body_end..].copy_from_slice(trailer.as_bytes());
    let mut out = before;
    for chunk in pack.chunks(BAND_PAYLOAD) {
        out.extend_from_slice(format!("{:04x}", chunk.len() + 5).as_bytes());
        out.push(1);
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&after);
    out
}
