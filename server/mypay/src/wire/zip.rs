//! Just enough ZIP for `base64ZipAvviso`: MyPay answers action `S` with a ZIP archive holding one
//! PDF (`avviso_{Ente fiscal code}_{IUV}.pdf`, docs/mypay-avvisi.md §1.3, §0.2).
//!
//! [`extract_single_pdf`] reads the archive through its central directory and refuses anything
//! unusual rather than guessing: not exactly one entry, encryption, ZIP64, a method other than
//! stored (0) or deflate (8, what Java's `ZipOutputStream` writes), a CRC or size mismatch, output
//! beyond the caller's bound (decompression is stopped there: no zip bomb is ever inflated in
//! full), or content that does not start with `%PDF-`.
//!
//! [`build_zip`] writes such an archive (used by the simulator and the tests).

use std::io::Read as _;

/// Why a `base64ZipAvviso` archive was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    #[error("not a ZIP archive (no end of central directory)")]
    NotZip,
    #[error("the archive holds {0} entries, expected exactly one PDF")]
    EntryCount(u16),
    #[error("the archive is truncated or inconsistent: {0}")]
    Corrupt(&'static str),
    #[error("unsupported ZIP feature: {0}")]
    Unsupported(&'static str),
    #[error("the PDF is larger than {0} bytes")]
    TooLarge(usize),
    #[error("CRC mismatch: the archive is damaged")]
    Crc,
    #[error("the archive's entry is not a PDF")]
    NotPdf,
}

const EOCD_SIG: u32 = 0x0605_4b50;
const CDH_SIG: u32 = 0x0201_4b50;
const LFH_SIG: u32 = 0x0403_4b50;

fn u16_at(b: &[u8], at: usize) -> Result<u16, ZipError> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or(ZipError::Corrupt("short read"))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ZipError> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or(ZipError::Corrupt("short read"))
}

/// One entry of the archive: its name and PDF bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub data: Vec<u8>,
}

/// Extracts the only entry of `zip`, which must be a PDF of at most `max_bytes`.
pub fn extract_single_pdf(zip: &[u8], max_bytes: usize) -> Result<ZipEntry, ZipError> {
    // End of central directory: 22 bytes + a comment of at most 65535 bytes, at the end.
    let min_start = zip.len().saturating_sub(22 + 0xFFFF);
    let eocd = (min_start..=zip.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(zip, i).is_ok_and(|sig| sig == EOCD_SIG))
        .ok_or(ZipError::NotZip)?;
    if u16_at(zip, eocd + 4)? != 0 || u16_at(zip, eocd + 6)? != 0 {
        return Err(ZipError::Unsupported("multi-disk archive"));
    }
    let entries = u16_at(zip, eocd + 10)?;
    if entries == 0xFFFF {
        return Err(ZipError::Unsupported("ZIP64"));
    }
    if entries != 1 || u16_at(zip, eocd + 8)? != 1 {
        return Err(ZipError::EntryCount(entries));
    }
    let cd = u32_at(zip, eocd + 16)? as usize;
    if u32_at(zip, cd)? != CDH_SIG {
        return Err(ZipError::Corrupt("central directory"));
    }
    let flags = u16_at(zip, cd + 8)?;
    let method = u16_at(zip, cd + 10)?;
    let crc = u32_at(zip, cd + 16)?;
    let compressed = u32_at(zip, cd + 20)?;
    let uncompressed = u32_at(zip, cd + 24)?;
    let name_len = u16_at(zip, cd + 28)? as usize;
    let local = u32_at(zip, cd + 42)? as usize;
    if flags & 0x0001 != 0 {
        return Err(ZipError::Unsupported("encryption"));
    }
    if compressed == u32::MAX || uncompressed == u32::MAX || local == u32::MAX as usize {
        return Err(ZipError::Unsupported("ZIP64"));
    }
    if uncompressed as usize > max_bytes {
        return Err(ZipError::TooLarge(max_bytes));
    }
    let name = zip.get(cd + 46..cd + 46 + name_len).ok_or(ZipError::Corrupt("entry name"))?;
    let name = String::from_utf8_lossy(name).into_owned();

    if u32_at(zip, local)? != LFH_SIG {
        return Err(ZipError::Corrupt("local header"));
    }
    let start = local + 30 + u16_at(zip, local + 26)? as usize + u16_at(zip, local + 28)? as usize;
    let raw = zip.get(start..start + compressed as usize).ok_or(ZipError::Corrupt("entry data"))?;
    let data = match method {
        0 => raw.to_vec(),
        8 => {
            let mut out = Vec::with_capacity((uncompressed as usize).min(max_bytes));
            flate2::read::DeflateDecoder::new(raw)
                .take(max_bytes as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| ZipError::Corrupt("deflate stream"))?;
            out
        }
        _ => return Err(ZipError::Unsupported("compression method")),
    };
    if data.len() > max_bytes {
        return Err(ZipError::TooLarge(max_bytes));
    }
    if data.len() != uncompressed as usize || crc32fast::hash(&data) != crc {
        return Err(ZipError::Crc);
    }
    if !data.starts_with(b"%PDF-") {
        return Err(ZipError::NotPdf);
    }
    Ok(ZipEntry { name, data })
}

