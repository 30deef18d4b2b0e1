//! Images attached to announcements: only JPEG and PNG, checked by their bytes (not by what
//! the upload claims), within size limits, and with every metadata block that can carry
//! personal data (EXIF with GPS position and camera serial, XMP, IPTC, comments, text
//! chunks) removed before anything is stored.

use std::fmt;

/// Largest upload accepted.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// Largest side, and largest area, of an image.
const MAX_SIDE: u32 = 8192;
const MAX_PIXELS: u64 = 40_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaError {
    TooLarge,
    UnsupportedType,
    Malformed(&'static str),
    TooManyPixels,
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaError::TooLarge => write!(f, "the image is larger than {} MiB", MAX_BYTES / 1024 / 1024),
            MediaError::UnsupportedType => f.write_str("only JPEG and PNG images can be attached"),
            MediaError::Malformed(why) => write!(f, "the image file is damaged ({why})"),
            MediaError::TooManyPixels => {
                write!(f, "the image is too large: at most {MAX_SIDE} pixels a side and 40 megapixels")
            }
        }
    }
}

impl std::error::Error for MediaError {}

/// An image that passed the checks, with its metadata removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanImage {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

pub fn clean(bytes: &[u8]) -> Result<CleanImage, MediaError> {
    if bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    let image = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        clean_jpeg(bytes)?
    } else if bytes.starts_with(PNG_SIGNATURE) {
        clean_png(bytes)?
    } else {
        return Err(MediaError::UnsupportedType);
    };
    if image.width == 0
        || image.height == 0
        || image.width > MAX_SIDE
        || image.height > MAX_SIDE
        || u64::from(image.width) * u64::from(image.height) > MAX_PIXELS
    {
        return Err(MediaError::TooManyPixels);
    }
    // The orientation block can be larger than the EXIF block it replaces.
    if image.bytes.len() > MAX_BYTES {
        return Err(MediaError::TooLarge);
    }
    Ok(image)
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The PNG chunks kept: pixels, palette, transparency and colour information, and the
/// animation chunks. Everything else goes, known or not: EXIF, text (author, software,
/// comments), times, content credentials (`caBX`) and private chunks.
const PNG_KEPT: [&[u8; 4]; 18] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP",
    b"mDCv", b"cLLi", b"bKGD", b"pHYs", b"acTL", b"fcTL", b"fdAT",
];