/// Writes a ZIP archive with one entry, stored or deflated.
pub fn build_zip(name: &str, data: &[u8], deflate: bool) -> Vec<u8> {
    use std::io::Write as _;
    let payload = if deflate {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("writing to a Vec cannot fail");
        enc.finish().expect("writing to a Vec cannot fail")
    } else {
        data.to_vec()
    };
    let method: u16 = if deflate { 8 } else { 0 };
    let crc = crc32fast::hash(data);
    let size = |n: usize| u32::try_from(n).expect("notice PDFs are far below 4 GiB");
    let mut out = Vec::new();
    let common = |out: &mut Vec<u8>| {
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 name
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size(payload.len()).to_le_bytes());
        out.extend_from_slice(&size(data.len()).to_le_bytes());
        out.extend_from_slice(&u16::try_from(name.len()).expect("short name").to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra length
    };
    out.extend_from_slice(&LFH_SIG.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&payload);
    let cd = out.len();
    out.extend_from_slice(&CDH_SIG.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version made by
    common(&mut out);
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out.extend_from_slice(&0u16.to_le_bytes()); // disk
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    out.extend_from_slice(name.as_bytes());
    let cd_len = out.len() - cd;
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&size(cd_len).to_le_bytes());
    out.extend_from_slice(&size(cd).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\nhello notice\n%%EOF\n";

    #[test]
    fn stored_and_deflated_roundtrip() {
        for deflate in [false, true] {
            let zip = build_zip("avviso_80007580279_01000000012345688.pdf", PDF, deflate);
            let entry = extract_single_pdf(&zip, 1024).unwrap();
            assert_eq!(entry.data, PDF);
            assert_eq!(entry.name, "avviso_80007580279_01000000012345688.pdf");
        }
    }

    #[test]
    fn refuses_bad_archives() {
        assert_eq!(extract_single_pdf(b"PK nothing", 1024), Err(ZipError::NotZip));
        assert_eq!(extract_single_pdf(&build_zip("a.pdf", b"not a pdf", true), 1024), Err(ZipError::NotPdf));
        // Bounded: the declared size, and the real output when the declaration lies.
        let big = [b"%PDF-".as_slice(), &vec![b'x'; 10_000]].concat();
        assert_eq!(extract_single_pdf(&build_zip("a.pdf", &big, true), 1000), Err(ZipError::TooLarge(1000)));
        let mut lying = build_zip("a.pdf", &big, true);
        let cd = lying.len() - 22 - (46 + 5);
        lying[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
        assert_eq!(extract_single_pdf(&lying, 1000), Err(ZipError::TooLarge(1000)));
        // A flipped byte in stored data is caught by the CRC.
        let mut damaged = build_zip("a.pdf", PDF, false);
        damaged[30 + 5 + 8] ^= 0xFF;
        assert_eq!(extract_single_pdf(&damaged, 1024), Err(ZipError::Crc));
        // Encryption flag.
        let mut encrypted = build_zip("a.pdf", PDF, false);
        let cd = encrypted.len() - 22 - (46 + 5);
        encrypted[cd + 8] |= 1;
        assert_eq!(extract_single_pdf(&encrypted, 1024), Err(ZipError::Unsupported("encryption")));
        // Two entries (entry count patched).
        let mut two = build_zip("a.pdf", PDF, false);
        let n = two.len();
        two[n - 22 + 10..n - 22 + 12].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(extract_single_pdf(&two, 1024), Err(ZipError::EntryCount(2)));
        // Truncated.
        let zip = build_zip("a.pdf", PDF, true);
        assert!(extract_single_pdf(&zip[..zip.len() - 5], 1024).is_err());
    }
}