fn clean_png(bytes: &[u8]) -> Result<CleanImage, MediaError> {
    let mut out = PNG_SIGNATURE.to_vec();
    let mut at = PNG_SIGNATURE.len();
    let mut size = None;
    loop {
        let header = bytes.get(at..at + 8).ok_or(MediaError::Malformed("a PNG chunk is cut off"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let end = len
            .checked_add(12)
            .and_then(|n| at.checked_add(n))
            .ok_or(MediaError::Malformed("a PNG chunk is too long"))?;
        let chunk = bytes.get(at..end).ok_or(MediaError::Malformed("a PNG chunk is cut off"))?;
        if kind == b"IHDR" {
            if size.is_some() {
                return Err(MediaError::Malformed("the PNG has two headers"));
            }
            let data = chunk.get(8..16).ok_or(MediaError::Malformed("the PNG header is short"))?;
            size = Some((
                u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
            ));
        } else if size.is_none() {
            return Err(MediaError::Malformed("the PNG header is not first"));
        }
        if kind == b"iCCP" {
            // The profile's name is free text (an author, a path): a fixed one instead.
            let data = &chunk[8..8 + len];
            let name_end = data
                .iter()
                .position(|&b| b == 0)
                .ok_or(MediaError::Malformed("the PNG colour profile has no name"))?;
            out.extend(png_chunk_of(b"iCCP", &[b"ICC profile\0".as_slice(), &data[name_end + 1..]].concat()));
        } else if PNG_KEPT.iter().any(|k| &k[..] == kind) {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            break;
        }
    }
    let (width, height) = size.ok_or(MediaError::Malformed("no PNG header"))?;
    Ok(CleanImage { content_type: "image/png", width, height, bytes: out })
}

/// A PNG chunk with its CRC.
fn png_chunk_of(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// CRC-32 (ISO 3309) as PNG computes it over a chunk's type and data.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn clean_jpeg(bytes: &[u8]) -> Result<CleanImage, MediaError> {
    let mut out = vec![0xFF, 0xD8];
    let mut at = 2;
    let mut size = None;
    let mut orientation_kept = false;
    loop {
        let marker = match bytes.get(at..at + 2) {
            Some([0xFF, m]) => *m,
            _ => return Err(MediaError::Malformed("a JPEG marker is missing")),
        };
        // Fill bytes before a marker.
        if marker == 0xFF {
            at += 1;
            continue;
        }
        // Markers without a length.
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            out.extend_from_slice(&bytes[at..at + 2]);
            at += 2;
            continue;
        }
        if marker == 0xD9 {
            out.extend_from_slice(&[0xFF, 0xD9]);
            break;
        }
        // 0xFF00 is a stuffed byte inside scan data and 0x02..=0xBF are reserved: neither
        // starts a segment. Copied as one, a stuffed pair would make the next reader take the
        // "segment" for scan data and see different markers inside it.
        if marker < 0xC0 {
            return Err(MediaError::Malformed("the JPEG has an unknown marker"));
        }
        let len = bytes.get(at + 2..at + 4).ok_or(MediaError::Malformed("a JPEG segment is cut off"))?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if len < 2 {
            return Err(MediaError::Malformed("a JPEG segment has a bad length"));
        }
        let end = at + 2 + len;
        let segment = bytes.get(at..end).ok_or(MediaError::Malformed("a JPEG segment is cut off"))?;
        // Start of frame (not DHT C4, JPG C8 or DAC CC): height, then width.
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if size.is_some() {
                return Err(MediaError::Malformed("the JPEG has two frame headers"));
            }
            let d = segment.get(5..9).ok_or(MediaError::Malformed("the JPEG frame header is short"))?;
            size = Some((
                u32::from(u16::from_be_bytes([d[2], d[3]])),
                u32::from(u16::from_be_bytes([d[0], d[1]])),
            ));
        }
        // By allow-list: what decoding needs (frame, scan, tables, restart interval) and three
        // application segments, each cut to what it is for. JFIF's header stays without its
        // thumbnail (a picture of its own, perhaps uncropped); an ICC colour profile stays
        // (APP2, not the multi-picture index that shares it); Adobe's colour transform
        // (APP14) stays, cut to its 12 bytes. Of EXIF only the orientation survives: without
        // it, phone photos would show on their side. Everything else goes, known or not:
        // XMP, IPTC, comments, JFXX thumbnails, JPG0–13 and JPEG-LS segments.
        let body = &segment[4..];
        match marker {
            0xC0..=0xCF if marker != 0xC8 => out.extend_from_slice(segment),
            0xDA..=0xDD => out.extend_from_slice(segment),
            0xE0 if body.starts_with(b"JFIF\0") && body.len() >= 12 => {
                out.extend_from_slice(&[0xFF, 0xE0, 0, 16]);
                out.extend_from_slice(&body[..12]);
                out.extend_from_slice(&[0, 0]); // no thumbnail
            }
            0xE1 if !orientation_kept => {
                // Readers honour the first EXIF block only; keeping one also bounds the growth.
                if let Some(orientation) = exif_orientation(body).filter(|o| (2..=8).contains(o)) {
                    out.extend_from_slice(&orientation_only_exif(orientation));
                    orientation_kept = true;
                }
            }
            0xE2 if body.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
            0xEE if body.starts_with(b"Adobe") && body.len() >= 12 => {
                out.extend_from_slice(&[0xFF, 0xEE, 0, 14]);
                out.extend_from_slice(&body[..12]);
            }
            _ => {}
        }
        at = end;
        if marker == 0xDA {
            // Entropy-coded data runs to the next real marker (not a stuffed 0xFF00, a
            // restart marker or fill): progressive images have several scans, with
            // segments between them that are filtered like any other.
            let next = (at..bytes.len().saturating_sub(1))
                .find(|&i| bytes[i] == 0xFF && !matches!(bytes[i + 1], 0x00 | 0xD0..=0xD7 | 0xFF))
                .ok_or(MediaError::Malformed("the JPEG has no end"))?;
            out.extend_from_slice(&bytes[at..next]);
            at = next;
        }
    }
    // Whatever follows the end of the image (phones append more pictures, depth maps and
    // vendor trailers with their own metadata) is not copied.
    let (width, height) = size.ok_or(MediaError::Malformed("no JPEG frame header"))?;
    Ok(CleanImage { content_type: "image/jpeg", width, height, bytes: out })
}

/// The orientation tag (0x0112) of an EXIF block's first directory, if it has one.
fn exif_orientation(app1: &[u8]) -> Option<u16> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(0..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b = tiff.get(at..at + 2)?;
        Some(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| {
        let b = tiff.get(at..at + 4)?;
        Some(if big {
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        } else {
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        })
    };
    let directory = u32_at(4)? as usize;
    let entries = u16_at(directory)?;
    (0..usize::from(entries)).find_map(|i| {
        let entry = directory + 2 + 12 * i;
        // Tag 0x0112, type SHORT: the value sits in the entry itself.
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3).then(|| u16_at(entry + 8)).flatten()
    })
}

/// An APP1 segment with an EXIF block holding the orientation and nothing else.
fn orientation_only_exif(orientation: u16) -> Vec<u8> {
    let mut body = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    body.extend_from_slice(&orientation.to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&body);
    segment
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked here, kept as it was
        c
    }

    fn png(extra: &[Vec<u8>]) -> Vec<u8> {
        let mut ihdr = 3u32.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&2u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend(png_chunk(b"IHDR", &ihdr));
        for e in extra {
            bytes.extend_from_slice(e);
        }
        bytes.extend(png_chunk(b"IDAT", b"pixels"));
        bytes.extend(png_chunk(b"IEND", b""));
        bytes
    }

    #[test]
    fn png_text_and_exif_chunks_are_removed() {
        let gps = png_chunk(b"eXIf", b"GPS 52.5200 N 13.4050 E");
        let author = png_chunk(b"tEXt", b"Author\0Erika Mustermann");
        let image = clean(&png(&[gps, author])).unwrap();
        assert_eq!((image.content_type, image.width, image.height), ("image/png", 3, 2));
        assert_eq!(image.bytes, png(&[]));
        let text = String::from_utf8_lossy(&image.bytes);
        assert!(!text.contains("GPS") && !text.contains("Erika"));
    }

    fn jpeg(segments: &[(u8, &[u8])]) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xD8];
        for (marker, data) in segments {
            bytes.extend_from_slice(&[0xFF, *marker]);
            bytes.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
            bytes.extend_from_slice(data);
        }
        bytes.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56]); // scan data, with a stuffed FF
        bytes.extend_from_slice(&[0xFF, 0xD9]);
        bytes
    }

    #[test]
    fn jpeg_exif_xmp_iptc_and_comments_are_removed() {
        let frame: &[u8] = &[8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let exif: &[u8] = b"Exif\0\0GPSLatitude 52.52 serial 12345";
        let sos: &[u8] = &[1, 1, 0, 0, 63, 0];
        let jfif: &[u8] = b"JFIF\0\x01\x02\x01\x00\x48\x00\x48\x00\x00";
        let dirty = jpeg(&[
            (0xE0, jfif),
            (0xE1, exif),
            (0xED, b"IPTC"),
            (0xFE, b"by Erika"),
            (0xC0, frame),
            (0xDA, sos),
        ]);
        let image = clean(&dirty).unwrap();
        assert_eq!((image.content_type, image.width, image.height), ("image/jpeg", 3, 2));
        assert_eq!(image.bytes, jpeg(&[(0xE0, jfif), (0xC0, frame), (0xDA, sos)]));
    }

    /// Each kind of segment the review found copied verbatim: a non-JFIF APP0, JFIF's own
    /// thumbnail, a JFXX thumbnail (a JPEG with its own EXIF), an APP14 payload, JPG0 and
    /// JPEG-LS segments.
    #[test]
    fn jpeg_keeps_nothing_outside_its_allow_list() {
        let frame: &[u8] = &[8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos: &[u8] = &[1, 1, 0, 0, 63, 0];
        let jfif = b"JFIF\0\x01\x02\x00\x00\x01\x00\x01";
        let mut jfif_with_thumbnail = jfif.to_vec();
        jfif_with_thumbnail.extend_from_slice(&[1, 1, 0xAB, 0xCD, 0xEF]); // a 1×1 RGB thumbnail
        let mut jfxx = b"JFXX\0\x10".to_vec();
        jfxx.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 12]);
        jfxx.extend_from_slice(b"Exif\0\0GPS!");
        let adobe = b"Adobe\0\x64\0\0\0\0\x01 made by Erika on her laptop";
        let dirty = jpeg(&[
            (0xE0, b"NOTJFIF marker-app0"),
            (0xE0, &jfif_with_thumbnail),
            (0xE0, &jfxx),
            (0xEE, adobe),
            (0xF0, b"marker-jpg0"),
            (0xF7, b"marker-jpegls"),
            (0xE2, b"ICC_PROFILE\0\x01\x01profile"),
            (0xC0, frame),
            (0xDA, sos),
        ]);
        let image = clean(&dirty).unwrap();
        let text = String::from_utf8_lossy(&image.bytes);
        for gone in ["marker-app0", "JFXX", "GPS", "Erika", "marker-jpg0", "marker-jpegls"] {
            assert!(!text.contains(gone), "{gone} survived: {text}");
        }
        let mut thumbless = jfif.to_vec();
        thumbless.extend_from_slice(&[0, 0]);
        let expected = jpeg(&[
            (0xE0, &thumbless),
            (0xEE, &adobe[..12]),
            (0xE2, b"ICC_PROFILE\0\x01\x01profile"),
            (0xC0, frame),
            (0xDA, sos),
        ]);
        assert_eq!(image.bytes, expected);
        assert_eq!(clean(&image.bytes).unwrap().bytes, image.bytes, "cleaning is idempotent");
    }

    #[test]
    fn png_colour_profile_names_are_replaced() {
        let profile = png_chunk(b"iCCP", b"Erika's calibrated monitor\0\0zlib-data");
        let image = clean(&png(&[profile])).unwrap();
        let text = String::from_utf8_lossy(&image.bytes);
        assert!(!text.contains("Erika") && text.contains("ICC profile\0\0zlib-data"), "{text}");
        let start = image.bytes.windows(4).position(|w| w == b"iCCP").unwrap() - 4;
        let len = u32::from_be_bytes(image.bytes[start..start + 4].try_into().unwrap()) as usize;
        let crc = u32::from_be_bytes(image.bytes[start + 8 + len..start + 12 + len].try_into().unwrap());
        assert_eq!(crc, crc32(&image.bytes[start + 4..start + 8 + len]));
        assert_eq!(crc32(b"IEND"), 0xAE42_6082, "PNG's own CRC of IEND");
    }

    #[test]
    fn jpeg_orientation_survives_alone() {
        // Little-endian EXIF: orientation 6 (rotate 90°) and a GPS pointer.
        let mut exif = b"Exif\0\0II\x2a\0\x08\0\0\0\x02\0".to_vec();
        exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 0x40, 0, 0, 0]);
        exif.extend_from_slice(&[0, 0, 0, 0]);
        exif.extend_from_slice(b"GPS 52.52N 13.40E");
        let frame: &[u8] = &[8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos: &[u8] = &[1, 1, 0, 0, 63, 0];
        let image = clean(&jpeg(&[(0xE1, &exif), (0xC0, frame), (0xDA, sos)])).unwrap();
        assert!(!String::from_utf8_lossy(&image.bytes).contains("GPS"));
        let kept = &image.bytes[2..2 + 4 + 32];
        assert_eq!(exif_orientation(&kept[4..]), Some(6), "the orientation is kept");
        // Orientation 1 (upright) needs no EXIF at all.
        exif[24] = 1;
        let image = clean(&jpeg(&[(0xE1, &exif), (0xC0, frame), (0xDA, sos)])).unwrap();
        assert_eq!(image.bytes, jpeg(&[(0xC0, frame), (0xDA, sos)]));
    }

    #[test]
    fn jpeg_metadata_between_scans_and_after_the_end_is_removed() {
        let frame: &[u8] = &[8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos: &[u8] = &[1, 1, 0, 0, 63, 0];
        let mut dirty = vec![0xFF, 0xD8];
        for (marker, data) in [
            (0xE2u8, &b"ICC_PROFILE\0\x01\x01profile"[..]),
            (0xE2, b"MPF\0index"),
            (0xC2, frame),
            (0xDA, sos),
        ] {
            dirty.extend_from_slice(&[0xFF, marker]);
            dirty.extend_from_slice(&((data.len() + 2) as u16).to_be_bytes());
            dirty.extend_from_slice(data);
        }
        dirty.extend_from_slice(&[0x11, 0xFF, 0x00, 0xFF, 0xD0, 0x22]); // first scan, stuffing, restart
        dirty.extend_from_slice(&[0xFF, 0xFE, 0, 10]);
        dirty.extend_from_slice(b"by Erika");
        dirty.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x33]); // second scan
        dirty.extend_from_slice(&[0xFF, 0xD9]);
        dirty.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE1, 0, 12]);
        dirty.extend_from_slice(b"Exif\0\0GPS!");
        dirty.extend_from_slice(&[0xFF, 0xD9]);
        let image = clean(&dirty).unwrap();
        let text = String::from_utf8_lossy(&image.bytes);
        assert!(!text.contains("Erika") && !text.contains("GPS") && !text.contains("MPF"), "{text}");
        assert!(text.contains("ICC_PROFILE"), "the colour profile stays");
        assert!(image.bytes.ends_with(&[0x33, 0xFF, 0xD9]), "both scans kept, nothing after the end");
        assert!(image.bytes.windows(4).any(|w| w == [0x11, 0xFF, 0x00, 0xFF]), "entropy-coded data intact");
    }

    #[test]
    fn png_keeps_only_known_harmless_chunks() {
        let credentials = png_chunk(b"caBX", b"creator: Erika Mustermann");
        let private = png_chunk(b"prVt", b"serial 12345");
        let image = clean(&png(&[credentials, private, png_chunk(b"pHYs", &[0; 9])])).unwrap();
        assert_eq!(image.bytes, png(&[png_chunk(b"pHYs", &[0; 9])]));
        let mut twice = png(&[]);
        let ihdr = twice[8..8 + 25].to_vec();
        twice.splice(33..33, ihdr);
        assert_eq!(clean(&twice), Err(MediaError::Malformed("the PNG has two headers")));
    }

    #[test]
    fn other_and_broken_files_are_refused() {
        assert_eq!(clean(b"GIF89a...."), Err(MediaError::UnsupportedType));
        assert_eq!(clean(b"<svg onload=alert(1)>"), Err(MediaError::UnsupportedType));
        assert!(matches!(clean(&png(&[])[..20]), Err(MediaError::Malformed(_))));
        let mut huge = png(&[]);
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        assert_eq!(clean(&huge), Err(MediaError::TooManyPixels));
        assert_eq!(clean(&vec![0xFF; MAX_BYTES + 1]), Err(MediaError::TooLarge));
        assert!(matches!(clean(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), Err(MediaError::Malformed(_))));
    }

    #[test]
    fn a_stuffed_byte_or_reserved_marker_outside_a_scan_is_refused() {
        // Found by the fuzzer: after a dropped segment, a "segment" 0xFF00 hiding a comment
        // was copied whole, and cleaning the result again read the comment and dropped it.
        let frame: &[u8] = &[8, 0, 2, 0, 3, 1, 1, 0x11, 0];
        let sos: &[u8] = &[1, 1, 0, 0, 63, 0];
        let mut bytes = jpeg(&[(0xC0, frame), (0xDA, sos)]);
        bytes.truncate(bytes.len() - 2);
        bytes.extend_from_slice(&[0xFF, 0xE1, 0, 2, 0xFF, 0x00, 0, 6, 0xFF, 0xFE, 0, 2, 0xFF, 0xD9]);
        assert_eq!(clean(&bytes), Err(MediaError::Malformed("the JPEG has an unknown marker")));
        let reserved = [0xFF, 0xD8, 0xFF, 0x4F, 0, 2, 0xFF, 0xD9];
        assert_eq!(clean(&reserved), Err(MediaError::Malformed("the JPEG has an unknown marker")));
    }
}
